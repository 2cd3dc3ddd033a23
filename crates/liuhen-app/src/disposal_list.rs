//! The disposal procedure (销毁清册, R6.3, R2.7): a keeper (`retention.disposal_roles`) draws
//! up a list of due records with an appraisal note each; the chain of
//! `retention.disposal_chain` decides it step by step (`liuhen_domain::disposal_list`);
//! executing an approved list deletes each item's original and derivatives from the store
//! under the list's warrant — the only code in liuhen that asks the store to delete —
//! and leaves a tombstone row. Every step is one entry in the same transaction as its rows;
//! refusals are logged.
//!
//! Execution, per item: the item is withheld if it is no longer due (a hold placed since,
//! …) or its lock in the store has not passed; otherwise the tombstone and its
//! `record.disposed` entry are committed first, then the blobs are deleted. A stop in
//! between leaves a tombstone whose blob is still there (`verify` warns
//! `disposal_unfinished`; executing the list again finishes it), never a missing blob
//! without a tombstone. The list is marked executed (`disposal.executed`) at the end.

use liuhen_db::{DisposalDecisionRow, DisposalItemRow, DisposalListRow, NewEntry, TombstoneRow};
use liuhen_domain::approval::StepDecision;
use liuhen_domain::authz::Principal;
use liuhen_domain::disposal::Standing;
use liuhen_domain::disposal_list::{
    self as rules, Decision, DisposalRefusal, ListState, ListStatus,
};
use liuhen_domain::{AuditAction, RecordId, Role};
use serde_json::json;

use crate::{AppError, Custody};

/// One record proposed for the list, with the keeper's appraisal (鉴定意见).
#[derive(Debug, Clone)]
pub struct DraftItem {
    pub record: RecordId,
    pub appraisal: String,
}

/// A disposal list with its items and decisions.
#[derive(Debug, Clone)]
pub struct DisposalList {
    pub row: DisposalListRow,
    pub status: ListStatus,
    pub chain: Vec<Role>,
    pub items: Vec<DisposalItemRow>,
    pub decisions: Vec<Decision>,
}

impl DisposalList {
    /// The step waiting for a decision, if any.
    pub fn next_step(&self) -> Option<(usize, Role)> {
        rules::next_step(&self.state())
    }
    fn state(&self) -> ListState<'_> {
        ListState {
            drafted_by: &self.row.drafted_by,
            status: self.status,
            chain: &self.chain,
            decisions: &self.decisions,
        }
    }
}

/// What executing a list did.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    pub disposed: Vec<TombstoneRow>,
    /// Records left in place, with the reason (`held`, `open_case`, `kept`, `lock_not_passed`).
    pub withheld: Vec<(String, String)>,
}

pub(crate) fn decision_json(d: &Decision) -> serde_json::Value {
    json!({
        "step": d.step,
        "role": d.role.code(),
        "approver": d.approver_id,
        "decision": d.decision.code(),
        "reason": d.reason,
        "decided_ms": d.decided_ms,
    })
}

impl Custody {
    pub(crate) async fn refuse_disposal_pub(
        &self,
        who: &Principal,
        subject: &str,
        r: DisposalRefusal,
    ) -> AppError {
        self.refuse_disposal(who, subject, "disposal.execute", r)
            .await
    }

    async fn refuse_disposal(
        &self,
        who: &Principal,
        subject: &str,
        what: &str,
        r: DisposalRefusal,
    ) -> AppError {
        let logged = self
            .log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: Some(subject.to_owned()),
                details: json!({ "action": what, "reason": r.code() }),
            })
            .await;
        if let Err(e) = logged {
            return e;
        }
        AppError::Refused {
            code: r.code(),
            message: r.message(),
        }
    }

    fn may_draw_up(&self, who: &Principal) -> bool {
        let roles = self.config.disposal_roles().unwrap_or_default();
        who.roles.iter().any(|r| roles.contains(r))
    }

    /// A disposal list by id, with its items and decisions.
    pub async fn disposal_list(&self, id: &str) -> Result<DisposalList, AppError> {
        let row = self
            .db
            .disposal_list(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("disposal list {id}")))?;
        let status = ListStatus::parse(&row.status)
            .ok_or_else(|| AppError::Invalid(format!("disposal list {id}: bad status")))?;
        let chain = row
            .chain
            .split(',')
            .map(|s| s.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::Invalid(format!("disposal list {id}: bad chain")))?;
        let mut decisions = Vec::new();
        for d in self.db.disposal_decisions(id).await? {
            decisions.push(Decision {
                step: usize::try_from(d.step).unwrap_or(usize::MAX),
                role: d
                    .role
                    .parse()
                    .map_err(|_| AppError::Invalid(format!("disposal list {id}: bad role")))?,
                approver_id: d.approver_id,
                decision: StepDecision::parse(&d.decision).ok_or_else(|| {
                    AppError::Invalid(format!("disposal list {id}: bad decision"))
                })?,
                reason: d.reason,
                decided_ms: d.decided_ms,
            });
        }
        let items = self.db.disposal_items(id).await?;
        Ok(DisposalList {
            row,
            status,
            chain,
            items,
            decisions,
        })
    }

    /// The keepers and the chain's roles see the lists; others are refused (logged).
    pub async fn disposal_lists_allowed(&self, who: &Principal) -> Result<(), AppError> {
        let chain = self.config.disposal_chain().unwrap_or_default();
        if !self.may_draw_up(who) && !who.roles.iter().any(|r| chain.contains(r)) {
            let r = DisposalRefusal::NotAllowed;
            return Err(self
                .refuse_disposal(who, "disposal", "disposal.lists", r)
                .await);
        }
        Ok(())
    }

    /// Every disposal list, newest first (for `disposal_roles` and the chain's roles).
    pub async fn disposal_lists(&self, who: &Principal) -> Result<Vec<DisposalList>, AppError> {
        self.disposal_lists_allowed(who).await?;
        let mut out = Vec::new();
        for row in self.db.disposal_lists().await? {
            out.push(self.disposal_list(&row.id).await?);
        }
        Ok(out)
    }

    /// Draws up a disposal list of due records, each with an appraisal note.
    pub async fn draft_disposal_list(
        &self,
        who: &Principal,
        note: &str,
        items: &[DraftItem],
    ) -> Result<DisposalList, AppError> {
        let subject = "disposal";
        let what = "disposal.draft";
        if !self.may_draw_up(who) {
            let r = DisposalRefusal::NotAllowed;
            return Err(self.refuse_disposal(who, subject, what, r).await);
        }
        if items.is_empty() {
            let r = DisposalRefusal::Empty;
            return Err(self.refuse_disposal(who, subject, what, r).await);
        }
        if items.iter().any(|i| i.appraisal.trim().is_empty()) {
            let r = DisposalRefusal::AppraisalRequired;
            return Err(self.refuse_disposal(who, subject, what, r).await);
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut listed = Vec::new();
        for i in items {
            let record = self.record(&i.record).await?;
            let facts = self.record_facts(who, &record).await?;
            let visible = self.allows(who, liuhen_domain::authz::Action::ViewRecord, &facts);
            let due = self.disposal_standing(&record).await? == Standing::Due;
            let fresh = self.db.tombstone(record.id.as_str()).await?.is_none();
            if !visible || !due || !fresh || !seen.insert(record.id.to_string()) {
                let r = DisposalRefusal::NotDue;
                let subject = format!("record:{}", record.id);
                return Err(self.refuse_disposal(who, &subject, what, r).await);
            }
            listed.push((record, i.appraisal.trim().to_owned()));
        }
        let chain = self.config.disposal_chain().map_err(AppError::Invalid)?;
        let now = self.now();
        let id = uuid::Uuid::now_v7().to_string();
        let row = DisposalListRow {
            id: id.clone(),
            drafted_ms: now.as_millisecond(),
            drafted_by: who.user_id.clone(),
            note: note.trim().to_owned(),
            chain: chain.iter().map(|r| r.code()).collect::<Vec<_>>().join(","),
            status: ListStatus::Pending.code().into(),
            executed_ms: None,
            executed_by: None,
        };
        let item_rows: Vec<DisposalItemRow> = listed
            .iter()
            .map(|(r, a)| DisposalItemRow {
                list_id: id.clone(),
                record_id: r.id.to_string(),
                appraisal: a.clone(),
            })
            .collect();
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::DisposalDrafted,
                subject: Some(format!("disposal:{id}")),
                details: json!({
                    "list": id,
                    "note": row.note,
                    "chain": chain.iter().map(|r| r.code()).collect::<Vec<_>>(),
                    "items": listed.iter().map(|(r, a)| json!({
                        "record": r.id.to_string(),
                        "sha256": r.sha256.to_hex(),
                        "retain_until": r.retain_until.to_string(),
                        "appraisal": a,
                    })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        tx.insert_disposal_list(&row, &item_rows).await?;
        tx.commit().await?;
        self.disposal_list(&id).await
    }

    /// Decides the next step of a pending list (approve or reject, with a reason).
    pub async fn decide_disposal_list(
        &self,
        who: &Principal,
        list_id: &str,
        decision: StepDecision,
        reason: &str,
    ) -> Result<DisposalList, AppError> {
        let list = self.disposal_list(list_id).await?;
        let subject = format!("disposal:{}", list.row.id);
        let (step, role, after) = match rules::decide(&list.state(), who, decision, reason) {
            Ok(x) => x,
            Err(r) => {
                return Err(self
                    .refuse_disposal(who, &subject, "disposal.decide", r)
                    .await);
            }
        };
        let now = self.now();
        let row = DisposalDecisionRow {
            list_id: list.row.id.clone(),
            step: step as i64,
            role: role.code().into(),
            approver_id: who.user_id.clone(),
            decision: decision.code().into(),
            reason: reason.trim().into(),
            decided_ms: now.as_millisecond(),
        };
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::DisposalDecided,
                subject: Some(subject),
                details: json!({
                    "list": row.list_id,
                    "step": step,
                    "role": row.role,
                    "decision": row.decision,
                    "reason": row.reason,
                    "approver_name": who.officer_name,
                    "status": after.code(),
                }),
            },
        )
        .await?;
        if !tx.decide_disposal_step(&row, after.code()).await? {
            return Err(AppError::Refused {
                code: DisposalRefusal::NotPending.code(),
                message: DisposalRefusal::NotPending.message(),
            });
        }
        tx.commit().await?;
        self.disposal_list(list_id).await
    }
}
