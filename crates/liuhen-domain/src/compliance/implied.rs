//! Steps a case's flags imply (R1.2): a case flagged for a hearing without a hearing step.

use super::{Finding, Level, StepEvidence, codes};
use crate::case::CaseFlags;
use crate::checklist::{Checklist, Obligation};

/// Steps the case's flags imply (checklist rows with `implied_by_flag`) that the case does
/// not have: a violation for a mandatory row (or a disputed case), else a warning (R1.2).
pub fn missing_steps(
    checklist: &Checklist,
    flags: &CaseFlags,
    steps: &[StepEvidence<'_>],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for row in checklist.rows() {
        let Some(flag) = row.implied_by_flag.as_deref() else {
            continue;
        };
        if flags.by_code(flag) != Some(true) {
            continue;
        }
        if steps
            .iter()
            .any(|ev| ev.step.checklist_row.as_deref() == Some(row.id.as_str()))
        {
            continue;
        }
        let required = row.obligation == Obligation::Mandatory || flags.disputed;
        out.push(Finding {
            level: if required {
                Level::Violation
            } else {
                Level::Warning
            },
            rule: if row.full_process { "R1.3" } else { "R1.2" },
            code: codes::STEP_MISSING,
            message_zh: format!(
                "案件已标记“{}”，应有清单 {} {}·{} 环节，但案件中没有该环节，无法核对其音像记录（应以{}记录“{}”）",
                CaseFlags::label_zh(flag),
                row.id,
                row.category_label(),
                row.step,
                row.modes_label(),
                row.requirement
            ),
        });
    }
    out
}
