//! A record: one original recording (video, audio, photo, other) in custody.

use jiff::Timestamp;

use crate::{MediaKind, Sha256Digest, Sm3Digest};

/// Identifier of a record (a UUIDv7 string, time-ordered).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record id {0:?} is not a UUID")]
pub struct BadRecordId(pub String);

impl RecordId {
    pub fn parse(s: &str) -> Result<Self, BadRecordId> {
        let ok = s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(BadRecordId(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The seven classification fields of R3.2 (A3.5). The storage date is `Record::stored_at`
/// and the record date is `Record::record_date`; the five free-text ones live here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// 执法机构
    pub agency: Option<String>,
    /// 执法记录设备 (the unit's own device name or number)
    pub device: Option<String>,
    /// 执法人员
    pub officer: Option<String>,
    /// 案件名称
    pub case_name: Option<String>,
    /// 当事人姓名或单位名称
    pub party: Option<String>,
    /// 摄录人员: who operated the recorder (not one of R3.2's fields; the disc-burn record
    /// form of R3.6 needs it). Set at ingest or upload, changed with a reason.
    pub camera_operator: Option<String>,
}

/// Technical metadata of the content, as probed at ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TechnicalMetadata {
    pub container: Option<String>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub capture_start: Option<Timestamp>,
    pub capture_end: Option<Timestamp>,
    pub device_make: Option<String>,
    pub device_model: Option<String>,
    pub device_serial: Option<String>,
    /// "ffprobe" or "builtin".
    pub prober: String,
    /// Why the content could not be (fully) read; the original is kept regardless.
    pub probe_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: RecordId,
    pub sha256: Sha256Digest,
    pub sm3: Sm3Digest,
    pub size_bytes: u64,
    pub kind: MediaKind,
    pub original_name: String,
    pub media: TechnicalMetadata,
    pub classification: Classification,
    /// The account of the officer named by the classification (issue 10.1); `None` when
    /// the officer maps to no account of the unit: the record is nobody's own.
    pub officer_id: Option<String>,
    /// 记录日期, `YYYY-MM-DD` in the bureau's time zone.
    pub record_date: Option<jiff::civil::Date>,
    /// 存储日期: when the original became durable in custody.
    pub stored_at: Timestamp,
    /// Declared return time of an out-of-town exception (R3.3).
    pub returned_at: Option<Timestamp>,
    /// Time from recording end (or declared return) to storage; `None` when unknown.
    pub lateness_ms: Option<i64>,
    pub late: bool,
    pub retain_until: Timestamp,
    /// Where the recording comes from, as declared at upload or ingest (R2.1); `None`:
    /// from the device registry (`[[devices]] source`), else a body camera.
    pub source: Option<crate::case::RecordingSource>,
}
