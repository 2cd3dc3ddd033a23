//! Overdue legal reviews are alerted (issue 13): a pending round past its time limit raises
//! one `decision.review_overdue` entry (actor `system`) per round and time limit, claimed
//! in the same transaction (table `decision_review_alerts`), so that however often and from
//! wherever it is looked for — the background loop of `serve`, the alerts page, the legal
//! office's inbox and home page — it is raised once. The alerts page lists these entries
//! (signal kind `review_overdue`).

use jiff::Timestamp;
use liuhen_db::NewEntry;
use liuhen_domain::AuditAction;
use serde_json::json;

use super::review::InboxItem;
use crate::{AppError, Custody};

impl Custody {
    /// Raises the alert of every pending review past its time limit at `now` that has not
    /// been raised yet; returns the rounds alerted now.
    pub async fn raise_overdue_reviews(&self, now: Timestamp) -> Result<Vec<InboxItem>, AppError> {
        let today = self.local_date(now);
        let cal = self.work_calendar();
        let mut raised = Vec::new();
        for item in self.pending_reviews(now).await? {
            if !item.overdue {
                continue;
            }
            let mut tx = self.db.begin().await?;
            let first = tx
                .claim_overdue_alert(&item.round.id, &item.round.due_date, now.as_millisecond())
                .await?;
            if !first {
                tx.rollback().await?;
                continue;
            }
            tx.append(
                now,
                NewEntry {
                    actor: "system".into(),
                    action: AuditAction::DecisionReviewOverdue,
                    subject: Some(format!("decision:{}", item.decision.id)),
                    details: json!({
                        "decision": item.decision.id,
                        "case": item.case.id,
                        "case_number": item.case.number,
                        "agency": item.case.agency,
                        "round": item.round.round,
                        "round_id": item.round.id,
                        "submitted_by": item.round.submitted_by,
                        "due_date": item.round.due_date,
                        "extended": !item.round.extend_reason.is_empty(),
                        "working_days_late": cal.working_days_between(item.due, today).ok(),
                    }),
                },
            )
            .await?;
            tx.commit().await?;
            tracing::warn!(
                decision = %item.decision.id,
                case = %item.case.number,
                due = %item.round.due_date,
                "legal review overdue: alert raised"
            );
            raised.push(item);
        }
        Ok(raised)
    }
}
