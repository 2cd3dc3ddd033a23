//! `verify`, disposal lists: the `disposal_lists`, `disposal_items` and
//! `disposal_decisions` tables are replayed from their `disposal.drafted`,
//! `disposal.decided` and `disposal.executed` entries, as the case and access tables are.
//! A row nobody logged (`disposal_*_unlogged`, e.g. an item slipped into an approved list),
//! one that differs from its entries (`disposal_*_edited`, e.g. an appraisal rewritten or a
//! list's status moved by hand) or a logged one whose row is gone (`disposal_*_missing`,
//! e.g. a rejection deleted so the list can be approved again) is tampering.

use std::collections::BTreeMap;

use liuhen_db::{DisposalDecisionRow, DisposalItemRow, DisposalListRow, EntryBody};
use serde_json::Value;

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

const PAGE: u32 = 1000;
const ACTIONS: [&str; 3] = ["disposal.drafted", "disposal.decided", "disposal.executed"];

/// The three tables as the log says they must be.
#[derive(Default)]
struct Expected {
    lists: BTreeMap<String, DisposalListRow>,
    items: BTreeMap<(String, String), DisposalItemRow>,
    decisions: BTreeMap<(String, i64), DisposalDecisionRow>,
}

impl Expected {
    /// Applies one entry; `Err` names what the entry refers to that no entry drafted.
    fn apply(&mut self, action: &str, at_ms: i64, actor: &str, d: &Value) -> Result<(), String> {
        let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
        let list = text("list");
        if action == "disposal.drafted" {
            let chain: Vec<&str> = d["chain"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for item in d["items"].as_array().into_iter().flatten() {
                let record = item["record"].as_str().unwrap_or_default().to_owned();
                let row = DisposalItemRow {
                    list_id: list.clone(),
                    record_id: record.clone(),
                    appraisal: item["appraisal"].as_str().unwrap_or_default().to_owned(),
                };
                self.items.insert((list.clone(), record), row);
            }
            let row = DisposalListRow {
                id: list.clone(),
                drafted_ms: at_ms,
                drafted_by: actor.to_owned(),
                note: text("note"),
                chain: chain.join(","),
                status: "pending".into(),
                executed_ms: None,
                executed_by: None,
            };
            self.lists.insert(list, row);
            return Ok(());
        }
        let Some(row) = self.lists.get_mut(&list) else {
            return Err(list);
        };
        if action == "disposal.decided" {
            row.status = text("status");
            let step = d["step"].as_i64().unwrap_or(-1);
            let decision = DisposalDecisionRow {
                list_id: list.clone(),
                step,
                role: text("role"),
                approver_id: actor.to_owned(),
                decision: text("decision"),
                reason: text("reason"),
                decided_ms: at_ms,
            };
            self.decisions.insert((list, step), decision);
        } else {
            row.status = "executed".into();
            row.executed_ms = Some(at_ms);
            row.executed_by = Some(actor.to_owned());
        }
        Ok(())
    }
}

impl Custody {
    pub(crate) async fn check_disposal_lists(
        &self,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let mut want = Expected::default();
        let mut after = None;
        loop {
            let page = self
                .db
                .entries_with_actions(after, i64::MAX as u64, &ACTIONS, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.seq);
            for e in &page {
                let Ok(body) = EntryBody::parse(&e.body) else {
                    continue; // reported by the log check
                };
                if let Err(list) = want.apply(&e.action, e.at_ms, &e.actor, &body.details) {
                    report.push_problem(
                        "disposal_list_unlogged",
                        format!("disposal:{list}"),
                        format!(
                            "entry {} ({}) refers to disposal list {list}, which no disposal.drafted entry drew up",
                            e.seq, e.action
                        ),
                    );
                }
            }
            if page.len() < PAGE as usize {
                break;
            }
        }
        for row in self.db.disposal_lists().await? {
            let subject = format!("disposal:{}", row.id);
            match want.lists.remove(&row.id) {
                None => report.push_problem(
                    "disposal_list_unlogged",
                    &subject,
                    format!("disposal list {} has no disposal.drafted entry (inserted outside liuhen)", row.id),
                ),
                Some(w) if w != row => report.push_problem(
                    "disposal_list_edited",
                    &subject,
                    format!(
                        "disposal list {} differs from its log entries: the log says {w:?}, the table {row:?}",
                        row.id
                    ),
                ),
                Some(_) => {}
            }
        }
        for (id, _) in want.lists {
            report.push_problem(
                "disposal_list_missing",
                format!("disposal:{id}"),
                format!("disposal list {id} is in the log but its row is gone"),
            );
        }
        for row in self.db.all_disposal_items().await? {
            let subject = format!("disposal:{}", row.list_id);
            match want.items.remove(&(row.list_id.clone(), row.record_id.clone())) {
                None => report.push_problem(
                    "disposal_item_unlogged",
                    &subject,
                    format!(
                        "record {} is an item of disposal list {} but the list's disposal.drafted entry does not list it",
                        row.record_id, row.list_id
                    ),
                ),
                Some(w) if w != row => report.push_problem(
                    "disposal_item_edited",
                    &subject,
                    format!(
                        "item {} of disposal list {} differs from the disposal.drafted entry: the log says appraisal {:?}, the table {:?}",
                        row.record_id, row.list_id, w.appraisal, row.appraisal
                    ),
                ),
                Some(_) => {}
            }
        }
        for ((list, record), _) in want.items {
            report.push_problem(
                "disposal_item_missing",
                format!("disposal:{list}"),
                format!("record {record} is an item of disposal list {list} in the log but its row is gone"),
            );
        }
        for row in self.db.all_disposal_decisions().await? {
            let subject = format!("disposal:{}", row.list_id);
            match want.decisions.remove(&(row.list_id.clone(), row.step)) {
                None => report.push_problem(
                    "disposal_decision_unlogged",
                    &subject,
                    format!(
                        "decision of step {} of disposal list {} has no disposal.decided entry (inserted outside liuhen)",
                        row.step, row.list_id
                    ),
                ),
                Some(w) if w != row => report.push_problem(
                    "disposal_decision_edited",
                    &subject,
                    format!(
                        "decision of step {} of disposal list {} differs from its disposal.decided entry: the log says {w:?}, the table {row:?}",
                        row.step, row.list_id
                    ),
                ),
                Some(_) => {}
            }
        }
        for ((list, step), w) in want.decisions {
            report.push_problem(
                "disposal_decision_missing",
                format!("disposal:{list}"),
                format!(
                    "the {} of step {step} of disposal list {list} is in the log but its row is gone",
                    w.decision
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replays_a_list_through_its_decisions_and_execution() {
        let mut e = Expected::default();
        let drafted = json!({"list": "L", "note": "n", "chain": ["records_keeper", "legal_office"],
            "items": [{"record": "r1", "sha256": "00", "retain_until": "x", "appraisal": "a1"}]});
        e.apply("disposal.drafted", 10, "u1", &drafted).unwrap();
        let decided = json!({"list": "L", "step": 0, "role": "records_keeper",
            "decision": "approve", "reason": "ok", "approver_name": "王", "status": "pending"});
        e.apply("disposal.decided", 20, "u2", &decided).unwrap();
        let decided = json!({"list": "L", "step": 1, "role": "legal_office",
            "decision": "approve", "reason": "ok", "approver_name": "李", "status": "approved"});
        e.apply("disposal.decided", 30, "u3", &decided).unwrap();
        e.apply("disposal.executed", 40, "u1", &json!({"list": "L"}))
            .unwrap();
        let list = &e.lists["L"];
        assert_eq!(list.chain, "records_keeper,legal_office");
        assert_eq!(list.drafted_by, "u1");
        assert_eq!(list.status, "executed");
        assert_eq!(
            (list.executed_ms, list.executed_by.as_deref()),
            (Some(40), Some("u1"))
        );
        assert_eq!(e.items[&("L".into(), "r1".into())].appraisal, "a1");
        let d = &e.decisions[&("L".into(), 1)];
        assert_eq!(
            (d.approver_id.as_str(), d.decided_ms, d.role.as_str()),
            ("u3", 30, "legal_office")
        );
        assert_eq!(e.decisions.len(), 2);
        assert_eq!(
            e.apply("disposal.decided", 50, "u4", &json!({"list": "M"})),
            Err("M".into())
        );
    }
}
