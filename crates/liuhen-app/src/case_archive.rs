//! Archived case files are closed (R4.7, A4.8: no dismantling, altering, marking, adding or
//! removing material): once a case is archived, its fields, flags, steps, links and
//! explanations cannot be changed by anyone; reopening is a reasoned act of a role the
//! configuration names (`[cases] reopen_roles`), logged like any other change of status.

use jiff::Timestamp;
use liuhen_db::{CaseRow, NewEntry};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::Principal;
use liuhen_domain::case::CaseStatus;
use serde_json::json;

use crate::cases::{case_json, required};
use crate::{AppError, Custody};

/// The refusal code of a change to an archived case.
pub const CASE_ARCHIVED: &str = "case_archived";

/// Refuses any change to `case` once it is archived (R4.7).
pub fn ensure_not_archived(case: &CaseRow) -> Result<(), AppError> {
    if case.status == CaseStatus::Archived {
        return Err(AppError::Refused {
            code: CASE_ARCHIVED,
            message: format!(
                "案件 {} 已归档，案卷不得增加、删除或修改（R4.7）；确需变更的，须由有权人员说明理由重新打开案件 / case {} is archived: its file is closed",
                case.number, case.number
            ),
        });
    }
    Ok(())
}

impl Custody {
    fn holds_reopen_role(&self, who: &Principal) -> bool {
        let roles = &self.config.cases.reopen_roles;
        who.roles
            .iter()
            .any(|r| roles.iter().any(|x| x == r.code()))
    }

    /// Whether `who` may reopen `case`: a configured role, of the case's unit.
    pub fn may_reopen(&self, who: &Principal, case: &CaseRow) -> bool {
        self.holds_reopen_role(who)
            && (case.agency.is_empty() || who.unit.as_deref() == Some(case.agency.as_str()))
    }

    /// Reopens an archived case (status back to 办理中) with a stated reason, by a person
    /// holding one of the configured `reopen_roles`. Logged as a change of status with
    /// `reopened` and the reason, so `verify` replays it like any other edit.
    pub async fn reopen_case(
        &self,
        who: &Principal,
        case: &str,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let reason = required(reason, "重新打开理由", "a reason")?;
        let roles = &self.config.cases.reopen_roles;
        if !self.holds_reopen_role(who) {
            return Err(AppError::Refused {
                code: "case_reopen_role",
                message: format!(
                    "只有 {} 可以重新打开已归档的案件 / only {} may reopen an archived case",
                    roles.join("、"),
                    roles.join(", ")
                ),
            });
        }
        let mut tx = self.db.begin().await?;
        let before = self.case(case).await?;
        if !before.agency.is_empty() && who.unit.as_deref() != Some(before.agency.as_str()) {
            return Err(AppError::Refused {
                code: "case_reopen_role",
                message: format!(
                    "只能重新打开本单位的案件 / only a case of one's own unit ({})",
                    before.agency
                ),
            });
        }
        if before.status != CaseStatus::Archived {
            return Err(AppError::Invalid(format!(
                "案件 {} 未归档，无需重新打开 / case {} is not archived",
                before.number, before.number
            )));
        }
        let mut after = before.clone();
        after.status = CaseStatus::Open;
        tx.append(
            Timestamp::now(),
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::CaseEdited,
                subject: Some(format!("case:{}", after.id)),
                details: json!({
                    "changes": {
                        "status": {
                            "from": case_json(&before)["status"],
                            "to": case_json(&after)["status"],
                        }
                    },
                    "reason": reason,
                    "reopened": true,
                }),
            },
        )
        .await?;
        tx.update_case(&after).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Appends a note to a case file: after archiving the only way to correct it (R4.7),
    /// never an edit. The note lives in the log (its history shows it); nothing else
    /// changes.
    pub async fn append_case_note(
        &self,
        case: &str,
        text: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let text = required(text, "说明内容", "the note's text")?;
        if text.chars().count() > MAX_NOTE {
            return Err(AppError::Invalid(format!(
                "说明过长（最多 {MAX_NOTE} 字） / the note is longer than {MAX_NOTE} characters"
            )));
        }
        let mut tx = self.db.begin().await?;
        let case = self.case(case).await?;
        tx.append(
            Timestamp::now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::CaseNoted,
                subject: Some(format!("case:{}", case.id)),
                details: json!({ "note": text, "status": case.status.code() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The longest note, in characters.
const MAX_NOTE: usize = 2000;
