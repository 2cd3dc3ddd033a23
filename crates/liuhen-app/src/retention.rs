//! Retention follows the case (R2.10, R3.5): a record's retain-until is recomputed with the
//! pure rules (`liuhen_domain::retention`) when it is linked to a case, when a case's flags
//! or status change, and it only ever grows by itself. The store's lock (S3 COMPLIANCE
//! retain-until, the local sidecar) is extended first, then the row and its
//! `record.retention_extended` entry (with the basis) in one transaction. A preservation
//! hold in force on the record or one of its cases (`holds`) raises the minimum.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use liuhen_domain::case::{CaseStatus, RetentionClass, retention_class};
use liuhen_domain::retention::{self, Basis, Retention, RetentionRules};
use liuhen_domain::{AuditAction, Record, RecordId};
use serde_json::json;

use crate::{AppError, Custody};

/// One case a record is linked to, as retention sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRetention {
    pub id: String,
    pub number: String,
    pub name: String,
    pub class: RetentionClass,
    /// When it was archived (the latest `case.edited` that set the status to archived).
    pub archived_at: Option<Timestamp>,
}

/// What a record page shows: how long the record is kept, and why.
#[derive(Debug, Clone)]
pub struct RecordRetention {
    /// The retain-until in force (the row; the store's lock is at least this).
    pub retain_until: Timestamp,
    /// What the rules ask for now (never more than `retain_until` once followed).
    pub target: Retention,
    pub cases: Vec<CaseRetention>,
}

impl RecordRetention {
    /// The case the basis names, if any.
    pub fn basis_case(&self) -> Option<&CaseRetention> {
        match &self.target.basis {
            Basis::Case { case_id, .. } => self.cases.iter().find(|c| &c.id == case_id),
            _ => None,
        }
    }
}

/// 保管期限 class names, for pages and log reasons.
pub fn class_label_zh(class: RetentionClass) -> &'static str {
    match class {
        RetentionClass::Permanent => "永久",
        RetentionClass::Complex => "30年（案情复杂、涉及多个法律关系）",
        RetentionClass::HearingOrEnforcedExecution => "10年（听证、行政强制执行）",
        RetentionClass::Ordinary => "5年（其他案件）",
    }
}

/// The entry's `basis` object: what a reader of the log needs to know why.
pub fn basis_json(r: &Retention, case: Option<&CaseRetention>) -> serde_json::Value {
    let mut v = json!({
        "kind": r.basis.code(),
        "permanent": r.permanent,
        "until_ms": r.until.as_millisecond(),
    });
    match &r.basis {
        Basis::RecordDate { years } | Basis::Custody { years } | Basis::Hold { years } => {
            v["years"] = json!(years);
        }
        Basis::Case {
            case_id,
            class,
            years,
            open,
        } => {
            v["case"] = json!(case_id);
            v["class"] = json!(class.code());
            v["years"] = json!(years);
            v["open"] = json!(open);
            if let Some(c) = case {
                v["case_number"] = json!(c.number);
            }
        }
    }
    v
}

/// Rounds up to whole seconds, as the stores keep retain-until.
fn ceil_to_second(t: Timestamp) -> Timestamp {
    let s = t.as_second() + i64::from(t.subsec_nanosecond() > 0);
    Timestamp::from_second(s).unwrap_or(Timestamp::MAX)
}

impl Custody {
    /// The retention rules in force (validated when the configuration was loaded).
    pub fn retention_rules(&self) -> RetentionRules {
        self.config.retention_rules().unwrap_or_default()
    }

    async fn case_retention(&self, case_id: &str) -> Result<CaseRetention, AppError> {
        let case = self.case(case_id).await?;
        let archived_at = if case.status == CaseStatus::Archived {
            let entries = self.db.entries_for(&format!("case:{}", case.id)).await?;
            let set_archived = entries.iter().rev().find(|e| {
                e.action == AuditAction::CaseEdited.as_str()
                    && liuhen_db::EntryBody::parse(&e.body)
                        .is_ok_and(|b| b.details["changes"]["status"]["to"] == "archived")
            });
            Some(set_archived.map_or(case.created_at, |e| {
                Timestamp::from_millisecond(e.at_ms).unwrap_or(case.created_at)
            }))
        } else {
            None
        };
        Ok(CaseRetention {
            class: retention_class(&case.flags),
            id: case.id,
            number: case.number,
            name: case.name,
            archived_at,
        })
    }

    /// The cases of the given (record, case) links, from `cache` or read once each.
    async fn cases_for(
        &self,
        links: &[(RecordId, String)],
        cache: &mut HashMap<String, CaseRetention>,
    ) -> Result<(), AppError> {
        for (_, id) in links {
            if !cache.contains_key(id) {
                let c = self.case_retention(id).await?;
                cache.insert(id.clone(), c);
            }
        }
        Ok(())
    }

    /// The targets (`record:<id>`, `case:<id>`) with a hold in force among `targets`: by
    /// target for a few, else every hold in force read at once.
    async fn held_targets(&self, targets: &[String]) -> Result<HashSet<String>, AppError> {
        let holds = if targets.len() <= 64 {
            self.db.holds_on(targets).await?
        } else {
            self.db.all_holds().await?
        };
        Ok(holds
            .into_iter()
            .filter(|h| h.in_force())
            .map(|h| h.target)
            .collect())
    }

    /// The pure rules over records whose links, cases and holds were read beforehand.
    fn retention_with(
        &self,
        record: &Record,
        cases: Vec<CaseRetention>,
        held: &HashSet<String>,
        rules: &RetentionRules,
        now: Timestamp,
    ) -> RecordRetention {
        let held = held.contains(&format!("record:{}", record.id))
            || cases
                .iter()
                .any(|c| held.contains(&format!("case:{}", c.id)));
        let facts: Vec<retention::CaseFacts<'_>> = cases
            .iter()
            .map(|c| retention::CaseFacts {
                id: &c.id,
                class: c.class,
                archived_at: c.archived_at,
            })
            .collect();
        let mut target = retention::retention(
            rules,
            &retention::RecordFacts {
                capture: record.media.capture_end.or(record.media.capture_start),
                stored_at: record.stored_at,
                cases: &facts,
                held,
            },
            now,
            &self.tz(),
        );
        target.until = ceil_to_second(target.until);
        RecordRetention {
            retain_until: record.retain_until,
            target,
            cases,
        }
    }

    /// Retention of each record, from its links (sorted by record, then case), reading
    /// the cases (cached) and the holds in force once for all.
    async fn retentions(
        &self,
        records: Vec<Record>,
        links: Vec<(RecordId, String)>,
        cache: &mut HashMap<String, CaseRetention>,
    ) -> Result<Vec<(Record, RecordRetention)>, AppError> {
        self.cases_for(&links, cache).await?;
        let mut by_record: HashMap<RecordId, Vec<CaseRetention>> = HashMap::new();
        for (record, case) in &links {
            by_record
                .entry(record.clone())
                .or_default()
                .push(cache[case].clone());
        }
        let mut targets: Vec<String> = records.iter().map(|r| format!("record:{}", r.id)).collect();
        let mut case_ids: Vec<&String> = links.iter().map(|(_, c)| c).collect();
        case_ids.sort();
        case_ids.dedup();
        targets.extend(case_ids.iter().map(|c| format!("case:{c}")));
        let held = self.held_targets(&targets).await?;
        let rules = self.retention_rules();
        let now = self.now();
        Ok(records
            .into_iter()
            .map(|record| {
                let cases = by_record.remove(&record.id).unwrap_or_default();
                let r = self.retention_with(&record, cases, &held, &rules, now);
                (record, r)
            })
            .collect())
    }

    /// How long `id` is kept and why (for the record page and `liuhen record show`).
    pub async fn record_retention(&self, id: &RecordId) -> Result<RecordRetention, AppError> {
        let record = self.record(id).await?;
        let links = self
            .db
            .case_links_of_records(std::slice::from_ref(id))
            .await?;
        let mut all = self
            .retentions(vec![record], links, &mut HashMap::new())
            .await?;
        Ok(all.pop().expect("one record in, one out").1)
    }

    /// Recomputes the retention of one record and extends it (store lock first, then row
    /// and entry) when the rules now ask for more. Never shortens. Returns the record when
    /// it was extended.
    pub async fn follow_retention(
        &self,
        id: &RecordId,
        actor: &str,
        why: &str,
    ) -> Result<Option<Record>, AppError> {
        let record = self.record(id).await?;
        let links = self
            .db
            .case_links_of_records(std::slice::from_ref(id))
            .await?;
        let planned = self
            .retentions(vec![record], links, &mut HashMap::new())
            .await?;
        Ok(self.follow_planned(planned, actor, why).await?.pop())
    }

    /// Recomputes the retention of every record (the server does it every
    /// `retention.recompute_every_hours`): renews permanent locks before they lapse and
    /// catches up a recomputation interrupted after its cause was committed. Returns how
    /// many were extended. A page of 1,000 records at a time, each page set-based as
    /// [`Custody::follow_case_retention`].
    pub async fn follow_all_retention(&self, actor: &str) -> Result<usize, AppError> {
        let mut cache = HashMap::new();
        let mut extended = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self.db.records_page(after.as_deref(), 1000).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            let records: Vec<Record> = page
                .into_iter()
                .filter_map(|(_, row)| row.ok().map(|(r, _)| r))
                .collect();
            let ids: Vec<RecordId> = records.iter().map(|r| r.id.clone()).collect();
            let links = self.db.case_links_of_records(&ids).await?;
            let planned = self.retentions(records, links, &mut cache).await?;
            extended += self
                .follow_planned(planned, actor, "定期复核保存期限")
                .await?
                .len();
        }
        Ok(extended)
    }

    /// Recomputes the retention of every record of `case` (after its flags or status
    /// changed). Returns how many were extended. Set-based (a case may hold 10,000
    /// records): the records and their links in two queries, the cases and holds once, the
    /// pure rules per record, every lock that must grow extended in one store batch, then
    /// one transaction reading the current rows, appending the
    /// `record.retention_extended` entries and updating the rows in multi-row statements.
    pub async fn follow_case_retention(
        &self,
        case_id: &str,
        actor: &str,
        why: &str,
    ) -> Result<usize, AppError> {
        let t = std::time::Instant::now();
        let records: Vec<Record> = self
            .db
            .records_of_case_rows(case_id)
            .await?
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        let links = self.db.case_links_of_case_records(case_id).await?;
        let planned = self.retentions(records, links, &mut HashMap::new()).await?;
        tracing::debug!(case = case_id, records = planned.len(), took = ?t.elapsed(), "retention planned");
        Ok(self.follow_planned(planned, actor, why).await?.len())
    }

    /// Extends what must be: the store's locks first (a lock is never behind its row), then
    /// in one transaction the rows as they are now (an edit may have landed since the
    /// plan), their entries and the rows. Returns the records extended.
    async fn follow_planned(
        &self,
        planned: Vec<(Record, RecordRetention)>,
        actor: &str,
        why: &str,
    ) -> Result<Vec<Record>, AppError> {
        let plan: Vec<(Record, RecordRetention, Timestamp)> = planned
            .into_iter()
            .filter(|(rec, r)| retention::must_extend(rec.retain_until, &r.target))
            .map(|(rec, r)| {
                let until = retention::applied(rec.retain_until, r.target.until);
                (rec, r, until)
            })
            .collect();
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let t = std::time::Instant::now();
        let mut locks: Vec<_> = plan.iter().map(|(rec, _, u)| (rec.sha256, *u)).collect();
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || match locks.as_slice() {
            [(sha, until)] => blobs.extend_retention(sha, *until),
            _ => {
                locks.sort_by_key(|(sha, _)| *sha);
                blobs.extend_retention_many(&locks)
            }
        })
        .await??;
        let locked = t.elapsed();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let ids: Vec<RecordId> = plan.iter().map(|(rec, _, _)| rec.id.clone()).collect();
        let mut current: HashMap<RecordId, Record> = tx
            .records_by_ids(&ids)
            .await?
            .into_iter()
            .map(|(r, _)| (r.id.clone(), r))
            .collect();
        let read = t.elapsed();
        let mut entries = Vec::with_capacity(plan.len());
        let mut updated_rows = Vec::with_capacity(plan.len());
        for (planned, r, until) in &plan {
            let current = current
                .remove(&planned.id)
                .ok_or_else(|| AppError::NotFound(format!("record {}", planned.id)))?;
            let mut updated = current.clone();
            updated.retain_until = retention::applied(current.retain_until, *until);
            if updated.retain_until == current.retain_until {
                continue;
            }
            entries.push(liuhen_db::NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::RetentionExtended,
                subject: Some(format!("record:{}", current.id)),
                details: json!({
                    "reason": reason_for(r, why),
                    "before": liuhen_db::record_snapshot(&current),
                    "record": liuhen_db::record_snapshot(&updated),
                    "row_hash": liuhen_db::record_row_hash(&updated),
                    "basis": basis_json(&r.target, r.basis_case()),
                }),
            });
            updated_rows.push(updated);
        }
        let built = t.elapsed();
        let appended = tx.append_many(now, entries).await?;
        let appends = t.elapsed();
        let rows: Vec<_> = updated_rows
            .iter()
            .zip(&appended)
            .map(|(u, e)| (u.id.clone(), u.retain_until, e.seq))
            .collect();
        tx.set_retain_until_many(&rows).await?;
        let updates = t.elapsed();
        tx.commit().await?;
        tracing::debug!(
            records = updated_rows.len(),
            locks = ?locked,
            rows_read = ?(read - locked),
            entries_built = ?(built - read),
            appends = ?(appends - built),
            updates = ?(updates - appends),
            commit = ?(t.elapsed() - updates),
            "retention extended"
        );
        Ok(updated_rows)
    }
}

fn reason_for(r: &RecordRetention, why: &str) -> String {
    match r.basis_case() {
        Some(c) => format!(
            "{why}：保存期限随案件 {}（{}）",
            c.number,
            class_label_zh(c.class)
        ),
        None if r.target.basis.code() == "hold" => format!("{why}：保全标记最少保存期限"),
        None => format!("{why}：保存期限按规则重新计算"),
    }
}
