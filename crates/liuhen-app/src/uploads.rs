//! Resumable uploads (the use cases behind tus 1.0 at `/api/v1/uploads`).
//!
//! An upload is a row (`uploads`) and a partial file `<data dir>/uploads/<id>.part`. A
//! PATCH streams its body into the file in 1 MiB pieces while SHA-256 and SM3 continue
//! across chunks ([`DualHasher`]); the bytes are fsynced before the row's offset advances,
//! so the offset `HEAD` reports is always durable. The hashing state lives in memory per
//! upload; when it is missing (server restart) or no longer matches the offset (a rejected
//! chunk), the next PATCH re-hashes the partial file once. Each piece is read back from the
//! file after it is written and compared with the bytes hashed, so the file handed to the
//! blob store is proven to be what the digests describe, without a second pass over it. On the last byte the file goes through the same
//! tail as CLI ingest: probe, the blob store adopts the file (a hard link for the local
//! store; a verified streaming copy for the others), and one transaction writes the record
//! row, its `record.ingested` entry and the upload's end.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use liuhen_blob::{CHUNK_SIZE, Digests, DualHasher};
use liuhen_db::{NewEntry, UploadRow};
use liuhen_domain::authz::Principal;
use liuhen_domain::{AuditAction, Classification};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::sync::{OwnedMutexGuard, mpsc};

use crate::ingest::{FileStatus, IngestOptions, Stored};
use crate::{AppError, Custody};

pub use liuhen_db::UploadState;

/// Why an upload request was refused; each maps to one tus status.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The message is for people (Chinese) and names what is wrong.
    #[error("bad upload metadata: {0}")]
    BadMetadata(String),
    #[error("upload of {length} bytes exceeds the limit of {max}")]
    TooLarge { length: u64, max: u64 },
    /// An empty file is no recording (and would only grow the store).
    #[error("an upload of zero bytes")]
    Empty,
    #[error("Upload-Offset {given} does not match the upload's offset {current}")]
    OffsetMismatch { current: u64, given: u64 },
    #[error("the chunk does not match its Upload-Checksum")]
    ChecksumMismatch,
    #[error("the body goes past Upload-Length")]
    ExceedsLength,
    #[error("another request is writing this upload")]
    Busy,
    #[error("the upload is {0}")]
    Closed(&'static str),
    #[error("the upload belongs to another user")]
    NotOwner,
}

/// Validated metadata of an upload (classification of the future record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadMeta {
    pub filename: String,
    pub officer: Option<String>,
    pub agency: Option<String>,
    pub device: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    /// Declared return from out-of-town work (ms since the epoch).
    pub returned_at_ms: Option<i64>,
    /// The officer's account, checked when the upload was created (never from the
    /// client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_id: Option<String>,
    /// 摄录人员 (issue 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_operator: Option<String>,
    /// The officer's police number (警号), mapped to an account when the upload is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police: Option<String>,
    /// The recording's source (`RecordingSource` code) when declared (R2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

const MAX_FIELD_CHARS: usize = 200;

impl UploadMeta {
    /// Checks decoded `Upload-Metadata` pairs. `returned_at` is RFC 3339 or a local
    /// `YYYY-MM-DDTHH:MM[:SS]` in the bureau's time zone (what `<input type=datetime-local>` sends).
    pub fn from_pairs(
        pairs: &[(String, String)],
        tz: &jiff::tz::TimeZone,
    ) -> Result<UploadMeta, UploadError> {
        let bad = |m: String| UploadError::BadMetadata(m);
        let mut meta = UploadMeta::default();
        let mut seen = std::collections::HashSet::new();
        for (key, value) in pairs {
            if !seen.insert(key.as_str()) {
                return Err(bad(format!("元数据项“{key}”重复")));
            }
            let value = value.trim();
            if value.chars().any(char::is_control) {
                return Err(bad(format!("元数据项“{key}”含有控制字符")));
            }
            let text = |label: &str| -> Result<Option<String>, UploadError> {
                if value.chars().count() > MAX_FIELD_CHARS {
                    return Err(bad(format!("{label}过长（最多 {MAX_FIELD_CHARS} 个字符）")));
                }
                Ok((!value.is_empty()).then(|| value.to_owned()))
            };
            match key.as_str() {
                "filename" => {
                    if value.is_empty() || value.contains(['/', '\\']) || value.len() > 255 {
                        return Err(bad(
                            "文件名无效（不能为空、不能含路径、最长 255 字节）".into()
                        ));
                    }
                    meta.filename = value.to_owned();
                }
                "officer" => meta.officer = text("执法人员")?,
                "agency" => meta.agency = text("执法机构")?,
                "police" | "police_number" => {
                    meta.police = crate::police::parse_police_number(value)
                        .map_err(|_| bad(format!("警号“{value}”格式不正确（字母和数字）")))?;
                }
                "device" => meta.device = text("执法记录设备")?,
                "case_name" => meta.case_name = text("案件名称")?,
                "party" => meta.party = text("当事人")?,
                "camera_operator" => meta.camera_operator = text("摄录人员")?,
                "source" if value.is_empty() => {}
                "source" => {
                    let source = value
                        .parse::<liuhen_domain::case::RecordingSource>()
                        .map_err(|e| bad(format!("记录来源无效：{e}")))?;
                    meta.source = Some(source.code().to_owned());
                }
                "returned_at" if value.is_empty() => {}
                "returned_at" => {
                    let ts = value.parse::<Timestamp>().ok().or_else(|| {
                        value
                            .parse::<jiff::civil::DateTime>()
                            .ok()
                            .and_then(|dt| tz.to_timestamp(dt).ok())
                    });
                    let Some(ts) = ts else {
                        return Err(bad(format!(
                            "返回时间“{value}”格式不正确，应为 2024-05-01T18:30 形式"
                        )));
                    };
                    meta.returned_at_ms = Some(ts.as_millisecond());
                }
                // Sent by common tus clients; the content decides the type here.
                "filetype" | "type" | "name" => {}
                other => return Err(bad(format!("不支持的元数据项“{other}”"))),
            }
        }
        if meta.filename.is_empty() {
            return Err(bad("缺少文件名（元数据项 filename）".into()));
        }
        Ok(meta)
    }

    fn options(&self, actor: &str) -> IngestOptions {
        IngestOptions {
            actor: actor.to_owned(),
            classification: Classification {
                agency: self.agency.clone(),
                device: self.device.clone(),
                officer: self.officer.clone(),
                case_name: self.case_name.clone(),
                party: self.party.clone(),
                camera_operator: self.camera_operator.clone(),
            },
            returned_at: self
                .returned_at_ms
                .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
            clear_source: false,
            officer_id: self.officer_id.clone(),
            source: self.source.as_deref().and_then(|s| s.parse().ok()),
        }
    }
}

/// What a client learns about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    pub id: String,
    pub length: u64,
    pub offset: u64,
    pub state: UploadState,
    pub record_id: Option<String>,
}

impl From<&UploadRow> for UploadInfo {
    fn from(r: &UploadRow) -> Self {
        Self {
            id: r.id.clone(),
            length: r.length,
            offset: r.offset,
            state: r.state,
            record_id: r.record_id.clone(),
        }
    }
}

/// The hashing state of an upload: SHA-256 and SM3 of the bytes received so far.
#[derive(Default)]
pub(crate) struct UploadHash {
    dual: DualHasher,
}

type Slot = Arc<tokio::sync::Mutex<Option<UploadHash>>>;

/// Per-upload lock and hashing state (in memory; see the module docs).
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Slot>>,
}

impl Sessions {
    fn slot(&self, id: &str) -> Slot {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_owned()).or_default().clone()
    }

    fn lock(&self, id: &str) -> Result<OwnedMutexGuard<Option<UploadHash>>, UploadError> {
        self.slot(id)
            .try_lock_owned()
            .map_err(|_| UploadError::Busy)
    }

    /// Waits (at most `limit`) for whoever holds the upload: a PATCH or the completion
    /// that follows the last byte.
    async fn lock_within(
        &self,
        id: &str,
        limit: std::time::Duration,
    ) -> Result<OwnedMutexGuard<Option<UploadHash>>, UploadError> {
        tokio::time::timeout(limit, self.slot(id).lock_owned())
            .await
            .map_err(|_| UploadError::Busy)
    }

    fn forget(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

/// How a PATCH body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchEnd {
    /// The whole body arrived.
    Complete,
    /// The connection broke: the bytes received are kept (unless a checksum was given).
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOutcome {
    pub offset: u64,
    /// Set when this PATCH completed the upload.
    pub record_id: Option<String>,
    pub duplicate: bool,
}

struct WriterDone {
    file: File,
    hasher: UploadHash,
    chunk_sha: Option<Sha256>,
    written: u64,
    error: Option<std::io::Error>,
}

/// One PATCH in progress: bytes go to a blocking writer (file + hashers) through a small
/// bounded channel, so memory stays at a few MiB whatever the body size.
pub struct PatchWriter {
    custody: Custody,
    row: UploadRow,
    guard: OwnedMutexGuard<Option<UploadHash>>,
    checksum: Option<[u8; 32]>,
    buf: Vec<u8>,
    received: u64,
    tx: Option<mpsc::Sender<Vec<u8>>>,
    task: Option<tokio::task::JoinHandle<WriterDone>>,
}

impl Custody {
    pub fn upload_max_size(&self) -> u64 {
        self.config.uploads.max_size_bytes
    }

    fn upload_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    fn partial_path(&self, id: &str) -> PathBuf {
        self.upload_dir().join(format!("{id}.part"))
    }

    pub async fn create_upload(
        &self,
        who: &Principal,
        length: u64,
        meta: UploadMeta,
    ) -> Result<UploadInfo, AppError> {
        let max = self.upload_max_size();
        if length == 0 {
            return Err(UploadError::Empty.into());
        }
        if length > max {
            return Err(UploadError::TooLarge { length, max }.into());
        }
        let meta = self.writer_classification(who, meta).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let dir = self.upload_dir();
        let path = self.partial_path(&id);
        let p = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            File::create_new(&p)?.sync_all()?;
            File::open(&dir)?.sync_all()
        })
        .await?
        .map_err(|e| AppError::io(&path, e))?;
        let now = self.now();
        let metadata = serde_json::to_string(&meta).expect("metadata serialises");
        let row = UploadRow {
            id: id.clone(),
            owner_id: who.user_id.clone(),
            length,
            offset: 0,
            metadata,
            created_ms: now.as_millisecond(),
            updated_ms: now.as_millisecond(),
            state: UploadState::Active,
            record_id: None,
        };
        let logged = async {
            let mut tx = self.db.begin().await?;
            tx.insert_upload(&row).await?;
            tx.append(
                now,
                NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::UploadStarted,
                    subject: Some(format!("upload:{id}")),
                    details: serde_json::json!({ "length": length, "metadata": meta }),
                },
            )
            .await?;
            tx.commit().await
        };
        if let Err(e) = logged.await {
            let _ = std::fs::remove_file(&path);
            return Err(e.into());
        }
        Ok(UploadInfo::from(&row))
    }

    /// The upload's row, if `who` owns it; refusals are logged like any other.
    async fn owned_upload(&self, who: &Principal, id: &str) -> Result<UploadRow, AppError> {
        let row = match uuid::Uuid::parse_str(id) {
            Ok(u) if u.to_string() == id => self.db.upload(id).await?,
            _ => None,
        };
        let row = row.ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
        if row.owner_id != who.user_id {
            let mut tx = self.db.begin().await?;
            tx.append(
                self.now(),
                NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::AccessRefused,
                    subject: Some(format!("upload:{id}")),
                    details: serde_json::json!({ "action": "upload.write", "reason": "not_owner" }),
                },
            )
            .await?;
            tx.commit().await?;
            return Err(UploadError::NotOwner.into());
        }
        Ok(row)
    }

    /// HEAD: the durable offset. An upload whose bytes are all in but whose completion was
    /// interrupted (crash) is completed now.
    pub async fn upload_status(&self, who: &Principal, id: &str) -> Result<UploadInfo, AppError> {
        let row = self.owned_upload(who, id).await?;
        if row.state == UploadState::Active && row.offset == row.length {
            // Every byte is there but the record is not yet: someone is finishing it (the
            // PATCH that sent the last byte, or the sweep after a restart), or nobody is.
            // Never answer "offset = length" without the record id: wait for the finisher
            // and read again, or finish it here; still busy after the wait → 423 Locked.
            let guard = self
                .uploads
                .lock_within(id, std::time::Duration::from_secs(20))
                .await?;
            let row = self
                .db
                .upload(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
            if row.state != UploadState::Active {
                return Ok(UploadInfo::from(&row));
            }
            let (record_id, _) = self.complete_upload(&row, guard, None).await?;
            let mut info = UploadInfo::from(&row);
            info.state = UploadState::Completed;
            info.record_id = Some(record_id);
            return Ok(info);
        }
        Ok(UploadInfo::from(&row))
    }

    /// Starts a PATCH at `offset`; `checksum` is the SHA-256 the whole body must have.
    pub async fn begin_patch(
        &self,
        who: &Principal,
        id: &str,
        offset: u64,
        checksum: Option<[u8; 32]>,
    ) -> Result<PatchWriter, AppError> {
        let row = self.owned_upload(who, id).await?;
        if row.state != UploadState::Active {
            return Err(UploadError::Closed(row.state.as_str()).into());
        }
        let mut guard = self.uploads.lock(id)?;
        // Re-read under the lock: a PATCH that just ended may have moved the offset.
        let row = self
            .db
            .upload(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
        if offset != row.offset {
            return Err(UploadError::OffsetMismatch {
                current: row.offset,
                given: offset,
            }
            .into());
        }
        let hasher = match guard.take() {
            Some(h) if h.dual.len() == row.offset => Some(h),
            _ => None,
        };
        let path = self.partial_path(id);
        let (file, hasher) = if row.offset == row.length {
            // Nothing may be written any more (the file may already be a blob).
            (
                File::open(&path).map_err(|e| AppError::io(&path, e))?,
                hasher.unwrap_or_default(),
            )
        } else {
            let p = path.clone();
            let len = row.offset;
            tokio::task::spawn_blocking(move || reopen_partial(&p, len, hasher))
                .await?
                .map_err(|e| AppError::io(&path, e))?
        };
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(4);
        let start = row.offset;
        let task = tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt as _;
            let mut scratch = Vec::new();
            let mut done = WriterDone {
                file,
                hasher,
                chunk_sha: checksum.map(|_| Sha256::new()),
                written: 0,
                error: None,
            };
            while let Some(buf) = rx.blocking_recv() {
                // Written, then read back and compared with what is hashed: the file
                // the blob store adopts is byte for byte what the digests describe.
                scratch.resize(buf.len(), 0);
                let pos = start + done.written;
                let checked = done
                    .file
                    .write_all(&buf)
                    .and_then(|()| done.file.read_exact_at(&mut scratch, pos))
                    .and_then(|()| {
                        if scratch == buf {
                            Ok(())
                        } else {
                            Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                "the partial file does not read back as written",
                            ))
                        }
                    });
                if let Err(e) = checked {
                    done.error = Some(e);
                    break;
                }
                done.written += buf.len() as u64;
                if let Some(s) = done.chunk_sha.as_mut() {
                    s.update(&buf);
                }
                done.hasher.dual.update_shared(Arc::new(buf));
            }
            done
        });
        Ok(PatchWriter {
            custody: self.clone(),
            row,
            guard,
            checksum,
            buf: Vec::with_capacity(CHUNK_SIZE),
            received: 0,
            tx: Some(tx),
            task: Some(task),
        })
    }

    /// DELETE (tus termination): the partial data is removed, the end is logged.
    pub async fn terminate_upload(&self, who: &Principal, id: &str) -> Result<(), AppError> {
        let row = self.owned_upload(who, id).await?;
        if row.state != UploadState::Active {
            return Err(UploadError::Closed(row.state.as_str()).into());
        }
        let _guard = self.uploads.lock(id)?;
        self.close_upload(&row, UploadState::Terminated, &who.user_id, "terminated")
            .await
    }

    async fn close_upload(
        &self,
        row: &UploadRow,
        state: UploadState,
        actor: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if tx
            .close_upload(&row.id, state, None, now.as_millisecond())
            .await?
        {
            tx.append(
                now,
                NewEntry {
                    actor: actor.to_owned(),
                    action: AuditAction::UploadTerminated,
                    subject: Some(format!("upload:{}", row.id)),
                    details: serde_json::json!({
                        "reason": reason,
                        "offset": row.offset,
                        "length": row.length,
                        "owner": row.owner_id,
                    }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.uploads.forget(&row.id);
        let path = self.partial_path(&row.id);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(path = %path.display(), error = %e, "cannot remove partial upload");
        }
        Ok(())
    }

    /// Expires active uploads idle for longer than the configured period, and completes
    /// uploads whose last step was interrupted. Returns how many were expired.
    pub async fn sweep_uploads(&self, now: Timestamp) -> Result<usize, AppError> {
        for row in self.db.complete_unfinished_uploads().await? {
            if let Ok(guard) = self.uploads.lock(&row.id)
                && let Err(e) = self.complete_upload(&row, guard, None).await
            {
                tracing::error!(upload = %row.id, error = %crate::error_chain(&e), "completing an upload failed");
            }
        }
        let hours = i64::from(self.config.uploads.idle_expiry_hours);
        let before = now.as_millisecond() - hours * 3_600_000;
        let mut expired = 0;
        for row in self.db.idle_uploads(before).await? {
            let Ok(_guard) = self.uploads.lock(&row.id) else {
                continue;
            };
            self.close_upload(&row, UploadState::Expired, "system", "expired")
                .await?;
            tracing::info!(upload = %row.id, owner = %row.owner_id, offset = row.offset,
                length = row.length, "expired an idle upload");
            expired += 1;
        }
        Ok(expired)
    }

    /// The last step: probe, adopt into the blob store, and in one transaction the record
    /// (or the duplicate entry) and the upload's completion.
    async fn complete_upload(
        &self,
        row: &UploadRow,
        guard: OwnedMutexGuard<Option<UploadHash>>,
        digests: Option<Digests>,
    ) -> Result<(String, bool), AppError> {
        let path = self.partial_path(&row.id);
        let meta: UploadMeta = serde_json::from_str(&row.metadata)
            .map_err(|e| AppError::Invalid(format!("stored metadata of upload {}: {e}", row.id)))?;
        let digests = match digests {
            Some(d) => d,
            None => {
                let p = path.clone();
                tokio::task::spawn_blocking(move || liuhen_blob::hash_reader(&mut File::open(&p)?))
                    .await?
                    .map_err(|e| AppError::io(&path, e))?
            }
        };
        let info = self.probe_file(&path).await?;
        let retain_until = self.retain_until_for(&info, self.now());
        let blobs = self.blobs.clone();
        let p = path.clone();
        // The file's content is what was hashed (each write was read back and compared, or
        // the digests were just taken from the file): the store checks the size only.
        tokio::task::spawn_blocking(move || blobs.adopt(&p, &digests, retain_until, true))
            .await??;

        let source = format!("upload:{}", row.id);
        let opts = meta.options(&row.owner_id);
        let mut tx = self.db.begin().await?;
        let stored = Stored {
            source: &source,
            original_name: &meta.filename,
            info,
            digests,
            retain_until,
        };
        let (status, record) = self.commit_stored(&mut tx, stored, &opts).await?;
        tx.close_upload(
            &row.id,
            UploadState::Completed,
            Some(record.id.as_str()),
            self.now().as_millisecond(),
        )
        .await?;
        tx.commit().await?;
        drop(guard);
        self.uploads.forget(&row.id);
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a completed upload file");
        }
        Ok((record.id.to_string(), status == FileStatus::Duplicate))
    }
}

/// Opens a partial file for appending at `len`, dropping bytes past it (written but never
/// acknowledged), and brings the hashing state to `len` if it was lost.
fn reopen_partial(
    path: &std::path::Path,
    len: u64,
    hasher: Option<UploadHash>,
) -> std::io::Result<(File, UploadHash)> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let actual = file.metadata()?.len();
    if actual < len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("partial upload has {actual} bytes, its offset is {len}"),
        ));
    }
    if actual > len {
        file.set_len(len)?;
    }
    let hasher = match hasher {
        Some(h) => h,
        None => {
            let mut h = UploadHash::default();
            file.seek(SeekFrom::Start(0))?;
            let mut src = std::io::Read::take(&mut file, len);
            loop {
                let mut buf = vec![0u8; CHUNK_SIZE];
                let n = read_full(&mut src, &mut buf)?;
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                h.dual.update_shared(Arc::new(buf));
            }
            h
        }
    };
    file.seek(SeekFrom::Start(len))?;
    Ok((file, hasher))
}

fn read_full(src: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl PatchWriter {
    pub fn offset(&self) -> u64 {
        self.row.offset
    }

    /// Takes the next piece of the body; refuses bytes past `Upload-Length`.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), AppError> {
        let room = self.row.length - self.row.offset - self.received;
        if data.len() as u64 > room {
            return Err(UploadError::ExceedsLength.into());
        }
        self.received += data.len() as u64;
        let mut data = data;
        while !data.is_empty() {
            let take = (CHUNK_SIZE - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == CHUNK_SIZE {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), AppError> {
        let buf = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_SIZE));
        if buf.is_empty() {
            return Ok(());
        }
        let tx = self.tx.as_ref().expect("writer open");
        if tx.send(buf).await.is_err() {
            // The writer stopped on an IO error; `finish` reports it.
            return Err(AppError::Task("upload writer stopped".into()));
        }
        Ok(())
    }

    /// Drops everything this PATCH wrote (rejected chunk or failed write).
    pub async fn discard(self) -> Result<(), AppError> {
        let mut this = self;
        let done = this.stop().await?;
        this.rollback(done).await
    }

    async fn stop(&mut self) -> Result<WriterDone, AppError> {
        self.tx = None;
        let task = self.task.take().expect("writer stopped once");
        Ok(task.await?)
    }

    async fn rollback(mut self, done: WriterDone) -> Result<(), AppError> {
        let len = self.row.offset;
        let path = self.custody.partial_path(&self.row.id);
        // The hashing state saw the discarded bytes: it is dropped and rebuilt on the next PATCH.
        drop(done.hasher);
        *self.guard = None;
        let file = done.file;
        tokio::task::spawn_blocking(move || {
            file.set_len(len)?;
            file.sync_all()
        })
        .await?
        .map_err(|e| AppError::io(&path, e))
    }

    /// Ends the PATCH: durable bytes advance the offset; the last byte completes the upload.
    pub async fn finish(mut self, end: PatchEnd) -> Result<PatchOutcome, AppError> {
        let flushed = self.flush().await;
        let mut done = self.stop().await?;
        if let Some(e) = done.error.take() {
            let path = self.custody.partial_path(&self.row.id);
            self.rollback(done).await?;
            return Err(AppError::io(&path, e));
        }
        flushed?;
        if let Some(expected) = self.checksum {
            let complete = end == PatchEnd::Complete;
            let actual: [u8; 32] = done
                .chunk_sha
                .take()
                .map(|s| s.finalize().into())
                .unwrap_or_default();
            if !complete || actual != expected {
                let offset = self.row.offset;
                self.rollback(done).await?;
                return if complete {
                    Err(UploadError::ChecksumMismatch.into())
                } else {
                    Ok(PatchOutcome {
                        offset,
                        record_id: None,
                        duplicate: false,
                    })
                };
            }
        }
        let path = self.custody.partial_path(&self.row.id);
        let file = done.file;
        if done.written > 0 {
            tokio::task::spawn_blocking(move || file.sync_data())
                .await?
                .map_err(|e| AppError::io(&path, e))?;
        }
        let offset = self.row.offset + done.written;
        let c = self.custody.clone();
        c.db.set_upload_offset(&self.row.id, offset, c.now().as_millisecond())
            .await?;
        let mut row = self.row.clone();
        row.offset = offset;
        if offset < row.length {
            *self.guard = Some(done.hasher);
            return Ok(PatchOutcome {
                offset,
                record_id: None,
                duplicate: false,
            });
        }
        let digests =
            (done.hasher.dual.len() == row.length).then(|| done.hasher.dual.finish_digests());
        let (record_id, duplicate) = c.complete_upload(&row, self.guard, digests).await?;
        Ok(PatchOutcome {
            offset,
            record_id: Some(record_id),
            duplicate,
        })
    }
}

#[cfg(test)]
#[path = "uploads_crash_tests.rs"]
mod crash_tests;
