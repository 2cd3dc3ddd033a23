//! `verify`, disposal part: the `tombstones` table is replayed from its `record.disposed`
//! entries. A record with a logged tombstone is expected absent from the store (not
//! `blob_missing`, no lock to check); a record whose blob is gone without one is still
//! tampering. A tombstone nobody logged (`tombstone_unlogged`, e.g. inserted to cover a
//! deletion), one that differs from its entry (`tombstone_edited`) or a logged one whose
//! row is gone (`tombstone_missing`) is tampering; a disposed blob still in the store is
//! `disposal_unfinished` (a warning: executing the list again finishes it).

use std::collections::BTreeMap;

use liuhen_db::{EntryBody, TombstoneRow};
use liuhen_domain::Record;
use serde_json::Value;

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

const PAGE: u32 = 1000;

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

/// What the entry says, in the row's terms (JSON columns parsed, for comparison).
fn from_entry(at_ms: i64, actor: &str, d: &Value) -> (TombstoneRow, Value, Value) {
    let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    let row = TombstoneRow {
        record_id: text("record"),
        list_id: text("list"),
        sha256: text("sha256"),
        sm3: text("sm3"),
        size_bytes: d["size_bytes"].as_i64().unwrap_or(-1),
        derivatives: String::new(),
        approvals: String::new(),
        executed_ms: at_ms,
        executed_by: actor.to_owned(),
    };
    (row, d["derivatives"].clone(), d["approvals"].clone())
}

impl Custody {
    /// Checks the tombstones; returns the records that are not disposed.
    pub(crate) async fn check_tombstones(
        &self,
        records: Vec<Record>,
        report: &mut VerifyReport,
    ) -> Result<Vec<Record>, AppError> {
        let mut expected = BTreeMap::new();
        let mut after = None;
        loop {
            let page = self
                .db
                .entries_with_actions(after, i64::MAX as u64, &["record.disposed"], PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.seq);
            for e in &page {
                let Ok(body) = EntryBody::parse(&e.body) else {
                    continue; // reported by the log check
                };
                let (row, ds, ap) = from_entry(e.at_ms, &e.actor, &body.details);
                expected.insert(row.record_id.clone(), (row, ds, ap));
            }
            if page.len() < PAGE as usize {
                break;
            }
        }
        let mut disposed = BTreeMap::new();
        for row in self.db.tombstones().await? {
            let subject = format!("record:{}", row.record_id);
            let Some((want, ds, ap)) = expected.remove(&row.record_id) else {
                report.push_problem(
                    "tombstone_unlogged",
                    &subject,
                    format!(
                        "tombstone of record {} (list {}) has no record.disposed entry (inserted outside liuhen)",
                        row.record_id, row.list_id
                    ),
                );
                continue;
            };
            let mut same = row.clone();
            same.derivatives = String::new();
            same.approvals = String::new();
            if same != want || parse(&row.derivatives) != ds || parse(&row.approvals) != ap {
                report.push_problem(
                    "tombstone_edited",
                    &subject,
                    format!(
                        "tombstone of record {} differs from its record.disposed entry: the log says {want:?}, the table {row:?}",
                        row.record_id
                    ),
                );
                continue;
            }
            disposed.insert(row.record_id.clone(), row);
        }
        for (id, (want, _, _)) in expected {
            report.push_problem(
                "tombstone_missing",
                format!("record:{id}"),
                format!(
                    "record {id} was disposed by list {} according to the log, but its tombstone row is gone",
                    want.list_id
                ),
            );
        }
        let mut live = Vec::with_capacity(records.len());
        for r in records {
            let Some(t) = disposed.get(r.id.as_str()) else {
                live.push(r);
                continue;
            };
            let subject = format!("record:{}", r.id);
            if t.sha256 != r.sha256.to_hex() || t.sm3 != r.sm3.to_hex() {
                report.push_problem(
                    "tombstone_edited",
                    &subject,
                    format!(
                        "tombstone of record {} names SHA-256 {} / SM3 {}, the record {} / {}",
                        r.id, t.sha256, t.sm3, r.sha256, r.sm3
                    ),
                );
                live.push(r);
                continue;
            }
            let blobs = self.blobs.clone();
            let sha = r.sha256;
            if let Ok(Some(_)) = tokio::task::spawn_blocking(move || blobs.size(&sha)).await? {
                report.push_warning(
                    "disposal_unfinished",
                    &subject,
                    format!(
                        "record {} was disposed by list {} but its original is still in the store: execute the list again",
                        r.id, t.list_id
                    ),
                );
            }
        }
        Ok(live)
    }
}
