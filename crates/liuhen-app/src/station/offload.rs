//! The offload of one camera volume: several files in flight at once (bounded, one per
//! core by default) so that SM3 hashing uses every core on a card of many small files; each
//! file is committed on its own through the ordinary ingest and, for a clearing unit, read
//! back and deleted from the card only when both digests match (R3.4).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use liuhen_db::NewEntry;
use liuhen_domain::AuditAction;

use super::{ReadBackFault, Station, mtime_ns};
use crate::ingest::{FileReport, FileStatus, IngestOptions, NoProgress, SourceFile, error_chain};
use crate::{AppError, Custody};

/// What became of one file in flight.
struct Done {
    file: SourceFile,
    key: (PathBuf, u64, u128),
    result: Result<FileReport, AppError>,
    /// `Some` when the file was to be cleared: the outcome of read-back and clearing.
    cleared: Option<Result<(), AppError>>,
}

impl Station {
    /// Offloads the `ready` files of `volume` not yet done in its slot, `files_in_flight`
    /// at a time. Stops starting files once the volume is gone (unplugged).
    pub(super) async fn offload(
        &mut self,
        volume: &Path,
        ready: Vec<SourceFile>,
        opts: &IngestOptions,
        clear: bool,
    ) {
        let configured = self.custody.config.station.files_in_flight as usize;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let in_flight = if configured == 0 { cores } else { configured }.max(1);
        let mut pending = {
            let slot = &self.slots[volume];
            ready
                .into_iter()
                .map(|f| {
                    let key = (f.path.clone(), f.size, mtime_ns(&f.path));
                    (f, key)
                })
                .filter(|(_, key)| !slot.done.contains(key))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let started = Instant::now();
        let mut bytes_now = 0u64;
        let mut unplugged = false;
        let mut running = tokio::task::JoinSet::new();
        loop {
            while !unplugged && running.len() < in_flight {
                let Some((file, key)) = pending.next() else {
                    break;
                };
                if !volume.exists() {
                    unplugged = true;
                    break;
                }
                let (custody, opts) = (self.custody.clone(), opts.clone());
                let fault = self.read_back_fault.clone();
                running.spawn(async move {
                    let result = custody
                        .ingest_file(&file, &opts, Arc::new(NoProgress))
                        .await;
                    let cleared = match &result {
                        Ok(r) if clear && r.status != FileStatus::Failed => Some(
                            custody
                                .read_back_and_clear(&file.path, r, &opts, fault.as_ref())
                                .await,
                        ),
                        _ => None,
                    };
                    Done {
                        file,
                        key,
                        result,
                        cleared,
                    }
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let slot = self.slots.get_mut(volume).expect("offloading a known slot");
            let done = match joined {
                Ok(done) => done,
                Err(e) => {
                    slot.status
                        .problems
                        .push(format!("错误 / error: offload task failed: {e}"));
                    continue;
                }
            };
            match done.result {
                Ok(r) if r.status != FileStatus::Failed => {
                    slot.done.insert(done.key);
                    slot.status.files_done += 1;
                    slot.status.bytes_done += done.file.size;
                    bytes_now += done.file.size;
                    slot.status.speed(bytes_now, started.elapsed());
                    match done.cleared {
                        Some(Ok(())) => slot.status.cleared += 1,
                        Some(Err(e)) => slot.status.problems.push(format!(
                            "{}: {}: {e}",
                            super::slot::KEPT,
                            done.file.path.display()
                        )),
                        None => {}
                    }
                }
                Ok(r) => slot.status.problems.push(r.error.unwrap_or_default()),
                Err(_) if !done.file.path.exists() || !volume.exists() => {
                    // Unplugged mid-file: nothing was committed for it; resumes on return.
                    unplugged = true;
                }
                Err(e) => {
                    let report =
                        FileReport::failed(&done.file.path, done.file.size, error_chain(&e));
                    let report = self.custody.log_failure(report, opts).await;
                    let slot = self.slots.get_mut(volume).expect("offloading a known slot");
                    slot.status.problems.push(report.error.unwrap_or_default());
                }
            }
            if let Some(progress) = &self.progress {
                progress(&self.status());
            }
        }
    }
}

impl Custody {
    /// Where the running station writes its slots (`[station] status_file`).
    pub fn station_status_path(&self) -> PathBuf {
        self.data_dir().join(&self.config.station.status_file)
    }

    /// The slots the running station last wrote, for the `/station` kiosk page: for
    /// whoever may offload recordings (the station's own account on the kiosk). No
    /// station running (no file yet): no slots.
    pub async fn station_slots(
        &self,
        who: &liuhen_domain::authz::Principal,
    ) -> Result<Vec<super::SlotStatus>, AppError> {
        use liuhen_domain::authz::{Action, Target};
        self.authorize(who, Action::UploadRecord, Target::System, Some("station"))
            .await?;
        let path = self.station_status_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| AppError::Invalid(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(AppError::io(&path, e)),
        }
    }

    /// Appends one `station.event` entry.
    pub(crate) async fn station_event(
        &self,
        actor: &str,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        tx.append(
            Timestamp::now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::StationEvent,
                subject: Some(format!(
                    "station:device:{}",
                    details["serial"].as_str().unwrap_or("?")
                )),
                details,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a committed source file only after the stored copy is read back from custody
    /// and both its digests and the source's equal the record's (R3.4).
    pub async fn read_back_and_clear(
        &self,
        path: &Path,
        report: &crate::ingest::FileReport,
        opts: &IngestOptions,
        fault: Option<&ReadBackFault>,
    ) -> Result<(), AppError> {
        let id = report
            .record_id
            .as_deref()
            .ok_or_else(|| AppError::Invalid("no record".into()))?;
        let id =
            liuhen_domain::RecordId::parse(id).map_err(|e| AppError::Invalid(e.to_string()))?;
        let Some((record, _)) = self.db.record(&id).await? else {
            return Err(AppError::Invalid(format!("record {id} not found")));
        };
        let blobs = self.blobs.clone();
        let sha = record.sha256;
        let stored = tokio::task::spawn_blocking(move || blobs.rehash(&sha)).await??;
        let source = crate::ingest::hash_file(path).await?;
        let want = liuhen_blob::Digests {
            sha256: record.sha256,
            sm3: record.sm3,
            size: record.size_bytes,
        };
        let injected = fault.is_some_and(|f| f(path));
        if injected || stored != want || source != want {
            return Err(AppError::Invalid(format!(
                "回读校验不一致，源文件保留 / read-back mismatch (stored {} / {}, source {} / {}); source kept",
                stored.sha256, stored.sm3, source.sha256, source.sm3
            )));
        }
        self.clear_source(path, &record, opts).await.map(|_| ())
    }
}
