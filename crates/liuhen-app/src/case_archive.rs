//! Archived case files are closed (R4.7, A4.8: no dismantling, altering, marking, adding or
//! removing material): once a case is archived, its fields, flags, steps, links and
//! explanations cannot be changed by anyone; reopening is an approved, reasoned act: a
//! request with a reason (the case team, the unit's keepers), approved or declined by a
//! role the configuration names (`[cases] reopen_roles`), never the requester; request,
//! decision and the change of status are logged.

use liuhen_db::{CaseRow, EntryBody, NewEntry};
use liuhen_domain::authz::Principal;
use liuhen_domain::case::CaseStatus;
use liuhen_domain::{AuditAction, Message};
use serde_json::json;

use crate::cases::required;
use crate::log_snapshot::CaseSnapshot;
use crate::{AppError, Custody};

/// The refusal code of a change to an archived case.
pub const CASE_ARCHIVED: &str = "case_archived";
/// The refusal code of an approval of reopening without a pending request.
pub const CASE_REOPEN_NO_REQUEST: &str = "case_reopen_no_request";
/// The refusal code of an approval of one's own request to reopen.
pub const CASE_REOPEN_SELF: &str = "case_reopen_self";

/// A pending request to reopen an archived case (its `case.reopen_requested` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReopenRequest {
    pub seq: u64,
    pub requested_by: String,
    pub reason: String,
    pub at_ms: i64,
}

fn not_archived_invalid(case: &CaseRow) -> Result<(), AppError> {
    if case.status != CaseStatus::Archived {
        return Err(AppError::Invalid(format!(
            "案件 {} 未归档，无需重新打开 / case {} is not archived",
            case.number, case.number
        )));
    }
    Ok(())
}

/// Refuses any change to `case` once it is archived (R4.7).
pub fn ensure_not_archived(case: &CaseRow) -> Result<(), AppError> {
    if case.status == CaseStatus::Archived {
        return Err(AppError::Refused {
            code: CASE_ARCHIVED,
            message: Message::new(CASE_ARCHIVED).arg("case", &case.number),
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

    /// The pending request to reopen `case`, if any: the newest `case.reopen_requested`
    /// entry not followed by a decline or a reopening.
    pub async fn pending_reopen(&self, case: &str) -> Result<Option<ReopenRequest>, AppError> {
        let entries = self
            .db
            .entries_for_actions(
                &format!("case:{case}"),
                &[
                    AuditAction::CaseReopenRequested.as_str(),
                    AuditAction::CaseReopenDeclined.as_str(),
                    AuditAction::CaseEdited.as_str(),
                ],
            )
            .await?;
        let mut pending = None;
        for e in entries {
            let d = EntryBody::parse(&e.body)
                .map(|b| b.details)
                .unwrap_or_default();
            if e.action == AuditAction::CaseReopenRequested.as_str() {
                pending = Some(ReopenRequest {
                    seq: e.seq,
                    requested_by: e.actor.clone(),
                    reason: d["reason"].as_str().unwrap_or_default().to_owned(),
                    at_ms: e.at_ms,
                });
            } else if e.action == AuditAction::CaseReopenDeclined.as_str()
                || d["reopened"].as_bool() == Some(true)
            {
                pending = None;
            }
        }
        Ok(pending)
    }

    /// Whether `who` may ask for `case` to be reopened: whoever may manage it (its team,
    /// the unit's keepers) or a reopening role of its unit.
    pub fn may_request_reopen(&self, who: &Principal, case: &CaseRow) -> bool {
        let ids = crate::case_work::team_ids(case);
        let manages = liuhen_domain::authz::decide(
            &self.policy,
            who,
            liuhen_domain::authz::Action::ManageCase,
            liuhen_domain::authz::Target::Case(crate::case_work::case_scope(case, &ids)),
        ) == liuhen_domain::authz::Decision::Allow;
        manages || self.may_reopen(who, case)
    }

    /// Asks for an archived case `who` may see to be reopened, with a reason (R4.7): the
    /// first half of the approved act. Logged `case.reopen_requested`; nothing else changes.
    pub async fn request_reopen(
        &self,
        who: &Principal,
        case: &str,
        reason: &str,
    ) -> Result<ReopenRequest, AppError> {
        let case = self.case_to_view(who, case).await?;
        let reason = required(reason, "重新打开理由", "a reason")?;
        if !self.may_request_reopen(who, &case) {
            return Err(AppError::Refused {
                code: "case_reopen_role",
                message: Message::new("case_reopen_request_role"),
            });
        }
        not_archived_invalid(&case)?;
        if let Some(p) = self.pending_reopen(&case.id).await? {
            return Err(AppError::Invalid(format!(
                "案件 {} 已有待审批的重新打开申请（第 {} 号日志） / a request is already pending",
                case.number, p.seq
            )));
        }
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let entry = tx
            .append(
                at,
                NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::CaseReopenRequested,
                    subject: Some(format!("case:{}", case.id)),
                    details: json!({ "reopen_request": true, "reason": reason }),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(ReopenRequest {
            seq: entry.seq,
            requested_by: who.user_id.clone(),
            reason: reason.to_owned(),
            at_ms: at.as_millisecond(),
        })
    }

    /// Decides the pending request to reopen an archived case `who` may see (R4.7): by a
    /// person holding
    /// one of the configured `reopen_roles` in the case's unit, never the requester, with
    /// a stated reason. Approved: the status goes back to 办理中, logged as a change of
    /// status with `reopened`, the request's entry, the requester and both reasons, so
    /// `verify` replays it like any other edit. Declined: `case.reopen_declined`.
    pub async fn reopen_case(
        &self,
        who: &Principal,
        case: &str,
        approve: bool,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let before = self.case_to_view(who, case).await?;
        let reason = required(reason, "审批意见", "the decision's reason")?;
        let roles = &self.config.cases.reopen_roles;
        if !self.holds_reopen_role(who) {
            return Err(AppError::Refused {
                code: "case_reopen_role",
                message: Message::new("case_reopen_role").list("roles", roles),
            });
        }
        if !before.agency.is_empty() && who.unit.as_deref() != Some(before.agency.as_str()) {
            return Err(AppError::Refused {
                code: "case_reopen_role",
                message: Message::new("case_reopen_other_unit").arg("unit", &before.agency),
            });
        }
        not_archived_invalid(&before)?;
        let Some(request) = self.pending_reopen(&before.id).await? else {
            return Err(AppError::Refused {
                code: CASE_REOPEN_NO_REQUEST,
                message: Message::new(CASE_REOPEN_NO_REQUEST).arg("case", &before.number),
            });
        };
        if request.requested_by == who.user_id {
            return Err(AppError::Refused {
                code: CASE_REOPEN_SELF,
                message: Message::new(CASE_REOPEN_SELF),
            });
        }
        let mut tx = self.db.begin().await?;
        let subject = Some(format!("case:{}", before.id));
        if !approve {
            tx.append(
                self.now(),
                NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::CaseReopenDeclined,
                    subject,
                    details: json!({
                        "request": request.seq,
                        "requested_by": request.requested_by,
                        "reason": reason,
                    }),
                },
            )
            .await?;
            tx.commit().await?;
            return Ok(before);
        }
        let mut after = before.clone();
        after.status = CaseStatus::Open;
        tx.append(
            self.now(),
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::CaseEdited,
                subject,
                details: json!({
                    "changes": {
                        "status": {
                            "from": CaseSnapshot::of(&before).status,
                            "to": CaseSnapshot::of(&after).status,
                        }
                    },
                    "reason": request.reason,
                    "approval": reason,
                    "request": request.seq,
                    "requested_by": request.requested_by,
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
            self.now(),
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
