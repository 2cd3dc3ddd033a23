//! What the tamper-evident log records. Every state change, and every failed or refused
//! attempt, appends exactly one entry with one of these actions (R6.1).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A new original entered custody; the entry carries the record's full snapshot.
    RecordIngested,
    /// Content already in custody was offered again; nothing new was stored.
    RecordDuplicate,
    /// Classification or other metadata changed; the entry carries the new snapshot.
    RecordMetadataChanged,
    /// An ingest attempt failed; the reason is in the entry.
    IngestFailed,
    /// A source file was deleted after its stored copy was read back and matched (R3.4).
    SourceCleared,
    /// Retain-until of an original was extended.
    RetentionExtended,
    /// The signing keys were generated (first start).
    KeysCreated,
}

impl AuditAction {
    pub const ALL: [AuditAction; 7] = [
        Self::RecordIngested,
        Self::RecordDuplicate,
        Self::RecordMetadataChanged,
        Self::IngestFailed,
        Self::SourceCleared,
        Self::RetentionExtended,
        Self::KeysCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RecordIngested => "record.ingested",
            Self::RecordDuplicate => "record.duplicate",
            Self::RecordMetadataChanged => "record.metadata_changed",
            Self::IngestFailed => "ingest.failed",
            Self::SourceCleared => "ingest.source_cleared",
            Self::RetentionExtended => "record.retention_extended",
            Self::KeysCreated => "keys.created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether entries of this action carry the full snapshot of the record row they
    /// produced, so that the row can be checked against the log.
    pub fn carries_snapshot(self) -> bool {
        matches!(self, Self::RecordIngested | Self::RecordMetadataChanged)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::RecordIngested => "入库",
            Self::RecordDuplicate => "重复提交",
            Self::RecordMetadataChanged => "修改元数据",
            Self::IngestFailed => "入库失败",
            Self::SourceCleared => "清除源文件",
            Self::RetentionExtended => "延长保存期限",
            Self::KeysCreated => "生成签名密钥",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
