//! Resumable uploads (the use cases behind tus 1.0 at `/api/v1/uploads`).
//!
//! An upload is a row (`uploads`) and a partial file `<staging dir>/<id>.part` (`[uploads]
//! staging_dir`, default `<data dir>/uploads`; with several servers a directory all of them
//! reach). Every PATCH, completion, termination and expiry holds the upload's lease in the
//! database ([`lease`]) besides the in-process lock, so two servers never write one upload
//! at once: the second request is refused `Busy`. A PATCH streams its body into the file in 1 MiB pieces while SHA-256 and SM3 continue
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

mod lease;
mod meta;
mod patch;
mod sessions;

pub(crate) use lease::{Lease, lease_holder};
pub use liuhen_db::UploadState;
pub use meta::{UploadInfo, UploadMeta};
pub use patch::{PatchEnd, PatchOutcome, PatchWriter};
pub(crate) use sessions::{Sessions, UploadHash};

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
    /// This request's lease lapsed and another request took the upload over.
    #[error("the upload was taken over by another request")]
    LeaseLost,
    #[error("the upload is {0}")]
    Closed(&'static str),
    #[error("the upload belongs to another user")]
    NotOwner,
}

impl Custody {
    pub fn upload_max_size(&self) -> u64 {
        self.config.uploads.max_size_bytes
    }

    fn upload_dir(&self) -> PathBuf {
        self.config.staging_dir(&self.data_dir)
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
            let wait = std::time::Duration::from_secs(20);
            let guard = self.uploads.lock_within(id, wait).await?;
            // The finisher may be another server: its lease is in the database.
            let lease = match self.take_lease_within(id, wait).await {
                Ok(lease) => Some(lease),
                // Not active any more: finished (or ended) meanwhile.
                Err(AppError::Upload(UploadError::Busy)) => None,
                Err(e) => return Err(e),
            };
            let row = self
                .db
                .upload(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("upload {id}")))?;
            let Some(lease) = lease else {
                if row.state == UploadState::Active {
                    return Err(UploadError::Busy.into());
                }
                return Ok(UploadInfo::from(&row));
            };
            if row.state != UploadState::Active {
                self.release_lease(id, lease).await;
                return Ok(UploadInfo::from(&row));
            }
            let (record_id, _) = self.complete_upload(&row, guard, lease, None).await?;
            let mut info = UploadInfo::from(&row);
            info.state = UploadState::Completed;
            info.record_id = Some(record_id);
            return Ok(info);
        }
        Ok(UploadInfo::from(&row))
    }

    /// DELETE (tus termination): the partial data is removed, the end is logged.
    pub async fn terminate_upload(&self, who: &Principal, id: &str) -> Result<(), AppError> {
        let row = self.owned_upload(who, id).await?;
        if row.state != UploadState::Active {
            return Err(UploadError::Closed(row.state.as_str()).into());
        }
        let _guard = self.uploads.lock(id)?;
        let lease = self.take_lease(id).await?;
        let closed = self
            .close_upload(&row, UploadState::Terminated, &who.user_id, "terminated")
            .await;
        if closed.is_err() {
            self.release_lease(id, lease).await;
        }
        closed
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
                && let Ok(lease) = self.take_lease(&row.id).await
                && let Err(e) = self.complete_upload(&row, guard, lease, None).await
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
            let Ok(lease) = self.take_lease(&row.id).await else {
                continue;
            };
            if let Err(e) = self
                .close_upload(&row, UploadState::Expired, "system", "expired")
                .await
            {
                self.release_lease(&row.id, lease).await;
                return Err(e);
            }
            tracing::info!(upload = %row.id, owner = %row.owner_id, offset = row.offset,
                length = row.length, "expired an idle upload");
            expired += 1;
        }
        Ok(expired)
    }

    /// The last step, under the upload's lease (kept alive meanwhile: adopting a large
    /// file into S3 takes longer than a lease): probe, adopt into the blob store, and in
    /// one transaction the record (or the duplicate entry) and the upload's completion,
    /// which ends the lease.
    async fn complete_upload(
        &self,
        row: &UploadRow,
        guard: OwnedMutexGuard<Option<UploadHash>>,
        lease: Lease,
        digests: Option<Digests>,
    ) -> Result<(String, bool), AppError> {
        let keep = self.keep_lease_alive(&row.id, &lease);
        let done = self.adopt_upload(row, &lease, digests).await;
        keep.abort();
        drop(guard);
        let path = self.partial_path(&row.id);
        if done.is_err() {
            self.release_lease(&row.id, lease).await;
            return done;
        }
        self.uploads.forget(&row.id);
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a completed upload file");
        }
        done
    }

    async fn adopt_upload(
        &self,
        row: &UploadRow,
        lease: &Lease,
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
        // Fenced: only the lease's holder completes the upload (else nothing commits).
        if !tx
            .complete_upload(
                &row.id,
                &lease.token,
                record.id.as_str(),
                self.now().as_millisecond(),
            )
            .await?
        {
            return Err(UploadError::LeaseLost.into());
        }
        tx.commit().await?;
        Ok((record.id.to_string(), status == FileStatus::Duplicate))
    }
}

#[cfg(test)]
mod crash_tests;
