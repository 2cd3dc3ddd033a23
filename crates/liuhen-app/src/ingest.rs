//! Ingest (R2.6, R3.2–R3.4): originals from files or whole camera folders into custody.
//!
//! Per file: probe the metadata, stream the bytes once into the blob store (which hashes
//! SHA-256 and SM3 on the way), then in ONE transaction record the row and its audit entry.
//! A file is reported done only after that commit. A crash at any point leaves either
//! nothing, or a durable blob without a row (the rerun binds it), never a partial blob.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_blob::{Digests, PutOutcome};
use liuhen_db::{NewEntry, Tx, record_row_hash, record_snapshot};
use liuhen_domain::{
    AuditAction, Classification, MediaKind, Record, RecordId, TechnicalMetadata, rules,
};
use liuhen_media::{MediaInfo, ProbeConfig};
use serde::Serialize;

use crate::{AppError, Custody};

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Who is ingesting (for the log).
    pub actor: String,
    /// Classification given on the command line; wins over device defaults and metadata.
    pub classification: Classification,
    /// Declared return from out-of-town work (R3.3): lateness counts from here.
    pub returned_at: Option<Timestamp>,
    /// Delete each source file once its stored copy is read back and both digests match.
    pub clear_source: bool,
    /// The officer's account when the caller already knows it (a web upload checked it);
    /// `None`: the officer's name (given, or the device's binding) is mapped to the one
    /// account of the unit carrying it, else the record is nobody's own (issue 10.1).
    pub officer_id: Option<String>,
    /// The recording's source as declared (upload form, `--source`); `None`: from the
    /// device registry (R2.1).
    pub source: Option<liuhen_domain::case::RecordingSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// A new original is in custody.
    Stored,
    /// The same content was already in custody; logged as a duplicate.
    Duplicate,
    /// This very source file was ingested by an earlier run; nothing to do.
    AlreadyDone,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub status: FileStatus,
    pub size: u64,
    pub record_id: Option<String>,
    pub sha256: Option<String>,
    pub sm3: Option<String>,
    pub kind: Option<&'static str>,
    pub late: bool,
    pub lateness_ms: Option<i64>,
    pub probe_error: Option<String>,
    pub source_cleared: bool,
    pub error: Option<String>,
}

impl FileReport {
    pub(crate) fn failed(path: &Path, size: u64, error: String) -> Self {
        Self {
            path: path.display().to_string(),
            status: FileStatus::Failed,
            size,
            record_id: None,
            sha256: None,
            sm3: None,
            kind: None,
            late: false,
            lateness_ms: None,
            probe_error: None,
            source_cleared: false,
            error: Some(error),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub files: usize,
    pub bytes: u64,
    pub stored: usize,
    pub duplicates: usize,
    pub already_done: usize,
    pub failed: usize,
    pub late: usize,
    pub probe_errors: usize,
    pub reports: Vec<FileReport>,
}

/// Progress of an ingest, for a progress bar or a JSON stream. All methods default to no-ops.
pub trait Observer: Send + Sync {
    fn planned(&self, _files: usize, _bytes: u64) {}
    fn file_started(&self, _path: &Path, _size: u64) {}
    fn bytes(&self, _n: u64) {}
    fn file_finished(&self, _report: &FileReport) {}
}

pub struct NoProgress;
impl Observer for NoProgress {}

/// A durable blob and where it came from, ready to be recorded.
pub(crate) struct Stored<'a> {
    /// Where the bytes came from, for the log (a path, or `upload:<id>`).
    pub source: &'a str,
    pub original_name: &'a str,
    pub info: MediaInfo,
    pub digests: Digests,
    pub retain_until: Timestamp,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub size: u64,
}

/// Expands files and folders (recursively, sorted, symlinks not followed) into the files to
/// ingest. Paths that cannot be read become failures, so one bad path never stops the rest.
pub fn plan(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<FileReport>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for p in paths {
        walk(p, &mut files, &mut failures);
    }
    (files, failures)
}

fn walk(p: &Path, files: &mut Vec<SourceFile>, failures: &mut Vec<FileReport>) {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => return failures.push(FileReport::failed(p, 0, format!("cannot read: {e}"))),
    };
    if meta.is_file() {
        files.push(SourceFile {
            path: p.to_owned(),
            size: meta.len(),
        });
    } else if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                return failures.push(FileReport::failed(p, 0, format!("cannot list folder: {e}")));
            }
        };
        entries.sort();
        for e in entries {
            walk(&e, files, failures);
        }
    }
    // Symlinks, sockets and devices are not recordings; they are skipped silently.
}

impl Custody {
    /// Ingests every planned file in order; one failing file never stops the others.
    pub async fn ingest(
        &self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        observer: Arc<dyn Observer>,
    ) -> IngestSummary {
        let (files, failures) = plan(paths);
        let mut summary = IngestSummary {
            files: files.len() + failures.len(),
            bytes: files.iter().map(|f| f.size).sum(),
            ..Default::default()
        };
        observer.planned(summary.files, summary.bytes);
        for report in failures {
            let report = self.log_failure(report, opts).await;
            observer.file_finished(&report);
            summary.add(report);
        }
        // Files in flight at once: one file's probe and fsyncs overlap another's hashing.
        // Commits stay serialised by the log head; each file is reported after its own.
        let in_flight = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        let mut running = tokio::task::JoinSet::new();
        let mut pending = files.into_iter();
        loop {
            while running.len() < in_flight {
                let Some(file) = pending.next() else { break };
                observer.file_started(&file.path, file.size);
                let (custody, opts, observer) = (self.clone(), opts.clone(), observer.clone());
                running.spawn(async move {
                    let result = custody.ingest_file(&file, &opts, observer).await;
                    (file, result)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let report = match joined {
                Ok((_, Ok(report))) => report,
                Ok((file, Err(e))) => {
                    let report = FileReport::failed(&file.path, file.size, error_chain(&e));
                    self.log_failure(report, opts).await
                }
                Err(e) => {
                    let report =
                        FileReport::failed(Path::new("?"), 0, format!("ingest task failed: {e}"));
                    self.log_failure(report, opts).await
                }
            };
            observer.file_finished(&report);
            summary.add(report);
        }
        summary
    }

    pub(crate) async fn log_failure(
        &self,
        mut report: FileReport,
        opts: &IngestOptions,
    ) -> FileReport {
        let entry = NewEntry {
            actor: opts.actor.clone(),
            action: AuditAction::IngestFailed,
            subject: Some(format!("source:{}", report.path)),
            details: serde_json::json!({ "source": report.path, "error": report.error }),
        };
        let logged = async {
            let mut tx = self.db.begin().await?;
            tx.append(self.now(), entry).await?;
            tx.commit().await
        };
        if let Err(e) = logged.await {
            let first = report.error.take().unwrap_or_default();
            report.error = Some(format!("{first}; and the failure could not be logged: {e}"));
        }
        report
    }

    /// Ingests one file. `Err` only for failures to be reported against this file.
    pub async fn ingest_file(
        &self,
        file: &SourceFile,
        opts: &IngestOptions,
        observer: Arc<dyn Observer>,
    ) -> Result<FileReport, AppError> {
        let source_key = source_key(&file.path)?;
        if let Some(id) = self.db.source_record(&source_key).await? {
            let id = RecordId::parse(&id).map_err(|e| AppError::Invalid(e.to_string()))?;
            if let Some((record, _)) = self.db.record(&id).await? {
                observer.bytes(file.size);
                let mut report = report_for(&file.path, FileStatus::AlreadyDone, &record);
                if opts.clear_source {
                    let source = hash_file(&file.path).await?;
                    let digests = Digests {
                        sha256: record.sha256,
                        sm3: record.sm3,
                        size: record.size_bytes,
                    };
                    if source != digests {
                        return Err(AppError::Invalid(format!(
                            "source changed since it was ingested as record {id}; not cleared"
                        )));
                    }
                    report.source_cleared = self.clear_source(&file.path, &record, opts).await?;
                }
                return Ok(report);
            }
        }

        let info = self.probe_file(&file.path).await?;
        let retain_until = self.retain_until_for(&info, self.now());

        let blobs = self.blobs.clone();
        let path = file.path.clone();
        let obs = observer.clone();
        let put: PutOutcome = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::open(&path).map_err(|e| AppError::io(&path, e))?;
            let mut reader = CountingReader {
                inner: f,
                observer: obs,
            };
            blobs.put(&mut reader, retain_until).map_err(AppError::from)
        })
        .await??;

        let source = file.path.display().to_string();
        let original_name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let stored = Stored {
            source: &source,
            original_name: &original_name,
            info,
            digests: put.digests,
            retain_until,
        };
        let (status, record) = self.commit_stored(&mut tx, stored, opts).await?;
        tx.remember_source(&source_key, record.id.as_str(), self.now().as_millisecond())
            .await?;
        tx.commit().await?;

        let mut report = report_for(&file.path, status, &record);
        if opts.clear_source {
            report.source_cleared = self
                .verified_clear(&file.path, &record, &put.digests, opts)
                .await?;
        }
        Ok(report)
    }

    /// Probes a file (ffprobe with its timeout, else the builtin parser); never fails on
    /// odd content.
    pub(crate) async fn probe_file(&self, path: &Path) -> Result<MediaInfo, AppError> {
        let probe_cfg = self.probe_config();
        let path = path.to_owned();
        Ok(tokio::task::spawn_blocking(move || liuhen_media::probe(&path, &probe_cfg)).await?)
    }

    /// A new record's retain-until: the own minimum (R3.5) from its record date and from
    /// `now`, the day it enters custody, whatever the camera's clock said (a 2017 clip
    /// ingested today is kept 3 years from today, not until 2020). Its cases come later.
    pub(crate) fn retain_until_for(&self, info: &MediaInfo, now: Timestamp) -> Timestamp {
        liuhen_domain::retention::retention(
            &self.retention_rules(),
            &liuhen_domain::retention::RecordFacts {
                capture: info.capture_end.or(info.capture_start),
                stored_at: now,
                cases: &[],
                held: false,
            },
            now,
            &self.tz(),
        )
        .until
    }

    /// The common tail of every ingest (CLI file or web upload), inside the caller's
    /// transaction: a duplicate is logged against the existing record; new content gets
    /// its row and its `record.ingested` entry. The caller adds its own rows and commits.
    pub(crate) async fn commit_stored(
        &self,
        tx: &mut Tx,
        s: Stored<'_>,
        opts: &IngestOptions,
    ) -> Result<(FileStatus, Record), AppError> {
        let stored_at = self.now();
        if let Some(existing) = tx.record_by_sha256(&s.digests.sha256).await? {
            tx.append(
                stored_at,
                NewEntry {
                    actor: opts.actor.clone(),
                    action: AuditAction::RecordDuplicate,
                    subject: Some(format!("record:{}", existing.id)),
                    details: serde_json::json!({
                        "source": s.source,
                        "sha256": s.digests.sha256.to_hex(),
                        "size_bytes": s.digests.size,
                    }),
                },
            )
            .await?;
            return Ok((FileStatus::Duplicate, existing));
        }
        let mut record = self.build_record(
            s.original_name,
            opts,
            s.info,
            &s.digests,
            stored_at,
            s.retain_until,
        );
        let c = &record.classification;
        record.officer_id = match &opts.officer_id {
            Some(id) => Some(id.clone()),
            None => {
                self.officer_account(c.agency.as_deref(), c.officer.as_deref())
                    .await?
            }
        };
        let entry = tx
            .append(
                stored_at,
                NewEntry {
                    actor: opts.actor.clone(),
                    action: AuditAction::RecordIngested,
                    subject: Some(format!("record:{}", record.id)),
                    details: serde_json::json!({
                        "source": s.source,
                        "record": record_snapshot(&record),
                        "row_hash": record_row_hash(&record),
                    }),
                },
            )
            .await?;
        tx.insert_record(&record, entry.seq).await?;
        Ok((FileStatus::Stored, record))
    }

    fn build_record(
        &self,
        original_name: &str,
        opts: &IngestOptions,
        info: MediaInfo,
        digests: &Digests,
        stored_at: Timestamp,
        retain_until: Timestamp,
    ) -> Record {
        let tz = self.tz();
        let capture_end = info.capture_end.or(info.capture_start);
        let deadline =
            SignedDuration::from_hours(i64::from(self.config.custody.ingest_deadline_hours));
        let lateness = rules::lateness(capture_end, opts.returned_at, stored_at, deadline);
        let classification = self.classify(&opts.classification, &info);
        Record {
            id: RecordId::parse(&uuid::Uuid::now_v7().to_string())
                .expect("uuid formats as a record id"),
            sha256: digests.sha256,
            sm3: digests.sm3,
            size_bytes: digests.size,
            kind: info.kind.unwrap_or(MediaKind::Other),
            original_name: original_name.to_owned(),
            record_date: Some(rules::record_date(info.capture_start, stored_at, &tz)),
            media: TechnicalMetadata {
                container: info.container,
                video_codec: info.video_codec,
                audio_codec: info.audio_codec,
                width: info.width,
                height: info.height,
                duration_ms: info.duration_ms,
                capture_start: info.capture_start,
                capture_end: info.capture_end,
                device_make: info.make,
                device_model: info.model,
                device_serial: info.serial,
                prober: info.prober.to_owned(),
                probe_error: info.probe_error,
            },
            classification,
            officer_id: None,
            stored_at,
            returned_at: opts.returned_at,
            lateness_ms: lateness.delay_ms,
            late: lateness.late,
            retain_until,
            source: opts.source,
        }
    }

    /// Flags first, then the device's configured defaults, then what the file says.
    fn classify(&self, flags: &Classification, info: &MediaInfo) -> Classification {
        let by_serial = info
            .serial
            .as_deref()
            .and_then(|s| self.config.device_for_serial(s));
        let by_name = flags
            .device
            .as_deref()
            .and_then(|n| self.config.device_by_name(n));
        let device = by_name.or(by_serial);
        let from_meta = match (&info.make, &info.model, &info.serial) {
            (_, _, Some(serial)) => Some(serial.clone()),
            (Some(make), Some(model), None) => Some(format!("{make} {model}")),
            (None, Some(model), None) => Some(model.clone()),
            _ => None,
        };
        let pick = |flag: &Option<String>, dev: Option<&Option<String>>| {
            flag.clone().or_else(|| dev.and_then(|d| d.clone()))
        };
        Classification {
            agency: pick(&flags.agency, device.map(|d| &d.agency)),
            device: pick(&flags.device, device.map(|d| &d.name)).or(from_meta),
            officer: pick(&flags.officer, device.map(|d| &d.officer)),
            case_name: flags.case_name.clone(),
            party: flags.party.clone(),
            camera_operator: flags.camera_operator.clone(),
        }
    }

    async fn verified_clear(
        &self,
        path: &Path,
        record: &Record,
        source: &Digests,
        opts: &IngestOptions,
    ) -> Result<bool, AppError> {
        let blobs = self.blobs.clone();
        let sha = record.sha256;
        let stored = tokio::task::spawn_blocking(move || blobs.rehash(&sha)).await??;
        if &stored != source {
            return Err(AppError::Invalid(format!(
                "stored copy read back as SHA-256 {} / SM3 {}, source was {} / {}; source kept",
                stored.sha256, stored.sm3, source.sha256, source.sm3
            )));
        }
        self.clear_source(path, record, opts).await
    }

    pub(crate) async fn clear_source(
        &self,
        path: &Path,
        record: &Record,
        opts: &IngestOptions,
    ) -> Result<bool, AppError> {
        std::fs::remove_file(path).map_err(|e| AppError::io(path, e))?;
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: opts.actor.clone(),
                action: AuditAction::SourceCleared,
                subject: Some(format!("record:{}", record.id)),
                details: serde_json::json!({
                    "source": path.display().to_string(),
                    "sha256": record.sha256.to_hex(),
                    "sm3": record.sm3.to_hex(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) fn tz(&self) -> jiff::tz::TimeZone {
        self.config.utc_offset().unwrap_or(jiff::tz::TimeZone::UTC)
    }

    fn probe_config(&self) -> ProbeConfig {
        let mut cfg = ProbeConfig::detect();
        cfg.timeout =
            std::time::Duration::from_secs(u64::from(self.config.custody.probe_timeout_seconds));
        cfg
    }
}

fn report_for(path: &Path, status: FileStatus, r: &Record) -> FileReport {
    FileReport {
        path: path.display().to_string(),
        status,
        size: r.size_bytes,
        record_id: Some(r.id.to_string()),
        sha256: Some(r.sha256.to_hex()),
        sm3: Some(r.sm3.to_hex()),
        kind: Some(r.kind.as_str()),
        late: r.late,
        lateness_ms: r.lateness_ms,
        probe_error: r.media.probe_error.clone(),
        source_cleared: false,
        error: None,
    }
}

impl IngestSummary {
    fn add(&mut self, r: FileReport) {
        match r.status {
            FileStatus::Stored => self.stored += 1,
            FileStatus::Duplicate => self.duplicates += 1,
            FileStatus::AlreadyDone => self.already_done += 1,
            FileStatus::Failed => self.failed += 1,
        }
        if r.late && r.status == FileStatus::Stored {
            self.late += 1;
        }
        if r.probe_error.is_some() && r.status == FileStatus::Stored {
            self.probe_errors += 1;
        }
        self.reports.push(r);
    }
}

/// Identity of a source file for rerun detection: absolute path, size, modification time.
fn source_key(path: &Path) -> Result<String, AppError> {
    let abs = std::fs::canonicalize(path).map_err(|e| AppError::io(path, e))?;
    let meta = std::fs::metadata(&abs).map_err(|e| AppError::io(path, e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(format!("{}|{}|{}", abs.display(), meta.len(), mtime))
}

pub(crate) async fn hash_file(path: &Path) -> Result<Digests, AppError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut f = std::fs::File::open(&path).map_err(|e| AppError::io(&path, e))?;
        liuhen_blob::hash_reader(&mut f).map_err(|e| AppError::io(&path, e))
    })
    .await?
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

struct CountingReader<R> {
    inner: R,
    observer: Arc<dyn Observer>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observer.bytes(n as u64);
        Ok(n)
    }
}
