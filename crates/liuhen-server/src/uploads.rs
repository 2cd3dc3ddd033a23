//! tus 1.0 resumable uploads at `/api/v1/uploads` (core, creation, termination, checksum
//! with sha256) and the upload page. The protocol lives here; the use cases (offsets,
//! hashing across chunks, the final ingest) in `liuhen_app::uploads`.

use std::pin::Pin;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use liuhen_app::uploads::{PatchEnd, UploadMeta, UploadState};
use liuhen_domain::authz::{Action, Target};

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

pub const TUS_VERSION: &str = "1.0.0";
const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_H: HeaderName = HeaderName::from_static("tus-version");
const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
const TUS_CHECKSUM_ALGORITHM: HeaderName = HeaderName::from_static("tus-checksum-algorithm");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");
/// Set on the response that completed an upload (and on `HEAD` of a completed one).
pub const RECORD_ID: HeaderName = HeaderName::from_static("liuhen-record-id");

pub fn routes() -> Router<AppState> {
    let tus = Router::new()
        .route("/api/v1/uploads", post(create).options(options))
        .route(
            "/api/v1/uploads/{id}",
            axum::routing::head(status).patch(patch).delete(terminate),
        )
        .layer(middleware::from_fn(tus_headers));
    Router::new().route("/upload", get(page)).merge(tus)
}

/// `Tus-Resumable` on every response; a request (other than `OPTIONS`) for another
/// protocol version is refused with 412 and the supported version.
async fn tus_headers(req: Request, next: Next) -> Response {
    let version_ok = req.method() == Method::OPTIONS
        || req
            .headers()
            .get(&TUS_RESUMABLE)
            .and_then(|v| v.to_str().ok())
            == Some(TUS_VERSION);
    let mut res = if version_ok {
        next.run(req).await
    } else {
        let mut r = ApiError::PreconditionFailed {
            code: "tus_version",
            message: format!("不支持的 tus 协议版本，服务器支持 {TUS_VERSION}"),
        }
        .into_response();
        r.headers_mut()
            .insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
        r
    };
    res.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    res
}

async fn authorize_upload(
    s: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
) -> Result<(), ApiError> {
    let subject = id.map(|id| format!("upload:{id}"));
    s.custody
        .authorize(
            &user.principal,
            Action::UploadRecord,
            Target::System,
            subject.as_deref(),
        )
        .await?;
    Ok(())
}

async fn options(State(s): State<AppState>, user: CurrentUser) -> Result<Response, ApiError> {
    authorize_upload(&s, &user, None).await?;
    let max = s.custody.upload_max_size().to_string();
    Ok((
        StatusCode::NO_CONTENT,
        [
            (TUS_VERSION_H, TUS_VERSION.to_owned()),
            (TUS_EXTENSION, "creation,termination,checksum".to_owned()),
            (TUS_CHECKSUM_ALGORITHM, "sha256".to_owned()),
            (TUS_MAX_SIZE, max),
        ],
    )
        .into_response())
}

fn header<'a>(h: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn header_u64(h: &HeaderMap, name: &HeaderName, label: &str) -> Result<u64, ApiError> {
    let v = header(h, name)
        .ok_or_else(|| ApiError::bad("missing_header", format!("缺少请求头 {label}")))?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(
            "bad_header",
            format!("请求头 {label} 必须是非负整数"),
        ));
    }
    v.parse()
        .map_err(|_| ApiError::bad("bad_header", format!("请求头 {label} 的数值过大")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (value optional); the
/// parser is `liuhen_domain::headers::parse_tus_metadata` (fuzzed).
pub fn parse_metadata(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    liuhen_domain::headers::parse_tus_metadata(raw).map_err(|e| ApiError::bad("bad_metadata", e.0))
}

async fn create(
    State(s): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_upload(&s, &user, None).await?;
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::bad(
            "defer_length",
            "不支持延后声明文件大小（Upload-Defer-Length）",
        ));
    }
    let length = header_u64(&headers, &UPLOAD_LENGTH, "Upload-Length")?;
    let raw_meta = header(&headers, &UPLOAD_METADATA).unwrap_or("");
    let meta_limit = s.custody.config().limits.upload_metadata_bytes;
    if raw_meta.len() > meta_limit {
        return Err(ApiError::bad(
            "bad_metadata",
            format!("上传元数据过长（最多 {meta_limit} 字节）"),
        ));
    }
    let pairs = parse_metadata(raw_meta)?;
    let tz = s
        .custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let meta = UploadMeta::from_pairs(&pairs, &tz).map_err(liuhen_app::AppError::from)?;
    let info = s
        .custody
        .create_upload(&user.principal, length, meta)
        .await?;
    Ok((
        StatusCode::CREATED,
        [
            (LOCATION, format!("/api/v1/uploads/{}", info.id)),
            (UPLOAD_OFFSET, "0".to_owned()),
        ],
    )
        .into_response())
}

async fn status(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize_upload(&s, &user, Some(&id)).await?;
    let info = s.custody.upload_status(&user.principal, &id).await?;
    if matches!(info.state, UploadState::Terminated | UploadState::Expired) {
        return Err(ApiError::NotFound(format!("upload {id}")));
    }
    let mut res = (
        StatusCode::OK,
        [
            (UPLOAD_OFFSET, info.offset.to_string()),
            (UPLOAD_LENGTH, info.length.to_string()),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response();
    if let Some(r) = info.record_id.and_then(|r| HeaderValue::from_str(&r).ok()) {
        res.headers_mut().insert(RECORD_ID, r);
    }
    Ok(res)
}

/// `Upload-Checksum: sha256 <base64>`.
fn parse_checksum(h: &HeaderMap) -> Result<Option<[u8; 32]>, ApiError> {
    let Some(v) = header(h, &UPLOAD_CHECKSUM) else {
        return Ok(None);
    };
    let (algo, b64) = v.split_once(' ').unwrap_or((v, ""));
    if !algo.eq_ignore_ascii_case("sha256") {
        return Err(ApiError::bad(
            "checksum_algorithm",
            "不支持的校验算法，仅支持 sha256",
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad("bad_checksum", "Upload-Checksum 不是有效的 SHA-256 值"))
}

async fn patch(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize_upload(&s, &user, Some(&id)).await?;
    if header(&headers, &CONTENT_TYPE) != Some("application/offset+octet-stream") {
        return Err(ApiError::bad(
            "content_type",
            "Content-Type 必须为 application/offset+octet-stream",
        ));
    }
    let offset = header_u64(&headers, &UPLOAD_OFFSET, "Upload-Offset")?;
    let checksum = parse_checksum(&headers)?;
    let mut writer = s
        .custody
        .begin_patch(&user.principal, &id, offset, checksum)
        .await?;
    let mut body = body;
    let end = loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break PatchEnd::Complete,
            Some(Err(e)) => {
                tracing::info!(upload = %id, error = %e, "upload body interrupted");
                break PatchEnd::Interrupted;
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if let Err(e) = writer.write(&data).await {
                    writer.discard().await?;
                    return Err(e.into());
                }
            }
        }
    };
    let outcome = writer.finish(end).await?;
    let mut res = (
        StatusCode::NO_CONTENT,
        [(UPLOAD_OFFSET, outcome.offset.to_string())],
    )
        .into_response();
    if let Some(r) = outcome
        .record_id
        .and_then(|r| HeaderValue::from_str(&r).ok())
    {
        res.headers_mut().insert(RECORD_ID, r);
    }
    Ok(res)
}

async fn terminate(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize_upload(&s, &user, Some(&id)).await?;
    s.custody.terminate_upload(&user.principal, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "upload.html")]
struct UploadPage {
    c: Chrome,
    officer: String,
    agency: String,
    max_size: u64,
    max_size_text: String,
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<UploadPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    authorize_upload(&s, &user, None)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let max = s.custody.upload_max_size();
    Ok(UploadPage {
        officer: user.principal.officer_name.clone(),
        agency: user.principal.unit.clone().unwrap_or_default(),
        max_size: max,
        max_size_text: format!("{:.1} GiB", max as f64 / 1024.0 / 1024.0 / 1024.0),
        c: Chrome::new(t, Some(&user), "upload"),
    })
}

/// The background upkeep of uploads: idle ones expire, interrupted completions finish.
pub(crate) async fn sweep_loop(custody: liuhen_app::Custody) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match custody.sweep_uploads(custody.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired idle uploads"),
            Err(e) => tracing::error!(error = %liuhen_app::error_chain(&e), "upload sweep failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_metadata;

    #[test]
    fn metadata_pairs() {
        let pairs = parse_metadata("filename dGVzdC5tcDQ=,officer 5byg5Lyf, flag").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("filename".into(), "test.mp4".into()),
                ("officer".into(), "张伟".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert!(parse_metadata("filename !!!").is_err());
        assert!(parse_metadata("filename /w==").is_err()); // not UTF-8
        assert!(parse_metadata("filename a b").is_err());
    }
}
