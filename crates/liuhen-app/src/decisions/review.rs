//! Submission for legal review (with the materials checklist, the case's compliance report
//! attached), the legal office's decision on a round, the one extension of its time limit,
//! and the inbox with overdue rounds.

use jiff::Timestamp;
use jiff::civil::Date;
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::decision::calendar::{BeyondCalendar, CALENDAR_NOT_COVERED};
use liuhen_domain::decision::gate::{self, ReviewerFacts};
use liuhen_domain::decision::{DecisionStatus, ReviewOutcome};
use serde_json::json;

use super::{DecisionRow, RoundRow};
use crate::cases::CaseRow;
use crate::{AppError, Custody};

/// A round waiting for the legal office.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub decision: DecisionRow,
    pub case: CaseRow,
    pub round: RoundRow,
    pub due: Date,
    /// The calendar lists the holidays of the due date's year.
    pub calendar_covers: bool,
    pub overdue: bool,
}

/// A time limit the calendar cannot count (a year it does not list): refused, nothing
/// changed, with the year to add named.
fn beyond_calendar(e: BeyondCalendar) -> AppError {
    AppError::Refused {
        code: CALENDAR_NOT_COVERED,
        message: e.message(),
    }
}

impl Custody {
    /// Submits the current draft for legal review with the ticked materials; the system
    /// materials (the case's recording compliance report) are attached by liuhen, and the
    /// report's counts go into the entry. The time limit counts working days.
    pub async fn submit_for_review(
        &self,
        who: &Principal,
        id: &str,
        ticked: &[String],
        now: Timestamp,
    ) -> Result<RoundRow, AppError> {
        let mut d = self.decision_row(id).await?;
        let case = self.decision_case(who, Action::ManageCase, &d).await?;
        let catalog = self.decision_catalog();
        if let Some(t) = ticked
            .iter()
            .find(|t| !catalog.materials.iter().any(|m| &m.code == *t))
        {
            return Err(AppError::Invalid(format!("未知的送审材料“{t}”")));
        }
        let missing = catalog
            .materials
            .iter()
            .filter(|m| m.required && !m.system && !ticked.contains(&m.code))
            .count();
        let needs = self.needs_review(&d);
        if let Err(e) = gate::check_submit(d.status, needs, &d.draft_sha256, missing) {
            return Err(self.refuse_gate(who, Action::ManageCase, id, e).await);
        }
        let mut materials: Vec<String> = catalog
            .materials
            .iter()
            .filter(|m| m.system || ticked.contains(&m.code))
            .map(|m| m.code.clone())
            .collect();
        materials.dedup();
        let verdict = self.case_compliance(&case.id).await?;
        let rounds = self.db.rounds(id).await?;
        let start = self.local_date(now);
        let due = self
            .work_calendar()
            .add_working_days(start, catalog.review_working_days)
            .map_err(beyond_calendar)?;
        let round = RoundRow {
            id: uuid::Uuid::now_v7().to_string(),
            decision_id: d.id.clone(),
            round: rounds.last().map_or(1, |r| r.round + 1),
            submitted_by: who.user_id.clone(),
            submitted_ms: now.as_millisecond(),
            materials,
            draft_sha256: d.draft_sha256.clone(),
            due_date: due.to_string(),
            extend_reason: String::new(),
            outcome: None,
            opinion: String::new(),
            changes: String::new(),
            reviewer: String::new(),
            reviewer_cert: String::new(),
            reviewed_ms: 0,
        };
        d.status = DecisionStatus::UnderReview;
        self.write_decision(
            who,
            now,
            AuditAction::DecisionSubmitted,
            &d,
            Some(&round),
            json!({
                "compliance_report": {
                    "level": verdict.level.code(),
                    "violations": verdict.violations(),
                    "warnings": verdict.warnings(),
                },
            }),
        )
        .await?;
        Ok(round)
    }

    /// Whether `who` handles the decision's case: on its team (by account), or drafted or
    /// submitted it.
    fn handles_case(who: &Principal, case: &CaseRow, d: &DecisionRow, rounds: &[RoundRow]) -> bool {
        crate::case_work::team_ids(case).contains(&who.user_id)
            || d.created_by == who.user_id
            || rounds.iter().any(|r| r.submitted_by == who.user_id)
    }

    /// The legal office decides the pending round: only qualified staff (certificate on
    /// the account), of the case's unit, not handling the case; with a written opinion.
    pub async fn review_decision(
        &self,
        who: &Principal,
        id: &str,
        outcome: ReviewOutcome,
        opinion: &str,
        changes: &str,
        now: Timestamp,
    ) -> Result<RoundRow, AppError> {
        let subject = format!("decision:{id}");
        let mut d = self.decision_row(id).await?;
        self.authorize(who, Action::ReviewDecision, Target::System, Some(&subject))
            .await?;
        let case = self.decision_case(who, Action::ViewCase, &d).await?;
        let rounds = self.db.rounds(id).await?;
        let cert = self.legal_qualification(&who.user_id).await?;
        let facts = ReviewerFacts {
            handles_case: Self::handles_case(who, &case, &d, &rounds),
            certificate: cert.as_deref(),
        };
        let next = match gate::check_review(d.status, facts, outcome, opinion) {
            Ok(s) => s,
            Err(e) => return Err(self.refuse_gate(who, Action::ReviewDecision, id, e).await),
        };
        let Some(mut round) = rounds.last().cloned().filter(|r| r.outcome.is_none()) else {
            let e = gate::GateRefusal::WrongStatus;
            return Err(self.refuse_gate(who, Action::ReviewDecision, id, e).await);
        };
        round.outcome = Some(outcome);
        round.opinion = opinion.trim().to_owned();
        round.changes = changes.trim().to_owned();
        round.reviewer = who.user_id.clone();
        round.reviewer_cert = cert.unwrap_or_default();
        round.reviewed_ms = now.as_millisecond();
        d.status = next;
        let overdue = round
            .due_date
            .parse::<Date>()
            .is_ok_and(|due| self.local_date(now) > due);
        self.write_decision(
            who,
            now,
            AuditAction::DecisionReviewed,
            &d,
            Some(&round),
            json!({ "overdue": overdue }),
        )
        .await?;
        Ok(round)
    }

    /// Extends the pending round's time limit once, with a reason (the legal office).
    pub async fn extend_review(
        &self,
        who: &Principal,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<RoundRow, AppError> {
        let subject = format!("decision:{id}");
        let d = self.decision_row(id).await?;
        self.authorize(who, Action::ReviewDecision, Target::System, Some(&subject))
            .await?;
        self.decision_case(who, Action::ViewCase, &d).await?;
        let rounds = self.db.rounds(id).await?;
        let pending = rounds.last().filter(|r| r.outcome.is_none());
        let already = pending.is_some_and(|r| !r.extend_reason.is_empty());
        if let Err(e) = gate::check_extend(d.status, already, reason) {
            return Err(self.refuse_gate(who, Action::ReviewDecision, id, e).await);
        }
        let Some(mut round) = pending.cloned() else {
            let e = gate::GateRefusal::WrongStatus;
            return Err(self.refuse_gate(who, Action::ReviewDecision, id, e).await);
        };
        let due: Date = round
            .due_date
            .parse()
            .map_err(|e| AppError::Invalid(format!("due date: {e}")))?;
        let extra = self.decision_catalog().extension_working_days;
        round.due_date = self
            .work_calendar()
            .add_working_days(due, extra)
            .map_err(beyond_calendar)?
            .to_string();
        round.extend_reason = reason.trim().to_owned();
        self.write_decision(
            who,
            now,
            AuditAction::DecisionReviewExtended,
            &d,
            Some(&round),
            json!({ "previous_due_date": due.to_string() }),
        )
        .await?;
        Ok(round)
    }

    /// The rounds waiting for the legal office of `who`'s unit, earliest limit first,
    /// overdue ones marked (the legal office; `decision.review`).
    pub async fn review_inbox(
        &self,
        who: &Principal,
        now: Timestamp,
    ) -> Result<Vec<InboxItem>, AppError> {
        self.authorize(who, Action::ReviewDecision, Target::System, None)
            .await?;
        self.raise_overdue_reviews(now).await?;
        let items = self.pending_reviews(now).await?;
        Ok(items
            .into_iter()
            .filter(|i| who.unit.as_deref().is_some_and(|u| u == i.case.agency))
            .collect())
    }

    /// Every pending round of every unit with its time limit (for alerts and the CLI).
    pub async fn pending_reviews(&self, now: Timestamp) -> Result<Vec<InboxItem>, AppError> {
        let today = self.local_date(now);
        let cal = self.work_calendar();
        let mut out = Vec::new();
        for round in self.db.pending_rounds().await? {
            let decision = self.decision_row(&round.decision_id).await?;
            let case = self.case(&decision.case_id).await?;
            let due: Date = round
                .due_date
                .parse()
                .map_err(|e| liuhen_db::DbError::Corrupt {
                    what: format!("review round {}", round.id),
                    detail: format!("due date: {e}"),
                })?;
            out.push(InboxItem {
                overdue: today > due,
                calendar_covers: cal.covers(due.year()),
                due,
                decision,
                case,
                round,
            });
        }
        Ok(out)
    }
}
