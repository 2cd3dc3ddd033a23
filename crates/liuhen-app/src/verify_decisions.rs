//! `verify` for decisions, their legal-review rounds and the legal qualifications of
//! accounts: every change to them is an entry carrying the row as it became, so the latest
//! entry per row is what the table must hold. A hand edit (a status moved to `reviewed`, an
//! approval's digest changed, a certificate number typed into the table) shows as
//! `decision_edited`, `decision_review_unlogged` and the like.

use std::collections::BTreeMap;

use liuhen_db::EntryBody;
use liuhen_domain::AuditAction;
use serde_json::Value;

use crate::decisions::{decision_json, qualification_json, round_json};
use crate::verify::VerifyReport;
use crate::{AppError, Custody};

/// Whether an entry changes the decision tables (and so is replayed).
pub fn replays(body: &EntryBody) -> bool {
    matches!(
        AuditAction::parse(&body.action),
        Some(
            AuditAction::DecisionCreated
                | AuditAction::DecisionDraftUploaded
                | AuditAction::DecisionMarked
                | AuditAction::DecisionSubmitted
                | AuditAction::DecisionReviewed
                | AuditAction::DecisionReviewExtended
                | AuditAction::DecisionReviewOverdue
                | AuditAction::DecisionIssued
                | AuditAction::DecisionServed
                | AuditAction::LegalQualificationSet
        )
    )
}

#[derive(Debug, Default, PartialEq)]
struct Rows {
    decisions: BTreeMap<String, Value>,
    rounds: BTreeMap<String, Value>,
    qualifications: BTreeMap<String, Value>,
    /// Overdue-review alerts raised, by "round id/time limit".
    overdue_alerts: BTreeMap<String, Value>,
}

fn alert_row(round_id: &str, due_date: &str) -> (String, Value) {
    (
        format!("{round_id}/{due_date}"),
        serde_json::json!({ "round_id": round_id, "due_date": due_date }),
    )
}

fn key(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_owned()
}

/// The rows the entries (in log order) should have left.
fn replay(entries: &[EntryBody]) -> Rows {
    let mut r = Rows::default();
    for e in entries.iter().filter(|e| replays(e)) {
        let d = &e.details;
        if e.action == AuditAction::DecisionReviewOverdue.as_str() {
            let (k, v) = alert_row(&key(d, "round_id"), &key(d, "due_date"));
            r.overdue_alerts.insert(k, v);
            continue;
        }
        if let Some(x) = d.get("decision").filter(|x| x.is_object()) {
            r.decisions.insert(key(x, "id"), x.clone());
        }
        if let Some(x) = d.get("round").filter(|x| x.is_object()) {
            r.rounds.insert(key(x, "id"), x.clone());
        }
        if let Some(q) = d.get("qualification").filter(|x| x.is_object()) {
            let user = key(q, "user_id");
            if key(q, "cert_no").is_empty() {
                r.qualifications.remove(&user);
            } else {
                r.qualifications.insert(user, q.clone());
            }
        }
    }
    r
}

fn compare(
    report: &mut VerifyReport,
    kind: &'static str,
    codes: [&'static str; 3],
    expected: &BTreeMap<String, Value>,
    stored: &BTreeMap<String, Value>,
) {
    let [unlogged, missing, edited] = codes;
    for (k, row) in stored {
        let subject = format!("{kind}:{k}");
        match expected.get(k) {
            None => report.push_problem(
                unlogged,
                &subject,
                format!("{kind} {k} has no log entry (inserted outside liuhen)"),
            ),
            Some(want) if want != row => {
                let fields: Vec<String> = row
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(f, v)| want.get(f.as_str()) != Some(*v))
                    .map(|(f, v)| {
                        format!(
                            "{f} is {v} in the table but {} in the log",
                            want.get(f.as_str()).unwrap_or(&Value::Null)
                        )
                    })
                    .collect();
                report.push_problem(
                    edited,
                    &subject,
                    format!("{kind} {k} differs from the log: {}", fields.join("; ")),
                );
            }
            Some(_) => {}
        }
    }
    for k in expected.keys().filter(|k| !stored.contains_key(*k)) {
        report.push_problem(
            missing,
            format!("{kind}:{k}"),
            format!("{kind} {k} is in the log but missing from its table (deleted)"),
        );
    }
}

impl Custody {
    async fn stored_decision_rows(&self) -> Result<Rows, AppError> {
        let mut r = Rows::default();
        for d in self.db.all_decisions().await? {
            r.decisions.insert(d.id.clone(), decision_json(&d));
        }
        for x in self.db.all_rounds().await? {
            r.rounds.insert(x.id.clone(), round_json(&x));
        }
        for q in self.db.all_qualifications().await? {
            r.qualifications
                .insert(q.user_id.clone(), qualification_json(&q));
        }
        for (round_id, due_date) in self.db.overdue_alerts().await? {
            let (k, v) = alert_row(&round_id, &due_date);
            r.overdue_alerts.insert(k, v);
        }
        Ok(r)
    }

    /// Adds a problem for every decision, review round or qualification row that the log
    /// does not account for.
    pub(crate) async fn check_decision_rows(
        &self,
        entries: &[EntryBody],
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let want = replay(entries);
        let have = match self.stored_decision_rows().await {
            Ok(h) => h,
            Err(AppError::Db(e)) => {
                report.push_problem(
                    "decision_malformed",
                    "decisions",
                    format!("the decision tables cannot be read: {e}"),
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let codes = ["decision_unlogged", "decision_missing", "decision_edited"];
        compare(report, "decision", codes, &want.decisions, &have.decisions);
        let codes = [
            "decision_review_unlogged",
            "decision_review_missing",
            "decision_review_edited",
        ];
        compare(report, "review_round", codes, &want.rounds, &have.rounds);
        let codes = [
            "qualification_unlogged",
            "qualification_missing",
            "qualification_edited",
        ];
        compare(
            report,
            "qualification",
            codes,
            &want.qualifications,
            &have.qualifications,
        );
        let codes = [
            "review_alert_unlogged",
            "review_alert_missing",
            "review_alert_edited",
        ];
        compare(
            report,
            "review_alert",
            codes,
            &want.overdue_alerts,
            &have.overdue_alerts,
        );
        Ok(())
    }
}
