//! `liuhen verify`: proves that every original is present and unaltered (fixity), that the
//! log is complete and unaltered (tree recomputed, every checkpoint signature and root
//! checked), that every record row is the one its log entries describe, and that the case
//! tables and reviewer sheets hold what their log entries say (`verify_cases`), and that
//! each original's lock reaches its record's retain-until (`verify_retention`) and the holds
//! table is what its entries say (`verify_holds`), that the access tables are what their
//! entries say (`verify_access`), that the tombstones and the disposal lists, items and
//! decisions are what their entries say (`verify_disposal`, `verify_disposal_lists`), that
//! derivatives, copy statements and paper scans hash to the digests that name them; and
//! that the log still produces the roots of the newest checkpoints kept outside the
//! database (`external`: rollback, truncation).
//! Every problem names its subject precisely and carries a stable code.

use std::collections::{BTreeMap, HashMap, HashSet};

use liuhen_blob::BlobError;
use liuhen_db::{EntryBody, StoredCheckpoint, record_row_hash, record_snapshot};
use liuhen_domain::{AuditAction, Record};
use liuhen_merkle::{Checkpoint, Frontier, SignedCheckpoint};
use serde::Serialize;

use crate::{AppError, Custody};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable, machine-readable code, e.g. `blob_corrupt`, `entry_edited`.
    pub code: &'static str,
    /// What it is about: `record:<id>`, `entry:<seq>`, `checkpoint:<id>`, `blob:<sha256>`.
    pub subject: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    pub records: u64,
    pub blobs_checked: u64,
    pub bytes_checked: u64,
    /// Entries not yet covered by a signed checkpoint (protected by the hash chain only).
    pub uncovered_entries: u64,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl VerifyReport {
    pub(crate) fn push_problem(
        &mut self,
        code: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problem(code, subject, message);
    }

    fn problem(
        &mut self,
        code: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            code,
            subject: subject.into(),
            message: message.into(),
        });
    }
    pub(crate) fn push_warning(
        &mut self,
        code: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.warning(code, subject, message);
    }

    fn warning(
        &mut self,
        code: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.warnings.push(Problem {
            code,
            subject: subject.into(),
            message: message.into(),
        });
    }
}

pub trait VerifyObserver: Send + Sync {
    fn phase(&self, _name: &'static str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

pub struct Quiet;
impl VerifyObserver for Quiet {}

#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Re-hash every original (the slow part); off only for log-only checks.
    pub fixity: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self { fixity: true }
    }
}

const PAGE: u32 = 20_000;

/// Latest snapshot-carrying entry per record id: (seq, hash of the snapshot it carries).
type Bindings = HashMap<String, (u64, Option<String>)>;

impl Custody {
    pub async fn verify(
        &self,
        opts: VerifyOptions,
        obs: &dyn VerifyObserver,
    ) -> Result<VerifyReport, AppError> {
        let mut report = VerifyReport::default();
        let mut checkpoints = Vec::new();
        for (id, row) in self.db.checkpoints_lenient().await? {
            report.checkpoints += 1;
            match row {
                Ok(cp) => checkpoints.push(cp),
                // Named and passed over: the other checkpoints and checks go on.
                Err(e) => report.problem(
                    "checkpoint_malformed",
                    format!("checkpoint:{id}"),
                    format!("checkpoint {id}: {e}"),
                ),
            }
        }
        let by_size = self.check_checkpoints(&checkpoints, &mut report);
        let mut case_entries = Vec::new();
        let bindings = self
            .check_log(&by_size, obs, &mut report, &mut case_entries)
            .await?;
        // The log against the checkpoints kept outside the database (rollback, truncation).
        let db_latest = by_size.keys().next_back().copied();
        if let Err(e) = self.check_external(db_latest, &mut report).await {
            unreadable(&mut report, "external checkpoints", &e);
        }
        // From here on a check that cannot read its rows (a row that does not decode, a
        // read that fails) is one named problem; the checks after it still run.
        let records = match self.check_records(bindings, obs, &mut report).await {
            Ok(records) => records,
            Err(e) => {
                unreadable(&mut report, "records", &e);
                Vec::new()
            }
        };
        // Disposed originals are expected absent: only the live ones are checked below.
        let records = match self.check_tombstones(records.clone(), &mut report).await {
            Ok(live) => live,
            Err(e) => {
                unreadable(&mut report, "tombstones", &e);
                records
            }
        };
        if let Err(e) = self.check_case_rows(&case_entries, &mut report).await {
            unreadable(&mut report, "cases", &e);
        }
        if let Err(e) = self.check_decision_rows(&case_entries, &mut report).await {
            unreadable(&mut report, "decisions", &e);
        }
        if let Err(e) = self.check_locks(&records, &mut report).await {
            unreadable(&mut report, "locks", &e);
        }
        if let Err(e) = self.check_holds(&mut report).await {
            unreadable(&mut report, "holds", &e);
        }
        if let Err(e) = self.check_disposal_lists(&mut report).await {
            unreadable(&mut report, "disposal lists", &e);
        }
        if let Err(e) = self.check_access_rows(&mut report).await {
            unreadable(&mut report, "access", &e);
        }
        if opts.fixity
            && let Err(e) = self.check_fixity(&records, obs, &mut report).await
        {
            unreadable(&mut report, "fixity", &e);
        }
        report.ok = report.problems.is_empty();
        Ok(report)
    }

    /// Signatures, bodies and order of the checkpoints; returns them by tree size.
    fn check_checkpoints<'a>(
        &self,
        checkpoints: &'a [StoredCheckpoint],
        report: &mut VerifyReport,
    ) -> BTreeMap<u64, Vec<&'a StoredCheckpoint>> {
        let public = self.keys.public_keys();
        let mut by_size: BTreeMap<u64, Vec<&StoredCheckpoint>> = BTreeMap::new();
        let mut previous: Option<&StoredCheckpoint> = None;
        for cp in checkpoints {
            let subject = format!("checkpoint:{}", cp.id);
            let parsed = match Checkpoint::parse_body(&cp.body) {
                Ok(c) => c,
                Err(e) => {
                    report.problem(
                        "checkpoint_malformed",
                        &subject,
                        format!("checkpoint {} body: {e}", cp.id),
                    );
                    continue;
                }
            };
            if parsed.size != cp.tree_size
                || parsed.root.as_slice() != cp.root
                || parsed.timestamp_ms != cp.timestamp_ms
            {
                report.problem(
                    "checkpoint_row_mismatch",
                    &subject,
                    format!(
                        "checkpoint {}: row says size {} / time {}, its signed body says size {} / time {}",
                        cp.id, cp.tree_size, cp.timestamp_ms, parsed.size, parsed.timestamp_ms
                    ),
                );
            }
            if parsed.origin != self.origin {
                report.problem(
                    "checkpoint_foreign",
                    &subject,
                    format!(
                        "checkpoint {} is for log {:?}, this log is {:?}",
                        cp.id, parsed.origin, self.origin
                    ),
                );
            }
            let signed = SignedCheckpoint {
                checkpoint: parsed.clone(),
                ed25519_sig: cp.ed25519_sig.clone(),
                sm2_sig: cp.sm2_sig.clone(),
            };
            if let Err(e) = public.verify(&signed) {
                report.problem(
                    "checkpoint_signature",
                    &subject,
                    format!("checkpoint {}: {e}", cp.id),
                );
            }
            if let Some(prev) = previous
                && (cp.tree_size < prev.tree_size || cp.timestamp_ms < prev.timestamp_ms)
            {
                report.problem(
                    "checkpoint_order",
                    &subject,
                    format!(
                        "checkpoint {} (size {}, time {}) comes after checkpoint {} (size {}, time {}): \
                         checkpoints were swapped or replaced",
                        cp.id, cp.tree_size, cp.timestamp_ms, prev.id, prev.tree_size, prev.timestamp_ms
                    ),
                );
            }
            previous = Some(cp);
            by_size.entry(parsed.size).or_default().push(cp);
        }
        by_size
    }

    /// Walks the log once: sequence, hash chain, leaf hashes, roots at every checkpoint.
    async fn check_log(
        &self,
        by_size: &BTreeMap<u64, Vec<&StoredCheckpoint>>,
        obs: &dyn VerifyObserver,
        report: &mut VerifyReport,
        case_entries: &mut Vec<EntryBody>,
    ) -> Result<Bindings, AppError> {
        let (stored, head) = self.db.log_sizes().await?;
        obs.phase("log", stored);
        let mut bindings = Bindings::new();
        let mut frontier = Frontier::new();
        let mut prev_leaf = [0u8; 32];
        let mut expected: u64 = 0;
        let mut after = None;
        let mut pending = by_size.iter().peekable();
        loop {
            let page = self.db.entries_page_lenient(after, PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            for (seq, e) in &page {
                let subject = format!("entry:{seq}");
                let e = match e {
                    Ok(e) => e,
                    Err(err) => {
                        // Named and passed over: the other checks go on. Without its
                        // leaf the later checkpoint roots cannot match; they say so.
                        report.problem("entry_malformed", &subject, err.to_string());
                        expected = seq + 1;
                        report.entries += 1;
                        continue;
                    }
                };
                if e.seq != expected {
                    report.problem(
                        "entry_missing",
                        &subject,
                        format!(
                            "entries #{expected}..#{} are missing from the log (deleted)",
                            e.seq.saturating_sub(1)
                        ),
                    );
                    expected = e.seq;
                }
                let leaf = liuhen_merkle::leaf_hash(e.body.as_bytes());
                if e.leaf_hash != leaf {
                    report.problem("entry_leaf_mismatch", &subject, format!("entry #{}: stored leaf hash does not match its body (body or hash edited)", e.seq));
                }
                match EntryBody::parse(&e.body) {
                    Err(err) => report.problem(
                        "entry_malformed",
                        &subject,
                        format!("entry #{}: body is not a log entry: {err}", e.seq),
                    ),
                    Ok(body) => {
                        if body.seq != e.seq {
                            report.problem(
                                "entry_reordered",
                                &subject,
                                format!(
                                    "row #{} holds the body of entry #{} (rows reordered)",
                                    e.seq, body.seq
                                ),
                            );
                        }
                        if body.prev != hex::encode(prev_leaf) {
                            report.problem("entry_chain_broken", &subject, format!("entry #{} does not follow the entry before it (an entry was edited, removed or reordered)", e.seq));
                        }
                        if body.actor != e.actor
                            || body.action != e.action
                            || body.subject != e.subject
                            || body.at_ms != e.at_ms
                        {
                            report.problem("entry_row_mismatch", &subject, format!("entry #{}: columns (actor {:?}, action {:?}, subject {:?}) differ from its body (actor {:?}, action {:?}, subject {:?})", e.seq, e.actor, e.action, e.subject, body.actor, body.action, body.subject));
                        }
                        track_binding(&body, &mut bindings);
                        if crate::verify_cases::replays(&body)
                            || crate::verify_decisions::replays(&body)
                        {
                            case_entries.push(body);
                        }
                    }
                }
                prev_leaf = leaf;
                frontier.push(leaf);
                expected += 1;
                report.entries += 1;
                while let Some((size, cps)) = pending.peek() {
                    if **size > frontier.size() {
                        break;
                    }
                    if **size == frontier.size() {
                        let root = frontier.root();
                        for cp in cps.iter().filter(|cp| cp.root != root) {
                            report.problem("checkpoint_root_mismatch", format!("checkpoint:{}", cp.id), format!("checkpoint {} signed a root over the first {} entries that the log no longer produces (an entry was edited, deleted, inserted or reordered)", cp.id, size));
                        }
                    }
                    pending.next();
                }
            }
            obs.advance(page.len() as u64);
        }
        for (size, cps) in pending {
            for cp in cps {
                report.problem("checkpoint_beyond_log", format!("checkpoint:{}", cp.id), format!("checkpoint {} covers {size} entries but the log holds only {} (log truncated)", cp.id, report.entries));
            }
        }
        if head != stored {
            report.problem(
                "log_head_mismatch",
                "log",
                format!("the log head says {head} entries, {stored} are stored"),
            );
        }
        let covered = by_size.keys().next_back().copied().unwrap_or(0);
        report.uncovered_entries = report.entries.saturating_sub(covered);
        if report.uncovered_entries > 0 {
            report.warning("entries_uncovered", "log", format!("{} entries after the latest checkpoint are protected by the hash chain only; run `liuhen log checkpoint`", report.uncovered_entries));
        }
        Ok(bindings)
    }

    /// Each record row against the latest log entry that describes it.
    async fn check_records(
        &self,
        mut bindings: Bindings,
        obs: &dyn VerifyObserver,
        report: &mut VerifyReport,
    ) -> Result<Vec<Record>, AppError> {
        obs.phase("records", self.db.record_count().await?);
        let mut records = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.db.records_page(after.as_deref(), PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            obs.advance(page.len() as u64);
            for (id, row) in page {
                report.records += 1;
                let subject = format!("record:{id}");
                let binding = bindings.remove(&id);
                let (record, seq) = match row {
                    Ok(r) => r,
                    Err(e) => {
                        report.problem("record_malformed", &subject, format!("record {id}: {e}"));
                        continue;
                    }
                };
                match binding {
                    None => report.problem(
                        "record_unlogged",
                        &subject,
                        format!("record {id} has no log entry (inserted outside liuhen)"),
                    ),
                    Some((latest, row_hash)) => {
                        if seq != latest {
                            report.problem("record_rebound", &subject, format!("record {id} is bound to entry #{seq}, but its latest change is entry #{latest}"));
                        }
                        if row_hash.as_deref() != Some(record_row_hash(&record).as_str()) {
                            let diff = self.diff_against_entry(&record, latest).await?;
                            report.problem(
                                "record_edited",
                                &subject,
                                format!("record {id} differs from log entry #{latest}: {diff}"),
                            );
                        }
                    }
                }
                records.push(record);
            }
        }
        for (id, (seq, _)) in bindings {
            report.problem(
                "record_missing",
                format!("record:{id}"),
                format!("record {id} (entry #{seq}) is missing from the records table (deleted)"),
            );
        }
        Ok(records)
    }

    async fn diff_against_entry(&self, record: &Record, seq: u64) -> Result<String, AppError> {
        let entry = self.db.entries_page(seq.checked_sub(1), 1).await?;
        let logged = entry
            .first()
            .filter(|e| e.seq == seq)
            .and_then(|e| EntryBody::parse(&e.body).ok())
            .and_then(|b| b.details.get("record").cloned());
        let Some(serde_json::Value::Object(logged)) = logged else {
            return Ok("the entry carries no readable snapshot".into());
        };
        let serde_json::Value::Object(row) = record_snapshot(record) else {
            return Ok(String::new());
        };
        let fields: Vec<String> = row
            .iter()
            .filter(|(k, v)| logged.get(*k) != Some(*v))
            .map(|(k, v)| {
                format!(
                    "{k} is {v} in the row but {} in the log",
                    logged.get(k).unwrap_or(&serde_json::Value::Null)
                )
            })
            .collect();
        Ok(if fields.is_empty() {
            "fields match but the row hash does not".into()
        } else {
            fields.join("; ")
        })
    }

    /// Re-hashes every original and compares it with its record.
    async fn check_fixity(
        &self,
        records: &[Record],
        obs: &dyn VerifyObserver,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        obs.phase("fixity", records.iter().map(|r| r.size_bytes).sum());
        let mut known = HashSet::new();
        for r in records {
            known.insert(r.sha256);
            let subject = format!("record:{}", r.id);
            let blobs = self.blobs.clone();
            let sha = r.sha256;
            match tokio::task::spawn_blocking(move || blobs.rehash(&sha)).await? {
                Ok(d) => {
                    report.blobs_checked += 1;
                    report.bytes_checked += d.size;
                    if d.sha256 != r.sha256 || d.sm3 != r.sm3 || d.size != r.size_bytes {
                        report.problem("blob_corrupt", &subject, format!(
                            "original of record {} ({}) is altered: expected SHA-256 {} SM3 {} ({} bytes), found SHA-256 {} SM3 {} ({} bytes)",
                            r.id, r.original_name, r.sha256, r.sm3, r.size_bytes, d.sha256, d.sm3, d.size
                        ));
                    }
                }
                Err(BlobError::NotFound(_)) => report.problem(
                    "blob_missing",
                    &subject,
                    format!(
                        "original of record {} ({}, SHA-256 {}) is missing from the store",
                        r.id, r.original_name, r.sha256
                    ),
                ),
                Err(e) => report.problem(
                    "blob_unreadable",
                    &subject,
                    format!(
                        "original of record {} ({}) cannot be read: {}",
                        r.id,
                        r.original_name,
                        crate::ingest::error_chain(&e)
                    ),
                ),
            }
            obs.advance(r.size_bytes);
        }
        // Derivatives, copy statements and paper scans are blobs of their own, bound by
        // their tables: not orphans (the real orphans would hide among them), and re-hashed.
        // A disposed original's derivatives went with it (their rows stay): expected absent.
        let disposed: std::collections::BTreeSet<String> = self
            .db
            .tombstones()
            .await?
            .into_iter()
            .map(|t| t.sha256)
            .collect();
        for (kind, owner, sha, size) in self.db.secondary_blob_refs().await? {
            match sha.parse::<liuhen_domain::Sha256Digest>() {
                Ok(d) if kind == "derivative" && disposed.contains(&owner) => {
                    known.insert(d);
                }
                Ok(d) => {
                    known.insert(d);
                    self.check_secondary(&kind, &owner, d, size, report).await?;
                }
                Err(_) => report.problem(
                    "blob_reference_malformed",
                    format!("blob:{sha}"),
                    format!("{kind} {owner} names an invalid SHA-256 {sha:?}"),
                ),
            }
        }
        let blobs = self.blobs.clone();
        let stored = tokio::task::spawn_blocking(move || blobs.list()).await??;
        for sha in stored.into_iter().filter(|s| !known.contains(s)) {
            report.warning("blob_orphan", format!("blob:{sha}"), format!("stored original {sha} has no record (an ingest interrupted before its commit; ingesting the file again binds it)"));
        }
        Ok(())
    }
}

/// A check that could not read its rows: `rows_unreadable`, subject `check:<name>`, the
/// message naming the row kind and the reason (e.g. "stored hold h-1 is invalid: …").
fn unreadable(report: &mut VerifyReport, check: &str, e: &AppError) {
    report.problem(
        "rows_unreadable",
        format!("check:{check}"),
        format!(
            "the {check} check could not read its rows and stopped (the other checks went on): {}",
            crate::ingest::error_chain(e)
        ),
    );
}

impl Custody {
    /// A derivative, copy statement or paper scan: present, and its bytes hash to the
    /// SHA-256 that names it (and are as long as its row says, where it says).
    async fn check_secondary(
        &self,
        kind: &str,
        owner: &str,
        sha: liuhen_domain::Sha256Digest,
        size: Option<i64>,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let what = match kind {
            "derivative" => format!("derivative of original {owner}"),
            "statement" => format!("statement of copy {owner}"),
            "burn_scan" => format!("signed burn-form scan of package {owner}"),
            _ => format!("scan of paper {owner}"),
        };
        let subject = format!("blob:{sha}");
        let blobs = self.blobs.clone();
        match tokio::task::spawn_blocking(move || blobs.rehash(&sha)).await? {
            Ok(d) => {
                report.blobs_checked += 1;
                report.bytes_checked += d.size;
                let size_differs = size.is_some_and(|s| u64::try_from(s).ok() != Some(d.size));
                if d.sha256 != sha || size_differs {
                    report.problem(
                        "blob_corrupt",
                        &subject,
                        format!(
                            "{what} is altered: expected SHA-256 {sha}, found {} ({} bytes)",
                            d.sha256, d.size
                        ),
                    );
                }
            }
            Err(BlobError::NotFound(_)) => report.problem(
                "blob_missing",
                &subject,
                format!("{what} (SHA-256 {sha}) is missing from the store"),
            ),
            Err(e) => report.problem(
                "blob_unreadable",
                &subject,
                format!("{what} cannot be read: {}", crate::ingest::error_chain(&e)),
            ),
        }
        Ok(())
    }
}

fn track_binding(body: &EntryBody, bindings: &mut Bindings) {
    let carries = AuditAction::parse(&body.action).is_some_and(AuditAction::carries_snapshot);
    let Some(id) = body
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix("record:"))
    else {
        return;
    };
    if carries {
        // Hash the snapshot as logged (not the hash the entry claims), so that a forged
        // entry whose snapshot no longer matches its row shows as well.
        let logged = body.details.get("record").map(|snapshot| {
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                snapshot.to_string().as_bytes(),
            ))
        });
        bindings.insert(id.to_owned(), (body.seq, logged));
    }
}
