//! `verify`, holds part: the `holds` table is replayed from its `hold.placed` and
//! `hold.lifted` entries, as the case tables are. A row nobody logged (`hold_unlogged`), a
//! logged hold whose row is gone (`hold_missing`, e.g. deleted to allow a disposal) or a row
//! that differs from its entries (`hold_edited`, e.g. lifted by hand) is tampering.

use std::collections::BTreeMap;

use liuhen_db::{EntryBody, HoldRow};

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

const PAGE: u32 = 1000;

impl Custody {
    pub(crate) async fn check_holds(&self, report: &mut VerifyReport) -> Result<(), AppError> {
        let mut expected: BTreeMap<String, HoldRow> = BTreeMap::new();
        let mut after = None;
        loop {
            let page = self
                .db
                .entries_with_actions(
                    after,
                    i64::MAX as u64,
                    &["hold.placed", "hold.lifted"],
                    PAGE,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.seq);
            for e in &page {
                let Ok(body) = EntryBody::parse(&e.body) else {
                    continue; // reported by the log check
                };
                let d = &body.details;
                let id = d["hold"].as_str().unwrap_or_default().to_owned();
                let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
                if e.action == "hold.placed" {
                    expected.insert(
                        id.clone(),
                        HoldRow {
                            id,
                            target: text("target"),
                            ground: text("ground"),
                            note: text("note"),
                            placed_ms: e.at_ms,
                            placed_by: e.actor.clone(),
                            lifted_ms: None,
                            lifted_by: None,
                            lift_reason: None,
                        },
                    );
                } else if let Some(h) = expected.get_mut(&id) {
                    h.lifted_ms = Some(e.at_ms);
                    h.lifted_by = Some(e.actor.clone());
                    h.lift_reason = Some(text("reason"));
                } else {
                    report.push_problem(
                        "hold_lift_unplaced",
                        format!("hold:{id}"),
                        format!("entry {} lifts hold {id}, which no entry placed", e.seq),
                    );
                }
            }
            if page.len() < PAGE as usize {
                break;
            }
        }
        for row in self.db.all_holds().await? {
            let subject = format!("hold:{}", row.id);
            match expected.remove(&row.id) {
                None => report.push_problem(
                    "hold_unlogged",
                    &subject,
                    format!("hold {} on {} has no log entry (inserted outside liuhen)", row.id, row.target),
                ),
                Some(want) if want != row => report.push_problem(
                    "hold_edited",
                    &subject,
                    format!(
                        "hold {} on {} differs from its log entries: the log says {want:?}, the table {row:?}",
                        row.id, row.target
                    ),
                ),
                Some(_) => {}
            }
        }
        for (id, want) in expected {
            report.push_problem(
                "hold_missing",
                format!("hold:{id}"),
                format!(
                    "hold {id} on {} is in the log but its row is gone",
                    want.target
                ),
            );
        }
        Ok(())
    }
}
