//! Playback: what a browser is given for a record (the original, or its proxy), its
//! thumbnail, and the log of what was watched.

use liuhen_db::NewEntry;
use liuhen_domain::authz::Principal;
use liuhen_domain::playback::{browser_playable, content_type, validate_intervals};
use liuhen_domain::{AuditAction, MediaKind, Record, Sha256Digest};

use crate::derivatives::{PROXY, THUMBNAIL, facts};
use crate::{AppError, Custody};

/// A blob to stream, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playable {
    pub sha256: Sha256Digest,
    pub size: u64,
    pub content_type: &'static str,
    /// A derivative, not the original.
    pub derived: bool,
}

/// What the player can show for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    Ready(Playable),
    /// The proxy has not been made yet.
    Pending,
    /// The server has no ffmpeg, so no proxy can be made.
    NoFfmpeg,
    /// Making the proxy failed; the reason (Chinese).
    Failed(String),
    /// Not a video, audio or photo a browser shows.
    Unsupported,
}

impl Custody {
    /// The original if the browser plays it, else its H.264/AAC proxy when one exists.
    pub async fn preview(&self, record: &Record) -> Result<Preview, AppError> {
        let f = facts(record);
        if browser_playable(f) {
            return Ok(Preview::Ready(Playable {
                sha256: record.sha256,
                size: record.size_bytes,
                content_type: content_type(f),
                derived: false,
            }));
        }
        if record.kind != MediaKind::Video {
            return Ok(Preview::Unsupported);
        }
        match self.db.derivative(&record.sha256.to_hex(), PROXY).await? {
            Some(d) if d.status == "ready" => derived(&d, "video/mp4").map(Preview::Ready),
            Some(d) => Ok(Preview::Failed(d.error.unwrap_or_default())),
            None if self.ffmpeg().is_none() => Ok(Preview::NoFfmpeg),
            None => Ok(Preview::Pending),
        }
    }

    /// The JPEG thumbnail of a video, or the photo itself.
    pub async fn thumbnail(&self, record: &Record) -> Result<Option<Playable>, AppError> {
        let f = facts(record);
        if record.kind == MediaKind::Photo && browser_playable(f) {
            return Ok(Some(Playable {
                sha256: record.sha256,
                size: record.size_bytes,
                content_type: content_type(f),
                derived: false,
            }));
        }
        match self
            .db
            .derivative(&record.sha256.to_hex(), THUMBNAIL)
            .await?
        {
            Some(d) if d.status == "ready" => derived(&d, "image/jpeg").map(Some),
            _ => Ok(None),
        }
    }

    /// Logs which seconds of a record a viewer played (one entry per report). Returns the
    /// seconds covered. The caller has authorized `PlayRecord`.
    pub async fn record_playback(
        &self,
        who: &Principal,
        record: &Record,
        intervals: &[[f64; 2]],
        via: &crate::authz::Allowed,
    ) -> Result<f64, AppError> {
        let (intervals, seconds) = validate_intervals(intervals, record.media.duration_ms)
            .map_err(|e| AppError::Invalid(e.message_zh()))?;
        let mut details = serde_json::json!({
            "intervals": intervals,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "duration_ms": record.media.duration_ms,
            "sha256": record.sha256.to_hex(),
        });
        via.annotate(&mut details);
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::RecordPlayed,
                subject: Some(format!("record:{}", record.id)),
                details,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(seconds)
    }
}

fn derived(d: &liuhen_db::DerivativeRow, ct: &'static str) -> Result<Playable, AppError> {
    let sha = d
        .derivative_sha256
        .as_deref()
        .unwrap_or_default()
        .parse::<Sha256Digest>()
        .map_err(|e| AppError::Invalid(format!("derivative of {}: {e}", d.original_sha256)))?;
    Ok(Playable {
        sha256: sha,
        size: d.size_bytes.unwrap_or(0),
        content_type: ct,
        derived: true,
    })
}
