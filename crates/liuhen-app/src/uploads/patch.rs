//! One PATCH: the body streamed into the partial file through a blocking writer while
//! SHA-256 and SM3 continue, each piece read back; its end (kept, rolled back, or the
//! upload completed).

use super::*;

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
    /// The upload's lease in the database (taken by `begin_patch`, given up or passed on
    /// to the completion by `finish`).
    lease: Option<Lease>,
    checksum: Option<[u8; 32]>,
    buf: Vec<u8>,
    received: u64,
    tx: Option<mpsc::Sender<Vec<u8>>>,
    task: Option<tokio::task::JoinHandle<WriterDone>>,
}

impl Custody {
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
        let guard = self.uploads.lock(id)?;
        let lease = self.take_lease(id).await?;
        match self.start_patch(id, offset, checksum, guard).await {
            Ok((row, guard, tx, task)) => Ok(PatchWriter {
                custody: self.clone(),
                row,
                guard,
                lease: Some(lease),
                checksum,
                buf: Vec::with_capacity(CHUNK_SIZE),
                received: 0,
                tx: Some(tx),
                task: Some(task),
            }),
            Err(e) => {
                self.release_lease(id, lease).await;
                Err(e)
            }
        }
    }

    /// Under the lock and the lease: checks the offset, reopens the partial file (the hashing
    /// state rebuilt from it when this process has none for this offset), starts the writer.
    async fn start_patch(
        &self,
        id: &str,
        offset: u64,
        checksum: Option<[u8; 32]>,
        mut guard: OwnedMutexGuard<Option<UploadHash>>,
    ) -> Result<Started, AppError> {
        // Re-read under the lease: a PATCH that just ended (here or on another server)
        // may have moved the offset.
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
        Ok((row, guard, tx, task))
    }
}

type Started = (
    UploadRow,
    OwnedMutexGuard<Option<UploadHash>>,
    mpsc::Sender<Vec<u8>>,
    tokio::task::JoinHandle<WriterDone>,
);

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
        let lease = self.lease.as_mut().expect("lease held until finish");
        self.custody.renew_lease_if_due(&self.row.id, lease).await?;
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
        let release = self.releaser();
        let mut this = self;
        let out = async {
            let done = this.stop().await?;
            this.rollback(done).await
        }
        .await;
        release.after(out).await
    }

    /// What gives the lease up when this PATCH ends in an error, whichever step failed (a
    /// lease already given up, passed on or taken over is not touched: the token differs).
    fn releaser(&self) -> Releaser {
        Releaser {
            custody: self.custody.clone(),
            id: self.row.id.clone(),
            token: self.lease.as_ref().map(|l| l.token.clone()),
        }
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
        let lease = self.lease.take().expect("lease held until finish");
        // A lease lost to another request: the file is the new holder's now (it drops
        // any bytes past the offset itself when it reopens the file).
        let c = self.custody.clone();
        if !c.still_holds(&self.row.id, &lease).await? {
            return Ok(());
        }
        let file = done.file;
        let cut = tokio::task::spawn_blocking(move || {
            file.set_len(len)?;
            file.sync_all()
        })
        .await?
        .map_err(|e| AppError::io(&path, e));
        c.release_lease(&self.row.id, lease).await;
        cut
    }

    /// Ends the PATCH: durable bytes advance the offset; the last byte completes the upload.
    pub async fn finish(self, end: PatchEnd) -> Result<PatchOutcome, AppError> {
        let release = self.releaser();
        release.after(self.end(end).await).await
    }

    async fn end(mut self, end: PatchEnd) -> Result<PatchOutcome, AppError> {
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
        let lease = self.lease.take().expect("lease held until finish");
        if !c
            .db
            .set_upload_offset(&self.row.id, &lease.token, offset, c.now().as_millisecond())
            .await?
        {
            // Taken over after a lapse: the bytes are not this request's to acknowledge.
            return Err(UploadError::LeaseLost.into());
        }
        let mut row = self.row.clone();
        row.offset = offset;
        if offset < row.length {
            *self.guard = Some(done.hasher);
            drop(self.guard);
            c.release_lease(&row.id, lease).await;
            return Ok(PatchOutcome {
                offset,
                record_id: None,
                duplicate: false,
            });
        }
        let digests =
            (done.hasher.dual.len() == row.length).then(|| done.hasher.dual.finish_digests());
        let (record_id, duplicate) = c.complete_upload(&row, self.guard, lease, digests).await?;
        Ok(PatchOutcome {
            offset,
            record_id: Some(record_id),
            duplicate,
        })
    }
}

struct Releaser {
    custody: Custody,
    id: String,
    token: Option<String>,
}

impl Releaser {
    async fn after<T>(self, out: Result<T, AppError>) -> Result<T, AppError> {
        if out.is_err()
            && let Some(token) = self.token
        {
            self.custody.release_token(&self.id, &token).await;
        }
        out
    }
}
