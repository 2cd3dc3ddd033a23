//! Confidentiality (R2.11, R3.11) in the read models: a use of a labelled record (its own
//! labels or its cases') is shown to a register or alert reader not cleared for every
//! label only redacted — the row stays (the register lists every use, with who, when,
//! whose approval, its log entry) but names no case, party, file, device or purpose.

use std::collections::HashMap;

use liuhen_db::{AuditEntry, EntryBody, RegisterRow};
use liuhen_domain::authz::Principal;
use liuhen_domain::register::{redacted_marker, uncleared_labels};
use serde_json::Value;

use crate::{AppError, Custody};

/// Labels not cleared for one reader, by record or case id, looked up once per call.
#[derive(Default)]
pub(crate) struct Clearance {
    records: HashMap<String, Vec<String>>,
    cases: HashMap<String, Vec<String>>,
}

impl Custody {
    /// The labels of record `id` (and of its cases) `by` is not cleared for, by name.
    pub(crate) async fn record_uncleared(
        &self,
        by: &Principal,
        c: &mut Clearance,
        id: &str,
    ) -> Result<Vec<String>, AppError> {
        if id.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(u) = c.records.get(id) {
            return Ok(u.clone());
        }
        let mut labels = self.db.labels(false, id).await?;
        for case in self.db.record_cases(id).await? {
            labels.extend(self.db.labels(true, &case.id).await?);
        }
        let u = uncleared_labels(&self.policy, by, &labels);
        c.records.insert(id.to_owned(), u.clone());
        Ok(u)
    }

    async fn case_uncleared(
        &self,
        by: &Principal,
        c: &mut Clearance,
        id: &str,
    ) -> Result<Vec<String>, AppError> {
        if let Some(u) = c.cases.get(id) {
            return Ok(u.clone());
        }
        let labels = self.db.labels(true, id).await?;
        let u = uncleared_labels(&self.policy, by, &labels);
        c.cases.insert(id.to_owned(), u.clone());
        Ok(u)
    }

    /// Redacts the rows `by` is not cleared for; with `drop_redacted` (a search on case or
    /// free text, whose match may lie in what is hidden) leaves them out instead. Returns
    /// how many were left out.
    pub(crate) async fn redact_register_rows(
        &self,
        by: &Principal,
        rows: &mut Vec<RegisterRow>,
        drop_redacted: bool,
    ) -> Result<usize, AppError> {
        let mut c = Clearance::default();
        let before = rows.len();
        let mut kept = Vec::with_capacity(rows.len());
        for mut r in std::mem::take(rows) {
            let u = self.record_uncleared(by, &mut c, &r.record_id).await?;
            if u.is_empty() {
                kept.push(r);
                continue;
            }
            if drop_redacted {
                continue;
            }
            r.case_name = Some(redacted_marker(&u));
            r.record_name = None;
            r.party = None;
            r.device = None;
            r.purpose = None;
            r.note = None;
            kept.push(r);
        }
        *rows = kept;
        Ok(before - rows.len())
    }

    /// Replaces the details of entries about a record or case `by` is not cleared for
    /// (the entry's sequence number, time, actor, action and subject stay).
    pub(crate) async fn redact_entries(
        &self,
        by: &Principal,
        entries: &mut HashMap<u64, AuditEntry>,
    ) -> Result<(), AppError> {
        let mut c = Clearance::default();
        for e in entries.values_mut() {
            let Ok(mut body) = serde_json::from_str::<Value>(&e.body) else {
                continue;
            };
            let details = EntryBody::parse(&e.body)
                .map(|b| b.details)
                .unwrap_or(Value::Null);
            let mut records: Vec<String> = details
                .get("records")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(r) = details.get("record").and_then(Value::as_str) {
                records.push(r.to_owned());
            }
            let subject = e.subject.clone().unwrap_or_default();
            if let Some(r) = subject.strip_prefix("record:") {
                records.push(r.to_owned());
            }
            let mut uncleared = Vec::new();
            for r in &records {
                uncleared.extend(self.record_uncleared(by, &mut c, r).await?);
            }
            let case = subject
                .strip_prefix("case:")
                .map(str::to_owned)
                .or_else(|| {
                    details
                        .get("case")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
            if let Some(case) = case {
                uncleared.extend(self.case_uncleared(by, &mut c, &case).await?);
            }
            if uncleared.is_empty() {
                continue;
            }
            uncleared.sort();
            uncleared.dedup();
            body["details"] = serde_json::json!({ "redacted": redacted_marker(&uncleared) });
            e.body = body.to_string();
        }
        Ok(())
    }
}
