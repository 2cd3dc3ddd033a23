//! The single authorization point. Every route and command that touches a record or an
//! administrative function calls [`Custody::authorize`]; it evaluates the pure policy of
//! `liuhen_domain::authz` and logs every refusal (R3.13, R6.1).

use liuhen_db::NewEntry;
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Decision, Principal, Target, decide};

use crate::{AppError, Custody};

impl Custody {
    /// `subject` names the target for the log (`record:<id>`, or `None` for system actions).
    pub async fn authorize(
        &self,
        who: &Principal,
        action: Action,
        target: Target<'_>,
        subject: Option<&str>,
    ) -> Result<(), AppError> {
        match decide(who, action, target) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => {
                self.log_event(NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::AccessRefused,
                    subject: subject.map(str::to_owned),
                    details: serde_json::json!({
                        "action": action.code(),
                        "reason": reason.code(),
                        "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                    }),
                })
                .await?;
                Err(AppError::Forbidden {
                    code: reason.code(),
                    message: reason.message_zh(),
                })
            }
        }
    }
}
