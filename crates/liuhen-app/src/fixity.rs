//! Scheduled fixity (R6.2): the server re-hashes every original (SHA-256 and SM3) in a full
//! pass once the last full pass is `[fixity] every_days` old, reading within an I/O budget
//! (`budget_bytes_per_second`) so that playback does not suffer. Each result is logged
//! (`fixity.checked`, or `fixity.failed`, which the alerts show as `integrity_failure`), and
//! each finished pass (`fixity.pass`, subject `fixity`): the log is the only store of the
//! schedule, the health page reads the last pass from it. Derivative blobs without a lock
//! get their original's. A cut download (`crate::fixity::Custody::download_aborted`) is
//! logged as `record.download_aborted`, an alert as well. See `docs/retention.md`.

use std::collections::HashMap;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use liuhen_blob::{BlobError, BlobStore, Rehasher, Sha256Digest};
use liuhen_db::{EntryBody, NewEntry};
use liuhen_domain::{AuditAction, Record};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, Custody};

/// `[fixity]` of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixitySettings {
    pub every_days: u32,
    /// 0: unlimited.
    pub budget_bytes_per_second: u64,
    pub check_every_minutes: u32,
}

impl FixitySettings {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.every_days == 0 || self.check_every_minutes == 0 {
            return Err(
                "fixity.every_days and fixity.check_every_minutes must be at least 1".into(),
            );
        }
        Ok(())
    }
}

/// One original (or derivative) found wrong by a pass.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FixityFinding {
    pub record_id: String,
    /// `blob_corrupt`, `blob_missing` or `blob_unreadable`.
    pub outcome: &'static str,
    pub message: String,
    /// The `fixity.failed` entry.
    pub seq: u64,
}

/// What one pass did.
#[derive(Debug, Clone, Serialize)]
pub struct FixityPassReport {
    pub started: Timestamp,
    pub finished: Timestamp,
    pub originals: u64,
    pub ok: u64,
    pub bytes: u64,
    /// Wall time of the reading, seconds (the I/O budget shows here).
    pub seconds: f64,
    pub derivative_locks: u64,
    pub findings: Vec<FixityFinding>,
    /// The `fixity.pass` entry.
    pub seq: u64,
}

/// The last full pass, as the log tells it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LastPass {
    pub seq: u64,
    pub finished: Timestamp,
    pub originals: u64,
    pub failed: u64,
    pub bytes: u64,
    pub next_due: Timestamp,
}

/// Paces reads to a byte rate over the whole pass (a token bucket without burst).
pub struct Pacer {
    rate: u64,
    start: Instant,
    consumed: u64,
}

impl Pacer {
    /// `rate` bytes per second; 0 = unlimited.
    pub fn new(rate: u64) -> Self {
        Self {
            rate,
            start: Instant::now(),
            consumed: 0,
        }
    }

    fn take(&mut self, n: usize) {
        self.consumed += n as u64;
        if self.rate == 0 {
            return;
        }
        let due = Duration::from_secs_f64(self.consumed as f64 / self.rate as f64);
        let elapsed = self.start.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
    }
}

struct Paced<'a, R> {
    inner: R,
    pacer: &'a mut Pacer,
}

impl<R: Read> Read for Paced<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pacer.take(n);
        Ok(n)
    }
}

/// Re-hashes one blob as stored (unverified read of all its bytes,
/// [`BlobStore::open_scan`]), paced.
pub fn rehash_paced(
    blobs: &dyn BlobStore,
    sha: &Sha256Digest,
    pacer: &mut Pacer,
    hasher: &mut Rehasher,
) -> Result<liuhen_blob::Digests, BlobError> {
    let reader = blobs.open_scan(sha)?;
    let mut paced = Paced {
        inner: reader,
        pacer,
    };
    hasher.hash(&mut paced).map_err(|e| BlobError::Io {
        context: format!("re-hashing blob {sha}"),
        source: e,
    })
}

type ScanJob = (
    Sha256Digest,
    tokio::sync::oneshot::Sender<Result<liuhen_blob::Digests, BlobError>>,
);

/// The pass's reader: one thread for the whole pass (and one SM3 thread beside it), both at
/// background priority ([`liuhen_blob::background_priority`]), one pacer over all originals.
/// Ends when the sender is dropped.
fn spawn_scanner(
    blobs: std::sync::Arc<dyn BlobStore>,
    budget: u64,
) -> Result<std::sync::mpsc::Sender<ScanJob>, AppError> {
    let (tx, rx) = std::sync::mpsc::channel::<ScanJob>();
    std::thread::Builder::new()
        .name("liuhen-fixity".into())
        .spawn(move || {
            liuhen_blob::background_priority();
            let mut hasher = Rehasher::new(true);
            let mut pacer = Pacer::new(budget);
            for (sha, reply) in rx {
                let _ = reply.send(rehash_paced(blobs.as_ref(), &sha, &mut pacer, &mut hasher));
            }
        })
        .map_err(|e| AppError::Task(format!("starting the fixity thread: {e}")))?;
    Ok(tx)
}

const DAY_MS: i64 = 86_400_000;

impl Custody {
    /// The last full pass (the latest `fixity.pass` entry), if any.
    pub async fn fixity_last_pass(&self) -> Result<Option<LastPass>, AppError> {
        let entries = self
            .db
            .entries_for_actions("fixity", &[AuditAction::FixityPass.as_str()])
            .await?;
        let Some(e) = entries.last() else {
            return Ok(None);
        };
        let d = EntryBody::parse(&e.body)
            .map(|b| b.details)
            .unwrap_or_default();
        let n = |k: &str| d[k].as_u64().unwrap_or(0);
        let finished = Timestamp::from_millisecond(e.at_ms).unwrap_or_default();
        let every = i64::from(self.config.fixity.every_days) * DAY_MS;
        Ok(Some(LastPass {
            seq: e.seq,
            finished,
            originals: n("originals"),
            failed: n("failed"),
            bytes: n("bytes"),
            next_due: Timestamp::from_millisecond(e.at_ms.saturating_add(every))
                .unwrap_or(Timestamp::MAX),
        }))
    }

    /// Whether a full pass is due by the injected clock: none yet, or the last one is
    /// `every_days` old.
    pub async fn fixity_due(&self) -> Result<bool, AppError> {
        Ok(match self.fixity_last_pass().await? {
            None => true,
            Some(last) => self.now() >= last.next_due,
        })
    }

    /// What the server's schedule does each `check_every_minutes`: a pass if one is due.
    pub async fn fixity_run_if_due(&self) -> Result<Option<FixityPassReport>, AppError> {
        if !self.fixity_due().await? {
            return Ok(None);
        }
        let budget = self.config.fixity.budget_bytes_per_second;
        self.fixity_pass("system", budget).await.map(Some)
    }

    /// One full pass over every original, reading at most `budget` bytes/s (0: unlimited).
    pub async fn fixity_pass(
        &self,
        actor: &str,
        budget: u64,
    ) -> Result<FixityPassReport, AppError> {
        let started = self.now();
        let clock = Instant::now();
        let scanner = spawn_scanner(self.blobs.clone(), budget)?;
        let mut report = FixityPassReport {
            started,
            finished: started,
            originals: 0,
            ok: 0,
            bytes: 0,
            seconds: 0.0,
            derivative_locks: 0,
            findings: Vec::new(),
            seq: 0,
        };
        let pass_ms = started.as_millisecond();
        let mut locks: HashMap<String, Timestamp> = HashMap::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.db.records_page(after.as_deref(), 1000).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (_, row) in page {
                // An unreadable row is `verify`'s business (record_malformed).
                let Ok((record, _)) = row else { continue };
                report.originals += 1;
                locks.insert(record.sha256.to_hex(), record.retain_until);
                let (reply, result) = tokio::sync::oneshot::channel();
                scanner
                    .send((record.sha256, reply))
                    .map_err(|_| AppError::Task("the fixity thread stopped".into()))?;
                let result = result
                    .await
                    .map_err(|_| AppError::Task("the fixity thread stopped".into()))?;
                self.log_result(actor, pass_ms, &record, result, &mut report)
                    .await?;
            }
        }
        drop(scanner);
        report.derivative_locks = self.lock_derivatives(&locks).await?;
        report.seconds = clock.elapsed().as_secs_f64();
        report.finished = self.now();
        let failed = report.findings.len() as u64;
        let entry = self
            .log_event(NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::FixityPass,
                subject: Some("fixity".into()),
                details: json!({
                    "pass": pass_ms,
                    "started_ms": pass_ms,
                    "originals": report.originals,
                    "ok": report.ok,
                    "failed": failed,
                    "bytes": report.bytes,
                    "seconds": (report.seconds * 1000.0).round() / 1000.0,
                    "budget_bytes_per_second": budget,
                    "derivative_locks": report.derivative_locks,
                    "full": true,
                }),
            })
            .await?;
        report.seq = entry.seq;
        Ok(report)
    }

    async fn log_result(
        &self,
        actor: &str,
        pass_ms: i64,
        r: &Record,
        result: Result<liuhen_blob::Digests, BlobError>,
        report: &mut FixityPassReport,
    ) -> Result<(), AppError> {
        let expected = json!({
            "sha256": r.sha256.to_hex(),
            "sm3": r.sm3.to_hex(),
            "size_bytes": r.size_bytes,
        });
        let (outcome, message, found) = match result {
            Ok(d) if d.sha256 == r.sha256 && d.sm3 == r.sm3 && d.size == r.size_bytes => {
                report.ok += 1;
                report.bytes += d.size;
                self.log_event(NewEntry {
                    actor: actor.to_owned(),
                    action: AuditAction::FixityChecked,
                    subject: Some(format!("record:{}", r.id)),
                    details: json!({ "pass": pass_ms, "outcome": "ok", "expected": expected }),
                })
                .await?;
                return Ok(());
            }
            Ok(d) => {
                report.bytes += d.size;
                (
                    "blob_corrupt",
                    format!(
                        "记录 {} 的原始文件（{}）已被改动：应为 SHA-256 {}、SM3 {}、{} 字节，实为 SHA-256 {}、SM3 {}、{} 字节",
                        r.id,
                        r.original_name,
                        r.sha256,
                        r.sm3,
                        r.size_bytes,
                        d.sha256,
                        d.sm3,
                        d.size
                    ),
                    json!({ "sha256": d.sha256.to_hex(), "sm3": d.sm3.to_hex(), "size_bytes": d.size }),
                )
            }
            Err(BlobError::NotFound(_)) => (
                "blob_missing",
                format!(
                    "记录 {} 的原始文件（{}，SHA-256 {}）在存储中缺失",
                    r.id, r.original_name, r.sha256
                ),
                serde_json::Value::Null,
            ),
            Err(e) => (
                "blob_unreadable",
                format!(
                    "记录 {} 的原始文件（{}）无法读取：{}",
                    r.id,
                    r.original_name,
                    crate::ingest::error_chain(&e)
                ),
                serde_json::Value::Null,
            ),
        };
        tracing::error!(record = %r.id, outcome, "fixity: {message}");
        let entry = self
            .log_event(NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::FixityFailed,
                subject: Some(format!("record:{}", r.id)),
                details: json!({
                    "pass": pass_ms,
                    "outcome": outcome,
                    "expected": expected,
                    "found": found,
                    "message": message,
                }),
            })
            .await?;
        report.findings.push(FixityFinding {
            record_id: r.id.to_string(),
            outcome,
            message,
            seq: entry.seq,
        });
        Ok(())
    }

    /// Derivative locks: a derivative blob without a lock, or with one short of its
    /// original's retain-until, is locked until then. Returns how many were set.
    async fn lock_derivatives(&self, locks: &HashMap<String, Timestamp>) -> Result<u64, AppError> {
        let mut set = 0;
        for (kind, owner, sha, _) in self.db.secondary_blob_refs().await? {
            let (Some(until), Ok(d)) = (locks.get(&owner), sha.parse::<Sha256Digest>()) else {
                continue;
            };
            if kind != "derivative" {
                continue;
            }
            let blobs = self.blobs.clone();
            let until = *until;
            let changed = tokio::task::spawn_blocking(move || -> Result<bool, BlobError> {
                match blobs.retention(&d) {
                    Ok(Some(l)) if l >= until => Ok(false),
                    Ok(_) => blobs.extend_retention(&d, until).map(|()| true),
                    // A missing derivative is made again by the derivative worker.
                    Err(BlobError::NotFound(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            })
            .await??;
            set += u64::from(changed);
        }
        Ok(set)
    }

    /// A download of an original was cut because what was read did not hash to the
    /// record's digest: logged (`record.download_aborted`, an `integrity_failure` alert).
    pub async fn download_aborted(
        &self,
        actor: &str,
        record_id: &str,
        expected: &Sha256Digest,
        found: Option<&Sha256Digest>,
        bytes_read: u64,
        why: &str,
    ) -> Result<(), AppError> {
        tracing::error!(record = record_id, "download cut: {why}");
        self.log_event(NewEntry {
            actor: actor.to_owned(),
            action: AuditAction::DownloadAborted,
            subject: Some(format!("record:{record_id}")),
            details: json!({
                "outcome": "download_aborted",
                "expected_sha256": expected.to_hex(),
                "found_sha256": found.map(|f| f.to_hex()),
                "bytes_read": bytes_read,
                "message": why,
            }),
        })
        .await?;
        Ok(())
    }
}
