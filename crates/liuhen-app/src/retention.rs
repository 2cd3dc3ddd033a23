//! Retention follows the case (R2.10, R3.5): a record's retain-until is recomputed with the
//! pure rules (`liuhen_domain::retention`) when it is linked to a case, when a case's flags
//! or status change, and it only ever grows by itself. The store's lock (S3 COMPLIANCE
//! retain-until, the local sidecar) is extended first, then the row and its
//! `record.retention_extended` entry (with the basis) in one transaction. A preservation
//! hold in force on the record or one of its cases (`holds`) raises the minimum.

use std::collections::HashMap;

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

    async fn retention_of(
        &self,
        record: &Record,
        cache: &mut HashMap<String, CaseRetention>,
    ) -> Result<RecordRetention, AppError> {
        let mut cases = Vec::new();
        for id in self.db.cases_of_record(&record.id).await? {
            let c = match cache.get(&id) {
                Some(c) => c.clone(),
                None => {
                    let c = self.case_retention(&id).await?;
                    cache.insert(id, c.clone());
                    c
                }
            };
            cases.push(c);
        }
        let mut targets = vec![format!("record:{}", record.id)];
        targets.extend(cases.iter().map(|c| format!("case:{}", c.id)));
        let held = self
            .db
            .holds_on(&targets)
            .await?
            .iter()
            .any(|h| h.in_force());
        let facts: Vec<retention::CaseFacts<'_>> = cases
            .iter()
            .map(|c| retention::CaseFacts {
                id: &c.id,
                class: c.class,
                archived_at: c.archived_at,
            })
            .collect();
        let mut target = retention::retention(
            &self.retention_rules(),
            &retention::RecordFacts {
                capture: record.media.capture_end.or(record.media.capture_start),
                stored_at: record.stored_at,
                cases: &facts,
                held,
            },
            self.now(),
            &self.tz(),
        );
        target.until = ceil_to_second(target.until);
        Ok(RecordRetention {
            retain_until: record.retain_until,
            target,
            cases,
        })
    }

    /// How long `id` is kept and why (for the record page and `liuhen record show`).
    pub async fn record_retention(&self, id: &RecordId) -> Result<RecordRetention, AppError> {
        let record = self.record(id).await?;
        self.retention_of(&record, &mut HashMap::new()).await
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
        self.follow_one(id, actor, why, &mut HashMap::new()).await
    }

    async fn follow_one(
        &self,
        id: &RecordId,
        actor: &str,
        why: &str,
        cache: &mut HashMap<String, CaseRetention>,
    ) -> Result<Option<Record>, AppError> {
        let record = self.record(id).await?;
        let r = self.retention_of(&record, cache).await?;
        if !retention::must_extend(record.retain_until, &r.target) {
            return Ok(None);
        }
        let until = retention::applied(record.retain_until, r.target.until);
        let blobs = self.blobs.clone();
        let sha = record.sha256;
        tokio::task::spawn_blocking(move || blobs.extend_retention(&sha, until)).await??;
        let basis = basis_json(&r.target, r.basis_case());
        let reason = reason_for(&r, why);
        let updated = self
            .rebind_with(
                id,
                AuditAction::RetentionExtended,
                actor,
                &reason,
                json!({ "basis": basis }),
                |current| {
                    let mut updated = current.clone();
                    updated.retain_until = retention::applied(current.retain_until, until);
                    Ok(updated)
                },
            )
            .await?;
        Ok(Some(updated))
    }

    /// Recomputes the retention of every record (the server does it every
    /// `retention.recompute_every_hours`): renews permanent locks before they lapse and
    /// catches up a recomputation interrupted after its cause was committed. Returns how
    /// many were extended.
    pub async fn follow_all_retention(&self, actor: &str) -> Result<usize, AppError> {
        let mut cache = HashMap::new();
        let mut extended = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self.db.records_page(after.as_deref(), 1000).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (_, row) in page {
                let Ok((record, _)) = row else { continue };
                if self
                    .follow_one(&record.id, actor, "定期复核保存期限", &mut cache)
                    .await?
                    .is_some()
                {
                    extended += 1;
                }
            }
        }
        Ok(extended)
    }

    /// Recomputes the retention of every record of `case` (after its flags or status
    /// changed). Returns how many were extended. Batched (a case may hold 10,000 records):
    /// every lock that must grow is extended first in one store batch, then the rows and
    /// their `record.retention_extended` entries are written in transactions of
    /// [`BATCH`] records.
    pub async fn follow_case_retention(
        &self,
        case_id: &str,
        actor: &str,
        why: &str,
    ) -> Result<usize, AppError> {
        let ids = self.db.records_of_case(case_id).await?;
        self.follow_many(&ids, actor, why).await
    }

    async fn follow_many(
        &self,
        ids: &[RecordId],
        actor: &str,
        why: &str,
    ) -> Result<usize, AppError> {
        let mut cache = HashMap::new();
        let mut plan = Vec::new();
        for id in ids {
            let record = self.record(id).await?;
            let r = self.retention_of(&record, &mut cache).await?;
            if retention::must_extend(record.retain_until, &r.target) {
                let until = retention::applied(record.retain_until, r.target.until);
                plan.push((record, r, until));
            }
        }
        if plan.is_empty() {
            return Ok(0);
        }
        // The store's locks first: a lock is never behind its row.
        let locks: Vec<_> = plan.iter().map(|(rec, _, u)| (rec.sha256, *u)).collect();
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.extend_retention_many(&locks)).await??;
        let now = self.now();
        for chunk in plan.chunks(BATCH) {
            let mut tx = self.db.begin().await?;
            for (planned, r, until) in chunk {
                // The row as it is now (an edit may have landed since the plan).
                let (current, _) = self
                    .db
                    .record(&planned.id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("record {}", planned.id)))?;
                let mut updated = current.clone();
                updated.retain_until = retention::applied(current.retain_until, *until);
                if updated.retain_until == current.retain_until {
                    continue;
                }
                let reason = reason_for(r, why);
                let entry = tx
                    .append(
                        now,
                        liuhen_db::NewEntry {
                            actor: actor.to_owned(),
                            action: AuditAction::RetentionExtended,
                            subject: Some(format!("record:{}", current.id)),
                            details: json!({
                                "reason": reason,
                                "before": liuhen_db::record_snapshot(&current),
                                "record": liuhen_db::record_snapshot(&updated),
                                "row_hash": liuhen_db::record_row_hash(&updated),
                                "basis": basis_json(&r.target, r.basis_case()),
                            }),
                        },
                    )
                    .await?;
                tx.update_record(&updated, entry.seq).await?;
            }
            tx.commit().await?;
        }
        Ok(plan.len())
    }
}

/// Records per transaction when a case's records are extended together.
const BATCH: usize = 500;

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
