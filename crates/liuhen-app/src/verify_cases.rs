//! `verify` for the case tables and reviewer sheets: their expected content is replayed from
//! the log (every change to them is an entry carrying what changed) and compared with the
//! rows, so a hand edit of a case, step, link, explanation or review shows as a problem.

use std::collections::BTreeMap;

use liuhen_db::EntryBody;
use liuhen_domain::AuditAction;
use serde_json::{Value, json};

use crate::cases::CaseFlag;
use crate::log_snapshot::{CaseSnapshot, StepRowSnapshot, StepSnapshot};
use crate::verify::VerifyReport;
use crate::{AppError, Custody};

/// Expected rows by kind and key, replayed from the log.
#[derive(Debug, Default, PartialEq)]
pub struct Replayed {
    pub cases: BTreeMap<String, Value>,
    pub steps: BTreeMap<String, Value>,
    pub links: BTreeMap<String, Value>,
    pub explanations: BTreeMap<String, Value>,
    pub reviews: BTreeMap<String, Value>,
}

/// Whether an entry changes case tables or reviewer sheets (and so is replayed).
pub fn replays(body: &EntryBody) -> bool {
    matches!(
        AuditAction::parse(&body.action),
        Some(
            AuditAction::CaseCreated
                | AuditAction::CaseChanged
                | AuditAction::CaseEdited
                | AuditAction::StepAdded
                | AuditAction::RecordLinked
                | AuditAction::RecordUnlinked
                | AuditAction::InterruptionExplained
                | AuditAction::RecordReviewed
        )
    )
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A team's accounts as entries older than issue 10 imply: none, one `null` per member.
fn no_accounts(team: &Value) -> Value {
    let n = team.as_array().map_or(0, Vec::len);
    Value::Array(vec![Value::Null; n])
}

/// Replays the entries (in log order) into the rows they should have produced.
pub fn replay(entries: &[EntryBody]) -> Replayed {
    let mut r = Replayed::default();
    for e in entries {
        let d = &e.details;
        let subject = e.subject.as_deref().unwrap_or_default();
        let case_id = subject.strip_prefix("case:").unwrap_or_default().to_owned();
        match AuditAction::parse(&e.action) {
            Some(AuditAction::CaseCreated) => {
                // Read through the log's own type; an entry it cannot read is compared as
                // logged, with what older entries lack taking its old meaning.
                if let Some(c) = CaseSnapshot::from_logged(&d["case"]) {
                    r.cases.insert(case_id, c.to_value());
                    continue;
                }
                let mut c = d["case"].clone();
                if c.get("agency").is_none() {
                    c["agency"] = json!("");
                }
                if c.get("team_ids").is_none() {
                    // Logged before identity by account (issue 10): no member had one.
                    c["team_ids"] = no_accounts(&c["team"]);
                }
                r.cases.insert(case_id, c);
            }
            Some(AuditAction::CaseChanged) => {
                if let Some(c) = r.cases.get_mut(&case_id) {
                    let flag = s(&d["flag"]);
                    let on = d["value"].as_bool() == Some(true);
                    let mut set: Vec<String> = c["flags"]
                        .as_array()
                        .map(|a| a.iter().map(s).collect())
                        .unwrap_or_default();
                    set.retain(|f| *f != flag);
                    if on {
                        set.push(flag);
                    }
                    let ordered: Vec<&str> = CaseFlag::ALL
                        .iter()
                        .map(|f| f.code())
                        .filter(|code| set.iter().any(|f| f == code))
                        .collect();
                    c["flags"] = json!(ordered);
                }
            }
            Some(AuditAction::CaseEdited) => {
                if let (Some(c), Some(changes)) =
                    (r.cases.get_mut(&case_id), d["changes"].as_object())
                {
                    for (k, v) in changes {
                        c[k.as_str()] = v["to"].clone();
                    }
                    if changes.contains_key("team") && !changes.contains_key("team_ids") {
                        c["team_ids"] = no_accounts(&c["team"]);
                    }
                }
            }
            Some(AuditAction::StepAdded) => {
                if let Ok(step) = serde_json::from_value::<StepSnapshot>(d["step"].clone()) {
                    let row = StepRowSnapshot {
                        step,
                        case_id: case_id.clone(),
                        created_ms: e.at_ms,
                    };
                    r.steps
                        .insert(row.step.id.clone(), crate::log_snapshot::value(&row));
                    continue;
                }
                let mut st = d["step"].clone();
                let id = s(&st["id"]);
                st["case_id"] = json!(case_id);
                st["created_ms"] = json!(e.at_ms);
                r.steps.insert(id, st);
            }
            Some(AuditAction::RecordLinked) => {
                r.links.insert(
                    format!("{}/{}", s(&d["step"]), s(&d["record"])),
                    json!({ "linked_ms": e.at_ms, "linked_by": e.actor }),
                );
            }
            Some(AuditAction::RecordUnlinked) => {
                r.links
                    .remove(&format!("{}/{}", s(&d["step"]), s(&d["record"])));
            }
            Some(AuditAction::InterruptionExplained) => {
                r.explanations.insert(
                    format!("{}/{}", s(&d["step"]), s(&d["resumed_record"])),
                    json!({
                        "reason": d["reason"],
                        "text": d["text"],
                        "spoken_at_offset_s": d["spoken_at_offset_s"],
                        "explained_ms": e.at_ms,
                        "explained_by": e.actor,
                    }),
                );
            }
            Some(AuditAction::RecordReviewed) => {
                let record = subject.strip_prefix("record:").unwrap_or_default();
                for item in d["items"].as_array().into_iter().flatten() {
                    r.reviews.insert(
                        format!("{record}/{}", s(&item["item"])),
                        json!({
                            "verdict": item["verdict"],
                            "note": item["note"],
                            "reviewed_by": e.actor,
                            "reviewed_ms": e.at_ms,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
    r
}

/// Compares one kind of rows: expected (from the log) against stored.
fn compare(
    report: &mut VerifyReport,
    kind: &'static str,
    expected: &BTreeMap<String, Value>,
    stored: &BTreeMap<String, Value>,
) {
    let (unlogged, missing, edited) = match kind {
        "case" => ("case_unlogged", "case_missing", "case_edited"),
        "step" => ("step_unlogged", "step_missing", "step_edited"),
        "link" => ("link_unlogged", "link_missing", "link_edited"),
        "explanation" => (
            "explanation_unlogged",
            "explanation_missing",
            "explanation_edited",
        ),
        _ => ("review_unlogged", "review_missing", "review_edited"),
    };
    for (key, row) in stored {
        let subject = format!("{kind}:{key}");
        match expected.get(key) {
            None => report.push_problem(
                unlogged,
                &subject,
                format!("{kind} {key} has no log entry (inserted outside liuhen)"),
            ),
            Some(want) if want != row => {
                let fields: Vec<String> = row
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| want.get(k.as_str()) != Some(*v))
                    .map(|(k, v)| {
                        format!(
                            "{k} is {v} in the table but {} in the log",
                            want.get(k.as_str()).unwrap_or(&Value::Null)
                        )
                    })
                    .collect();
                report.push_problem(
                    edited,
                    &subject,
                    format!("{kind} {key} differs from the log: {}", fields.join("; ")),
                );
            }
            Some(_) => {}
        }
    }
    for key in expected.keys().filter(|k| !stored.contains_key(*k)) {
        report.push_problem(
            missing,
            format!("{kind}:{key}"),
            format!("{kind} {key} is in the log but missing from its table (deleted)"),
        );
    }
}

impl Custody {
    /// The rows of the case tables and reviewer sheets as they are stored, in the shape
    /// [`replay`] produces.
    async fn stored_case_rows(&self) -> Result<Replayed, AppError> {
        let mut r = Replayed::default();
        for case in self.db.cases(u32::MAX).await? {
            for st in self.db.steps_of_case(&case.id).await? {
                let p = &st.step;
                r.steps.insert(
                    p.id.clone(),
                    crate::log_snapshot::value(&StepRowSnapshot::of(&st)),
                );
                for l in self.db.step_records(&p.id).await? {
                    r.links.insert(
                        format!("{}/{}", l.step_id, l.record_id),
                        json!({ "linked_ms": l.linked_at.as_millisecond(), "linked_by": l.linked_by }),
                    );
                }
                for x in self.db.explanations(&p.id).await? {
                    let e = &x.explanation;
                    r.explanations.insert(
                        format!("{}/{}", x.step_id, e.resumed_record),
                        json!({
                            "reason": e.reason.code(),
                            "text": e.text,
                            "spoken_at_offset_s": e.spoken_at_offset_s,
                            "explained_ms": x.explained_at.as_millisecond(),
                            "explained_by": x.explained_by,
                        }),
                    );
                }
            }
            r.cases
                .insert(case.id.clone(), CaseSnapshot::of(&case).to_value());
        }
        for t in self.db.all_reviews().await? {
            r.reviews.insert(
                format!("{}/{}", t.record_id, t.item.code()),
                json!({
                    "verdict": t.verdict.code(),
                    "note": t.note,
                    "reviewed_by": t.reviewed_by,
                    "reviewed_ms": t.reviewed_at.as_millisecond(),
                }),
            );
        }
        Ok(r)
    }

    /// Adds a problem for every case-table or reviewer-sheet row that the log does not
    /// account for.
    pub(crate) async fn check_case_rows(
        &self,
        entries: &[EntryBody],
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let want = replay(entries);
        let have = match self.stored_case_rows().await {
            Ok(h) => h,
            Err(AppError::Db(e)) => {
                report.push_problem(
                    "case_malformed",
                    "cases",
                    format!("the case tables cannot be read: {e}"),
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        compare(report, "case", &want.cases, &have.cases);
        compare(report, "step", &want.steps, &have.steps);
        compare(report, "link", &want.links, &have.links);
        compare(
            report,
            "explanation",
            &want.explanations,
            &have.explanations,
        );
        compare(report, "review", &want.reviews, &have.reviews);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, action: AuditAction, subject: &str, details: Value) -> EntryBody {
        EntryBody {
            v: 1,
            seq,
            at_ms: 1_000 * seq as i64,
            actor: "u1".into(),
            action: action.as_str().into(),
            subject: Some(subject.into()),
            prev: String::new(),
            details,
        }
    }

    /// Entries logged before identity by account carry team names only: each member had
    /// no account; a later edit of `team_ids` (the mapping after 0013, a person's
    /// resolution) and an old-style edit of `team` replay on top of that.
    #[test]
    fn replay_of_teams_logged_before_accounts() {
        let created = json!({"case": {"id": "c1", "team": ["张伟", "李娜"]}});
        let mapped = json!({"changes": {"team_ids": {"from": [null, null], "to": ["u1", null]}},
            "reason": "x"});
        let old_edit = json!({"changes": {"team": {"from": ["张伟", "李娜"], "to": ["王芳"]}},
            "reason": "x"});
        let r = replay(&[entry(
            1,
            AuditAction::CaseCreated,
            "case:c1",
            created.clone(),
        )]);
        assert_eq!(r.cases["c1"]["team_ids"], json!([null, null]));
        let r = replay(&[
            entry(1, AuditAction::CaseCreated, "case:c1", created.clone()),
            entry(2, AuditAction::CaseEdited, "case:c1", mapped),
        ]);
        assert_eq!(r.cases["c1"]["team_ids"], json!(["u1", null]));
        let r = replay(&[
            entry(1, AuditAction::CaseCreated, "case:c1", created),
            entry(2, AuditAction::CaseEdited, "case:c1", old_edit),
        ]);
        assert_eq!(r.cases["c1"]["team_ids"], json!([null]));
    }

    #[test]
    fn replay_follows_edits_unlinks_explanations_and_reviews() {
        let entries = [
            entry(
                1,
                AuditAction::CaseCreated,
                "case:c1",
                json!({"case": {"id": "c1", "name": "甲", "status": "open", "flags": []}}),
            ),
            entry(
                2,
                AuditAction::CaseEdited,
                "case:c1",
                json!({"changes": {"status": {"from": "open", "to": "decided"}}, "reason": "x"}),
            ),
            entry(
                3,
                AuditAction::CaseChanged,
                "case:c1",
                json!({"flag": "major_penalty", "value": true, "reason": "x"}),
            ),
            entry(
                4,
                AuditAction::CaseChanged,
                "case:c1",
                json!({"flag": "disputed", "value": true, "reason": "x"}),
            ),
            entry(
                5,
                AuditAction::RecordLinked,
                "case:c1",
                json!({"step": "s1", "record": "r1"}),
            ),
            entry(
                6,
                AuditAction::RecordUnlinked,
                "case:c1",
                json!({"step": "s1", "record": "r1", "reason": "x"}),
            ),
            entry(
                7,
                AuditAction::InterruptionExplained,
                "case:c1",
                json!({"step": "s1", "resumed_record": "r2", "reason": "battery", "text": "", "spoken_at_offset_s": 3}),
            ),
            entry(
                8,
                AuditAction::RecordReviewed,
                "record:r2",
                json!({"items": [{"item": "environment", "verdict": "met", "note": ""}]}),
            ),
            entry(9, AuditAction::RecordViewed, "record:r2", json!({})),
        ];
        assert!(!replays(&entries[8]));
        let r = replay(&entries);
        let c = &r.cases["c1"];
        assert_eq!(c["status"], "decided");
        assert_eq!(c["agency"], "", "cases made before the unit was kept");
        assert_eq!(
            c["flags"],
            json!(["disputed", "major_penalty"]),
            "flag order"
        );
        assert!(r.links.is_empty());
        assert_eq!(r.explanations["s1/r2"]["explained_ms"], 7_000);
        assert_eq!(r.reviews["r2/environment"]["reviewed_by"], "u1");
    }
}
