//! Projects audit entries into the register's read model (`register_rows`, grants,
//! approvals). Incremental: a cursor remembers the last entry read, so each call reads only
//! what the log gained since. Idempotent, so concurrent calls are harmless.
//!
//! The audit contract read here: uses (`record.viewed`, `record.played`, `record.downloaded`,
//! `copy.made`, `loan.issued`, `loan.returned`, `visit.outside`) with details `records`,
//! `request`, `grant`, `purpose`, `requester {user,name,type,unit}`, `approved_by`,
//! `fee_cents`, `receipt_no`, `due_ms` (or `due_at`), `case` (a case id, shown by its name);
//! fees paid later (`fee.paid` with `request`, `receipt_no`, `fee_cents`); grants (`access.granted` with `grant`, `records`, `requester`
//! or `user`, `approved_by`, `expires_ms` or `expires_at`; `access.revoked`); approvals
//! (`access.approved` with `request`, `step`, `decision`).

use std::collections::HashMap;

use liuhen_db::{
    AuditEntry, EntryBody, FeeReceipt, ProjectionBatch, RegisterApprovalRow as ApprovalRow,
    RegisterGrantRow as GrantRow, RegisterRow,
};
use liuhen_domain::{RecordId, register};
use serde_json::Value;

use crate::{AppError, Custody};

pub(crate) const REGISTER: &str = "register";
/// Entries read per step (one write transaction each).
const STEP: u32 = 1000;

#[derive(Clone)]
struct Person {
    name: String,
    unit: Option<String>,
}

#[derive(Clone, Default)]
struct RecordInfo {
    agency: Option<String>,
    name: Option<String>,
    case_name: Option<String>,
    party: Option<String>,
    device: Option<String>,
}

/// Lookups shared by the entries of one step.
#[derive(Default)]
struct Cache {
    people: HashMap<String, Option<Person>>,
    records: HashMap<String, RecordInfo>,
    grants: HashMap<String, GrantRow>,
    approvals: HashMap<String, Vec<ApprovalRow>>,
    /// Case id → name (`None`: no such case; the entry's text is shown as it is).
    cases: HashMap<String, Option<String>>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn names(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Array(a) => {
            let list: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            (!list.is_empty()).then(|| list.join("、"))
        }
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Record ids an entry is about: `records`, else `record`, else a `record:<id>` subject.
fn record_ids(details: &Value, subject: Option<&str>) -> Vec<String> {
    if let Some(Value::Array(a)) = details.get("records") {
        let ids: Vec<String> = a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if !ids.is_empty() {
            return ids;
        }
    }
    if let Some(id) = text(details, "record") {
        return vec![id];
    }
    match subject.and_then(|s| s.strip_prefix("record:")) {
        Some(id) => vec![id.to_owned()],
        None => vec![String::new()],
    }
}

fn expires_ms(details: &Value) -> Option<i64> {
    if let Some(ms) = details.get("expires_ms").and_then(Value::as_i64) {
        return Some(ms);
    }
    ["expires_at", "valid_until"].iter().find_map(|k| {
        let s = details.get(*k)?.as_str()?;
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    })
}

fn note(action: &str, d: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if action == "record.played"
        && let Some(s) = d.get("seconds").and_then(Value::as_f64)
    {
        parts.push(format!("播放 {s:.1} 秒"));
    }
    if let Some(due) = text(d, "due_at").or_else(|| text(d, "due")) {
        parts.push(format!("应还 {due}"));
    }
    if d.get("overdue") == Some(&Value::Bool(true)) {
        parts.push("逾期归还".to_owned());
    }
    if let Some(via) = text(d, "via").filter(|v| v == "api") {
        parts.push(format!("经 {via}"));
    }
    (!parts.is_empty()).then(|| parts.join("；"))
}

impl Custody {
    /// Brings the register's read model up to the head of the log.
    pub async fn sync_register(&self) -> Result<(), AppError> {
        let actions = register::source_actions();
        // Shared by the steps of this call: people, records, grants and approvals read
        // once (the grants and approvals it holds are the latest, as written).
        let mut cache = Cache::default();
        loop {
            let cursor = self.db.projection_cursor(REGISTER).await?;
            let size = self.db.log_size().await?;
            let entries = self
                .db
                .entries_with_actions(cursor, size, &actions, STEP)
                .await?;
            let full = entries.len() as u32 == STEP;
            let last_seq = match (full, entries.last()) {
                (true, Some(e)) => e.seq,
                _ => size.saturating_sub(1),
            };
            // Skipping only entries of other actions: move the cursor only now and then.
            let behind = last_seq.saturating_sub(cursor.unwrap_or(0));
            if entries.is_empty() && behind < 5 * u64::from(STEP) {
                return Ok(());
            }
            let batch = self.project(&mut cache, &entries, last_seq).await?;
            let mut tx = self.db.begin().await?;
            tx.apply_projection(REGISTER, &batch).await?;
            tx.commit().await?;
            if !full {
                return Ok(());
            }
        }
    }

    async fn project(
        &self,
        cache: &mut Cache,
        entries: &[AuditEntry],
        last_seq: u64,
    ) -> Result<ProjectionBatch, AppError> {
        if cache.records.len() > 100_000 {
            cache.records.clear();
        }
        self.prefetch_records(cache, entries).await?;
        let mut batch = ProjectionBatch {
            last_seq,
            ..Default::default()
        };
        let mut grant_order: Vec<String> = Vec::new();
        for e in entries {
            let Ok(body) = EntryBody::parse(&e.body) else {
                tracing::warn!(seq = e.seq, "register: unreadable entry body skipped");
                continue;
            };
            let d = &body.details;
            match e.action.as_str() {
                "access.granted" => {
                    let Some(id) = text(d, "grant") else { continue };
                    let requester = d.get("requester").cloned().unwrap_or(Value::Null);
                    let g = GrantRow {
                        grant_id: id.clone(),
                        request_id: text(d, "request"),
                        user_id: text(&requester, "user")
                            .or_else(|| text(d, "user"))
                            .or_else(|| text(d, "grantee")),
                        approved_by: names(d, "approved_by"),
                        purpose: text(d, "purpose"),
                        records: record_ids(d, None)
                            .into_iter()
                            .filter(|r| !r.is_empty())
                            .collect(),
                        granted_ms: e.at_ms,
                        expires_ms: expires_ms(d),
                        revoked_ms: None,
                        seqs: vec![e.seq],
                    };
                    cache.grants.insert(id.clone(), g);
                    grant_order.push(id);
                }
                "access.revoked" => {
                    let Some(id) = text(d, "grant") else { continue };
                    if let Some(mut g) = self.grant(cache, &id).await? {
                        g.revoked_ms.get_or_insert(e.at_ms);
                        g.seqs.push(e.seq);
                        cache.grants.insert(id.clone(), g);
                        grant_order.push(id);
                    }
                }
                "access.approved" => {
                    let request = text(d, "request").or_else(|| {
                        e.subject
                            .as_deref()
                            .and_then(|s| s.strip_prefix("request:"))
                            .map(str::to_owned)
                    });
                    let Some(request) = request else { continue };
                    let approver = match text(d, "approver_name") {
                        Some(n) => n,
                        None => self
                            .person(cache, &e.actor)
                            .await?
                            .map_or(e.actor.clone(), |p| p.name),
                    };
                    let a = ApprovalRow {
                        seq: e.seq,
                        request_id: request.clone(),
                        step: text(d, "step"),
                        decision: text(d, "decision"),
                        approver,
                    };
                    self.approvals(cache, &request).await?;
                    cache.approvals.entry(request).or_default().push(a.clone());
                    batch.approvals.push(a);
                }
                "fee.paid" => {
                    let (Some(request), Some(receipt_no)) =
                        (text(d, "request"), text(d, "receipt_no"))
                    else {
                        continue;
                    };
                    batch.receipts.push(FeeReceipt {
                        request_id: request,
                        receipt_no,
                        fee_cents: d.get("fee_cents").and_then(Value::as_i64),
                    });
                }
                action => {
                    let Some(kind) = register::kind_of_action(action) else {
                        continue;
                    };
                    let rows = self.use_rows(cache, e, kind.code, d).await?;
                    batch.rows.extend(rows);
                }
            }
        }
        grant_order.dedup();
        let mut written = std::collections::HashSet::new();
        for id in grant_order.iter().rev() {
            if written.insert(id.clone())
                && let Some(g) = cache.grants.get(id)
            {
                batch.grants.push(g.clone());
            }
        }
        Ok(batch)
    }

    async fn use_rows(
        &self,
        cache: &mut Cache,
        e: &AuditEntry,
        kind: &str,
        d: &Value,
    ) -> Result<Vec<RegisterRow>, AppError> {
        let requester = d.get("requester").cloned().unwrap_or(Value::Null);
        let staff = self.person(cache, &e.actor).await?;
        let (actor, actor_name, actor_unit) = match text(&requester, "name") {
            Some(name) => (
                text(&requester, "user").unwrap_or_else(|| e.actor.clone()),
                name,
                text(&requester, "unit"),
            ),
            None => match &staff {
                Some(p) => (e.actor.clone(), p.name.clone(), p.unit.clone()),
                None => (e.actor.clone(), e.actor.clone(), None),
            },
        };
        let grant_id = text(d, "grant");
        let grant = match &grant_id {
            Some(id) => self.grant(cache, id).await?,
            None => None,
        };
        let request_id =
            text(d, "request").or_else(|| grant.as_ref().and_then(|g| g.request_id.clone()));
        let mut approved_by =
            names(d, "approved_by").or_else(|| grant.as_ref().and_then(|g| g.approved_by.clone()));
        if approved_by.is_none()
            && let Some(r) = &request_id
        {
            let list = self.approvals(cache, r).await?;
            let mut who: Vec<&str> = Vec::new();
            for a in list
                .iter()
                .filter(|a| a.decision.as_deref() != Some("reject"))
            {
                if !who.contains(&a.approver.as_str()) {
                    who.push(&a.approver);
                }
            }
            approved_by = (!who.is_empty()).then(|| who.join("、"));
        }
        let mut note = note(&e.action, d);
        let mut more = Vec::new();
        if let Some(due) = d.get("due_ms").and_then(Value::as_i64) {
            more.push(format!("应还 {}", self.local_time(due)));
        }
        if matches!(kind, "view" | "playback" | "download")
            && let Some(until) = grant.as_ref().and_then(|g| g.expires_ms)
        {
            more.push(format!("授权有效至 {}", self.local_time(until)));
        }
        for m in more {
            note = Some(match note {
                Some(n) => format!("{n}；{m}"),
                None => m,
            });
        }
        let case_name = match text(d, "case") {
            Some(c) => Some(self.case_name(cache, &c).await?.unwrap_or(c)),
            None => None,
        };
        if text(&requester, "name").is_some()
            && let Some(p) = &staff
        {
            let by = format!("登记人 {}", p.name);
            note = Some(match note {
                Some(n) => format!("{n}；{by}"),
                None => by,
            });
        }
        let mut rows = Vec::new();
        for record_id in record_ids(d, e.subject.as_deref()) {
            let info = self.record_info(cache, &record_id).await?;
            rows.push(RegisterRow {
                seq: e.seq,
                record_id,
                at_ms: e.at_ms,
                kind: kind.to_owned(),
                actor: actor.clone(),
                actor_name: actor_name.clone(),
                actor_unit: actor_unit.clone(),
                requester_type: text(&requester, "type"),
                approved_by: approved_by.clone(),
                record_agency: info.agency,
                record_name: info.name,
                case_name: case_name.clone().or(info.case_name),
                party: info.party,
                device: info.device,
                purpose: text(d, "purpose")
                    .or_else(|| grant.as_ref().and_then(|g| g.purpose.clone())),
                request_id: request_id.clone(),
                grant_id: grant_id.clone(),
                fee_cents: d.get("fee_cents").and_then(Value::as_i64),
                receipt_no: text(d, "receipt_no"),
                note: note.clone(),
            });
        }
        Ok(rows)
    }

    /// Looks up every record the step's uses name, a few queries in all.
    async fn prefetch_records(
        &self,
        cache: &mut Cache,
        entries: &[AuditEntry],
    ) -> Result<(), AppError> {
        let mut ids = std::collections::BTreeSet::new();
        for e in entries
            .iter()
            .filter(|e| register::kind_of_action(&e.action).is_some())
        {
            if let Ok(body) = EntryBody::parse(&e.body) {
                ids.extend(record_ids(&body.details, e.subject.as_deref()));
            }
        }
        let ids: Vec<String> = ids
            .into_iter()
            .filter(|i| !i.is_empty() && !cache.records.contains_key(i))
            .collect();
        for r in self.db.record_briefs(&ids).await? {
            cache.records.insert(
                r.id,
                RecordInfo {
                    agency: r.agency,
                    name: Some(r.original_name),
                    case_name: r.case_name,
                    party: r.party,
                    device: r.device,
                },
            );
        }
        for id in ids {
            cache.records.entry(id).or_default();
        }
        Ok(())
    }

    async fn person(&self, cache: &mut Cache, id: &str) -> Result<Option<Person>, AppError> {
        if let Some(p) = cache.people.get(id) {
            return Ok(p.clone());
        }
        let p = self.db.user_by_id(id).await?.map(|u| Person {
            name: u.display_name,
            unit: u.unit,
        });
        cache.people.insert(id.to_owned(), p.clone());
        Ok(p)
    }

    async fn record_info(&self, cache: &mut Cache, id: &str) -> Result<RecordInfo, AppError> {
        if let Some(r) = cache.records.get(id) {
            return Ok(r.clone());
        }
        let info = match RecordId::parse(id) {
            Ok(rid) => match self.db.record(&rid).await? {
                Some((r, _)) => {
                    let c = r.classification;
                    RecordInfo {
                        agency: c.agency,
                        name: Some(r.original_name),
                        case_name: c.case_name,
                        party: c.party,
                        device: c.device,
                    }
                }
                None => RecordInfo::default(),
            },
            Err(_) => RecordInfo::default(),
        };
        cache.records.insert(id.to_owned(), info.clone());
        Ok(info)
    }

    async fn case_name(&self, cache: &mut Cache, id: &str) -> Result<Option<String>, AppError> {
        if let Some(n) = cache.cases.get(id) {
            return Ok(n.clone());
        }
        let n = self.db.case(id).await?.map(|c| c.name);
        cache.cases.insert(id.to_owned(), n.clone());
        Ok(n)
    }

    async fn grant(&self, cache: &mut Cache, id: &str) -> Result<Option<GrantRow>, AppError> {
        if let Some(g) = cache.grants.get(id) {
            return Ok(Some(g.clone()));
        }
        let g = self.db.register_grant(id).await?;
        if let Some(g) = &g {
            cache.grants.insert(id.to_owned(), g.clone());
        }
        Ok(g)
    }

    async fn approvals(
        &self,
        cache: &mut Cache,
        request: &str,
    ) -> Result<Vec<ApprovalRow>, AppError> {
        if let Some(a) = cache.approvals.get(request) {
            return Ok(a.clone());
        }
        let a = self.db.request_approvals(request).await?;
        cache.approvals.insert(request.to_owned(), a.clone());
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_from_details_or_subject() {
        let cases = [
            (
                json!({ "records": ["a", "b"] }),
                Some("record:c"),
                vec!["a", "b"],
            ),
            (json!({ "records": [] }), Some("record:c"), vec!["c"]),
            (json!({ "record": "d" }), None, vec!["d"]),
            (json!({}), Some("request:q1"), vec![""]),
        ];
        for (d, subject, expected) in cases {
            assert_eq!(record_ids(&d, subject), expected, "{d}");
        }
    }

    #[test]
    fn expiry_and_notes() {
        assert_eq!(expires_ms(&json!({ "expires_ms": 5 })), Some(5));
        assert_eq!(
            expires_ms(&json!({ "expires_at": "1970-01-01T00:00:01Z" })),
            Some(1000)
        );
        assert_eq!(expires_ms(&json!({ "expires_at": "soon" })), None);
        assert_eq!(
            note("record.played", &json!({ "seconds": 12.26 })).as_deref(),
            Some("播放 12.3 秒")
        );
        assert_eq!(
            note("loan.issued", &json!({ "due_at": "2026-04-01" })).as_deref(),
            Some("应还 2026-04-01")
        );
        assert_eq!(
            names(&json!({ "approved_by": ["甲", "乙"] }), "approved_by").as_deref(),
            Some("甲、乙")
        );
    }
}
