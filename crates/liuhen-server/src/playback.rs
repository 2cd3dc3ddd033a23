//! Playback with HTTP Range, proxies and thumbnails, and the log of what was watched.
//!
//! `GET /records/{id}/media` streams the original when the browser plays it, else its
//! H.264/AAC proxy; single ranges answer 206, multiple ranges the whole content, bad ranges
//! 416. The ETag is the served blob's SHA-256, so `If-Range` and `If-None-Match` are exact.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, IF_RANGE, RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use liuhen_app::Custody;
use liuhen_app::authz::Allowed;
use liuhen_app::playback::{Playable, Preview};
use liuhen_domain::authz::Action;
use liuhen_domain::{Record, RecordId};

use crate::auth::{self, CurrentUser};
use crate::permits::Fetch;
use crate::{ApiError, AppState};

/// What the record page needs to show the player (rendered by `templates/player.html`).
#[derive(Debug, Clone, Default)]
pub struct PlayerView {
    pub record_id: String,
    /// "video", "audio", "photo" or "other".
    pub kind: String,
    /// URL the browser plays or shows; `None` when there is nothing playable yet.
    pub src: Option<String>,
    /// Why there is no preview (Chinese), when `src` is `None`.
    pub reason: Option<String>,
    /// Watermark text: viewer's name and the time (`YYYY-MM-DD HH:MM:SS`, which the player
    /// script keeps current).
    pub watermark: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/records/{id}/media", get(media))
        .route("/records/{id}/thumbnail", get(thumbnail))
        .route("/api/v1/records/{id}/playback", post(report))
}

/// The player for a record page. Never fails: what cannot be shown says why.
pub async fn player_view(
    state: &AppState,
    record: &Record,
    user: &CurrentUser,
    t: crate::i18n::Tr,
) -> PlayerView {
    let custody = &state.custody;
    let tz = custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let now = custody
        .now()
        .to_zoned_datetime(tz)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut view = PlayerView {
        record_id: record.id.to_string(),
        kind: record.kind.as_str().to_owned(),
        watermark: format!("{} {now}", user.display_name),
        ..Default::default()
    };
    let allowed = match state.custody.record_facts(&user.principal, record).await {
        Ok(f) => state
            .custody
            .allows(&user.principal, Action::PlayRecord, &f),
        Err(e) => {
            tracing::error!(record = %record.id, error = %liuhen_app::error_chain(&e), "access facts lookup failed");
            false
        }
    };
    if !allowed {
        view.reason = Some(t.s("player.not_permitted").into());
        return view;
    }
    let preview = match custody.preview(record).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(record = %record.id, error = %liuhen_app::error_chain(&e), "preview lookup failed");
            view.reason = Some(t.s("player.preview_unreadable").into());
            return view;
        }
    };
    match preview {
        Preview::Ready(_) => view.src = Some(format!("/records/{}/media", record.id)),
        Preview::Pending => view.reason = Some(t.s("player.preview_pending").into()),
        Preview::NoFfmpeg => view.reason = Some(t.s("player.no_ffmpeg").into()),
        Preview::Failed(why) => {
            view.reason = Some(format!("{}{why}", t.s("player.preview_failed")));
        }
        Preview::Unsupported => view.reason = Some(t.s("player.unsupported").into()),
    }
    view
}

/// The record, if `user` may play it (refusals are logged by `authorize_record`), and the
/// grant that allowed it, if any.
async fn playable_record(
    s: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Record, Allowed), ApiError> {
    let rid = RecordId::parse(id).map_err(|_| ApiError::NotFound(format!("record {id}")))?;
    let record = s.custody.record(&rid).await?;
    let allowed = s
        .custody
        .authorize_record(&user.principal, Action::PlayRecord, &record)
        .await?;
    Ok((record, allowed))
}

async fn media(
    State(s): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    fetch(&s, &id, Fetch::Media, request).await
}

async fn thumbnail(
    State(s): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    fetch(&s, &id, Fetch::Thumbnail, request).await
}

/// Serves the media or thumbnail of record `id`, reusing a recent permission of the same
/// credential when nothing was committed since (see [`crate::permits`]).
async fn fetch(
    s: &AppState,
    id: &str,
    what: Fetch,
    request: Request,
) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let commits = s.custody.commits();
    let credential = auth::credential(&parts.headers);
    if let Some(c) = &credential
        && let Some(p) = s.permits.get(c, id, what, commits)
    {
        return serve_blob(&s.custody, &p, &parts.headers).await;
    }
    let user = CurrentUser::from_request_parts(&mut parts, s).await?;
    let (record, _) = playable_record(s, &user, id).await?;
    let playable = match what {
        Fetch::Media => match s.custody.preview(&record).await? {
            Preview::Ready(p) => p,
            _ => return Err(ApiError::NotFound(format!("playable media of record {id}"))),
        },
        Fetch::Thumbnail => s
            .custody
            .thumbnail(&record)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("thumbnail of record {id}")))?,
    };
    if let Some(c) = &credential {
        s.permits.put(c, id, what, commits, playable.clone());
    }
    serve_blob(&s.custody, &playable, &parts.headers).await
}

pub use liuhen_domain::headers::{RangeAsk, parse_range};

/// Ranges of at most this many bytes are read in one go; larger ones stream.
const ONE_SHOT: u64 = 2 * 1024 * 1024;
pub(crate) const STREAM_CHUNK: u64 = 256 * 1024;

pub(crate) async fn serve_blob(
    c: &Custody,
    p: &Playable,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let etag = format!("\"{}\"", p.sha256.to_hex());
    let get = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    if get(IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response());
    }
    // If-Range with another validator (or a date: there is no Last-Modified) → whole body.
    let range_header = match get(IF_RANGE) {
        Some(v) if v.trim() != etag => None,
        _ => get(RANGE),
    };
    let size = p.size;
    let (status, start, len) = match parse_range(range_header, size) {
        RangeAsk::Full => (StatusCode::OK, 0, size),
        RangeAsk::Part(a, b) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        RangeAsk::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size }),
    };
    let blobs = c.blobs().clone();
    let sha = p.sha256;
    let body = if len <= ONE_SHOT {
        let bytes =
            tokio::task::spawn_blocking(move || -> Result<Vec<u8>, liuhen_app::AppError> {
                let mut r = blobs.open_range(&sha, start, len)?;
                let mut buf = Vec::with_capacity(len as usize);
                std::io::Read::read_to_end(&mut r, &mut buf)
                    .map_err(|e| liuhen_app::AppError::Task(format!("reading blob {sha}: {e}")))?;
                Ok(buf)
            })
            .await
            .map_err(liuhen_app::AppError::from)??;
        Body::from(bytes)
    } else {
        let reader = tokio::task::spawn_blocking(move || blobs.open_range(&sha, start, len))
            .await
            .map_err(liuhen_app::AppError::from)?
            .map_err(liuhen_app::AppError::from)?;
        Body::new(stream_reader(reader))
    };
    let mut res = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, p.content_type)
        .header(CONTENT_LENGTH, len)
        .header(ACCEPT_RANGES, "bytes")
        .header(ETAG, &etag)
        .header(CONTENT_DISPOSITION, "inline");
    if status == StatusCode::PARTIAL_CONTENT {
        res = res.header(
            CONTENT_RANGE,
            format!("bytes {start}-{}/{size}", start + len - 1),
        );
    }
    res.body(body)
        .map_err(|e| ApiError::Internal(liuhen_app::AppError::Task(e.to_string())))
}

/// A response body fed by a blocking reader on its own thread, a few chunks ahead.
pub(crate) struct ReaderBody {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
}

impl ReaderBody {
    /// A body fed by whatever sends on `rx` (an `Err` cuts the connection).
    pub(crate) fn from_channel(rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> Self {
        Self { rx }
    }
}

pub(crate) fn stream_reader(mut reader: Box<dyn std::io::Read + Send>) -> ReaderBody {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = Vec::with_capacity(STREAM_CHUNK as usize);
            let read = std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut reader, STREAM_CHUNK),
                &mut buf,
            );
            let item = match read {
                Ok(0) => return,
                Ok(_) => Ok(Bytes::from(buf)),
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // The client went away: stop reading.
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    ReaderBody { rx }
}

impl HttpBody for ReaderBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}

#[derive(serde::Deserialize)]
struct Report {
    intervals: Vec<[f64; 2]>,
}

/// `POST /api/v1/records/{id}/playback` `{"intervals": [[from, to], …]}` (seconds).
async fn report(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (record, allowed) = playable_record(&s, &user, &id).await?;
    let report: Report = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad(
            "bad_report",
            "播放记录格式不正确，应为 {\"intervals\": [[开始秒, 结束秒], …]}",
        )
    })?;
    let seconds = s
        .custody
        .record_playback(&user.principal, &record, &report.intervals, &allowed)
        .await?;
    Ok(axum::Json(serde_json::json!({ "logged": true, "seconds": seconds })).into_response())
}

/// Background work of the media side: proxies and thumbnails for new videos.
pub(crate) async fn derivative_loop(custody: Custody) {
    let every = u64::from(custody.config().media.worker_interval_seconds.max(1));
    if custody.ffmpeg().is_none() {
        tracing::warn!("ffmpeg not found: no previews of videos browsers cannot play");
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
    loop {
        tick.tick().await;
        loop {
            match custody.make_derivatives(4).await {
                Ok(0) => break,
                Ok(n) => tracing::info!(videos = n, "made previews"),
                Err(e) => {
                    tracing::error!(error = %liuhen_app::error_chain(&e), "making previews failed");
                    break;
                }
            }
        }
    }
}

/// Both background loops of uploads and playback (spawned by `serve`).
pub(crate) async fn background(custody: Custody) {
    tokio::join!(
        derivative_loop(custody.clone()),
        crate::uploads::sweep_loop(custody)
    );
}

#[cfg(test)]
mod tests {
    use super::{RangeAsk, parse_range};

    #[test]
    fn ranges() {
        let r = |h: &str| parse_range(Some(h), 1000);
        assert_eq!(parse_range(None, 1000), RangeAsk::Full);
        assert_eq!(r("bytes=0-99"), RangeAsk::Part(0, 99));
        assert_eq!(r("bytes=900-"), RangeAsk::Part(900, 999));
        assert_eq!(r("bytes=-100"), RangeAsk::Part(900, 999));
        assert_eq!(r("bytes=-5000"), RangeAsk::Part(0, 999));
        assert_eq!(r("bytes=990-5000"), RangeAsk::Part(990, 999));
        assert_eq!(r("bytes=1000-"), RangeAsk::Unsatisfiable);
        assert_eq!(r("bytes=5-2"), RangeAsk::Unsatisfiable);
        assert_eq!(r("bytes=abc"), RangeAsk::Unsatisfiable);
        assert_eq!(r("bytes=-0"), RangeAsk::Unsatisfiable);
        assert_eq!(r("bytes=0-1,5-6"), RangeAsk::Full);
        assert_eq!(r("items=0-1"), RangeAsk::Full);
        assert_eq!(parse_range(Some("bytes=0-"), 0), RangeAsk::Unsatisfiable);
    }
}
