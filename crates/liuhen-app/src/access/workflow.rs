//! Deciding approval steps (the pure rules of `liuhen_domain::approval`), issuing grants
//! for exactly the approved records and actions, revoking them.

use jiff::{SignedDuration, Timestamp};
use liuhen_db::{ApprovalRow, GrantRow, NewEntry, RequestRow};
use liuhen_domain::AuditAction;
use liuhen_domain::access::Step;
use liuhen_domain::approval::{
    Attempt, Outcome, RequestKind, RequestState, RequestStatus, StepDecision, decide_step,
};
use liuhen_domain::authz::{Action, Principal, Target};

use super::{approvals_domain, bad, details, flow_of, kind_of};
use crate::{AppError, Custody};

/// One decision as the approver makes it.
#[derive(Debug, Clone)]
pub struct StepAttempt {
    pub step: Step,
    pub decision: StepDecision,
    /// The basis shown to the approver (`RequestRow::basis`).
    pub basis: String,
    pub comment: String,
}

/// What grant a fully approved request of this kind gives at once: (view, play, download).
fn grant_on_approval(kind: RequestKind) -> Option<(bool, bool, bool)> {
    match kind {
        // R2.8, R4.2: view and play in place; nothing leaves.
        RequestKind::View => Some((true, true, false)),
        // Copies and outside visits are carried out by the keeper; loans when issued.
        _ => None,
    }
}

impl Custody {
    /// Decides the next step of a request. Every refusal (self-approval, a skipped or
    /// replayed step, an expired approval, an approval meant for another request, a paper
    /// missing …) is logged and changes nothing.
    pub async fn decide_request(
        &self,
        who: &Principal,
        who_name: &str,
        request_id: &str,
        attempt: &StepAttempt,
    ) -> Result<RequestRow, AppError> {
        let subject = format!("request:{request_id}");
        self.authorize(who, Action::DecideRequest, Target::System, Some(&subject))
            .await?;
        let comment = attempt.comment.trim().to_owned();
        if comment.chars().count() > 500 {
            return Err(bad("审批意见过长（最多 500 字）"));
        }
        let mut request = self.request_row(request_id).await?;
        let approvals = self.db.approvals(request_id).await?;
        let domain = approvals_domain(&approvals);
        let flow = flow_of(&request);
        let kind = kind_of(&request)?;
        let papers = self.db.papers(request_id).await?;
        let attached = papers.iter().map(|p| p.paper.clone()).collect();
        let missing: Vec<String> = if kind == RequestKind::Outside {
            self.policy
                .missing_papers(&request.requester_type, &attached)
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        let status = RequestStatus::parse(&request.status).unwrap_or(RequestStatus::Pending);
        let now = self.now();
        let state = RequestState {
            requester_id: &request.filed_by,
            status,
            flow: &flow,
            approvals: &domain,
            basis: &request.basis,
            agency: &request.agency,
            department: request.department.as_deref(),
            missing_papers: &missing,
        };
        let outcome = decide_step(
            &self.policy,
            &state,
            &Attempt {
                approver: who,
                step: attempt.step,
                decision: attempt.decision,
                basis: &attempt.basis,
                now_ms: now.as_millisecond(),
            },
        );
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                self.log_event(NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::AccessRefused,
                    subject: Some(subject),
                    details: serde_json::json!({
                        "action": Action::DecideRequest.code(),
                        "reason": e.code(),
                        "step": attempt.step.code(),
                        "decision": attempt.decision.code(),
                        "request": request_id,
                        "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                    }),
                })
                .await?;
                return Err(AppError::Refused {
                    code: e.code(),
                    message: e.message(),
                });
            }
        };
        let row = ApprovalRow {
            request_id: request_id.to_owned(),
            step: attempt.step.code().to_owned(),
            decision: attempt.decision.code().to_owned(),
            approver_id: who.user_id.clone(),
            approver_name: who_name.to_owned(),
            basis: attempt.basis.clone(),
            comment: comment.clone(),
            decided_ms: now.as_millisecond(),
        };
        let mut all = approvals.clone();
        all.push(row.clone());
        let mut tx = self.db.begin().await?;
        tx.insert_approval(&row).await?;
        let new_status = match outcome {
            Outcome::Next(_) => None,
            Outcome::Approved => Some(RequestStatus::Approved),
            Outcome::Rejected => Some(RequestStatus::Rejected),
        };
        if let Some(s) = new_status {
            let closed = (s == RequestStatus::Rejected).then_some(now.as_millisecond());
            if !tx
                .set_request_status(request_id, "pending", s.code(), closed)
                .await?
            {
                return Err(bad("该申请已被他人同时处理，请刷新后重试"));
            }
            request.status = s.code().to_owned();
            request.closed_ms = closed;
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessApproved,
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &all,
                    serde_json::json!({
                        "step": attempt.step.code(),
                        "decision": attempt.decision.code(),
                        "comment": comment,
                        "outcome": match outcome {
                            Outcome::Next(s) => s.code(),
                            Outcome::Approved => "approved",
                            Outcome::Rejected => "rejected",
                        },
                    }),
                ),
            },
        )
        .await?;
        if outcome == Outcome::Approved
            && let Some((view, play, download)) = grant_on_approval(kind)
        {
            let expires = now + self.policy.view_grant;
            self.grant_in(
                &mut tx,
                &who.user_id,
                &request,
                &all,
                (view, play, download),
                expires,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(request)
    }

    /// Issues a grant to the requester for exactly the request's records, in `tx`; `actor`
    /// is who made it happen (the last approver, or the keeper lending).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn grant_in(
        &self,
        tx: &mut liuhen_db::Tx,
        actor: &str,
        request: &RequestRow,
        approvals: &[ApprovalRow],
        (view, play, download): (bool, bool, bool),
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<GrantRow, AppError> {
        let grant = GrantRow {
            id: uuid::Uuid::now_v7().to_string(),
            request_id: request.id.clone(),
            grantee_id: request.filed_by.clone(),
            purpose: request.purpose.clone(),
            can_view: view,
            can_play: play,
            can_download: download,
            expires_ms: expires.as_millisecond(),
            created_ms: now.as_millisecond(),
            revoked_ms: None,
            revoked_by: None,
            revoke_reason: None,
            records: request.records.clone(),
        };
        tx.insert_grant(&grant).await?;
        let actions: Vec<&str> = [
            (view, Action::ViewRecord),
            (play, Action::PlayRecord),
            (download, Action::DownloadOriginal),
        ]
        .into_iter()
        .filter_map(|(on, a)| on.then_some(a.code()))
        .collect();
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::AccessGranted,
                subject: Some(format!("request:{}", request.id)),
                details: details(
                    request,
                    approvals,
                    serde_json::json!({
                        "grant": grant.id,
                        "grantee": grant.grantee_id,
                        "actions": actions,
                        "expires_ms": grant.expires_ms,
                    }),
                ),
            },
        )
        .await?;
        Ok(grant)
    }

    /// Revokes a grant at once (its next use is refused). Keepers and approvers of the
    /// records' unit may; a reason is required.
    pub async fn revoke_grant(
        &self,
        who: &Principal,
        grant_id: &str,
        reason: &str,
    ) -> Result<GrantRow, AppError> {
        let grant = self
            .db
            .grant(grant_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("grant {grant_id}")))?;
        let subject = format!("request:{}", grant.request_id);
        self.authorize(who, Action::RevokeGrant, Target::System, Some(&subject))
            .await?;
        let request = self.request_row(&grant.request_id).await?;
        if who.unit.as_deref() != Some(request.agency.as_str()) {
            return Err(AppError::NotFound(format!("grant {grant_id}")));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(bad("请填写撤销理由"));
        }
        let now = self.now();
        let approvals = self.db.approvals(&request.id).await?;
        let mut tx = self.db.begin().await?;
        if !tx
            .revoke_grant(grant_id, &who.user_id, reason, now.as_millisecond())
            .await?
        {
            return Err(bad("该授权已经撤销"));
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRevoked,
                subject: Some(subject),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({ "grant": grant_id, "reason": reason }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(self.db.grant(grant_id).await?.unwrap_or(grant))
    }

    /// The grants `who` holds, newest first.
    pub async fn my_grants(&self, who: &Principal) -> Result<Vec<GrantRow>, AppError> {
        self.authorize(who, Action::ListRequests, Target::System, None)
            .await?;
        Ok(self.db.grants(Some(&who.user_id), None, 200).await?)
    }

    /// The grants issued on requests of `who`'s unit, newest first.
    pub async fn unit_grants(&self, who: &Principal) -> Result<Vec<GrantRow>, AppError> {
        self.authorize(who, Action::RevokeGrant, Target::System, None)
            .await?;
        let mut out = Vec::new();
        for g in self.db.grants(None, None, 500).await? {
            if let Some(r) = self.db.request(&g.request_id).await?
                && who.unit.as_deref() == Some(r.agency.as_str())
            {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// A grant's validity left, for display.
    pub fn grant_left(g: &GrantRow, now: Timestamp) -> Option<SignedDuration> {
        (g.revoked_ms.is_none() && g.expires_ms > now.as_millisecond())
            .then(|| SignedDuration::from_millis(g.expires_ms - now.as_millisecond()))
    }
}
