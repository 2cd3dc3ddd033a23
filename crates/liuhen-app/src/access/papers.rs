//! Reading back the scan of an outside requester's paper (R4.3, R4.4): only for someone
//! involved in the request, authorized at the one point and logged with its digest.

use std::io::Read;
use std::sync::Arc;

use liuhen_db::{NewEntry, PaperRow, RequestRow};
use liuhen_domain::approval::StepDecision;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{AuditAction, Sha256Digest};

use super::flow_of;
use super::handling::MAX_PAPER_BYTES;
use crate::{AppError, Custody};

impl Custody {
    /// Whether `who` decides or handles this request, the only ones who may open its
    /// papers' scans (personal information, issue 10): who registered it, who decided one
    /// of its steps, who is to decide its pending step, and who carries out requests of its
    /// unit (handling, registering outside requests). Not supervisors, not approvers of
    /// other steps, not revokers.
    pub(crate) async fn decides_or_handles(
        &self,
        who: &Principal,
        r: &RequestRow,
    ) -> Result<bool, AppError> {
        if r.filed_by == who.user_id {
            return Ok(true);
        }
        if who.unit.as_deref() != Some(r.agency.as_str()) {
            return Ok(false);
        }
        if [Action::HandleRequest, Action::RegisterOutside]
            .into_iter()
            .any(|a| self.allows_system(who, a))
        {
            return Ok(true);
        }
        let approvals = self.db.approvals(&r.id).await?;
        if approvals.iter().any(|a| a.approver_id == who.user_id) {
            return Ok(true);
        }
        let pending = r.status == "pending"
            && !approvals
                .iter()
                .any(|a| a.decision == StepDecision::Reject.code());
        let next = flow_of(r)
            .into_iter()
            .find(|s| !approvals.iter().any(|a| a.step == s.code()));
        Ok(pending
            && next.is_some_and(|s| self.policy.step_roles(s).iter().any(|role| who.has(*role))))
    }

    async fn refuse_paper(
        &self,
        who: &Principal,
        subject: &str,
        paper: &str,
    ) -> Result<AppError, AppError> {
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::AccessRefused,
            subject: Some(subject.to_owned()),
            details: serde_json::json!({
                "action": "access.paper_scan",
                "reason": "not_deciding_or_handling",
                "paper": paper,
                "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
            }),
        })
        .await?;
        Ok(AppError::Forbidden {
            code: "paper_not_yours",
        })
    }

    /// The scan of `paper` attached to request `id`, with its row; the reading is logged
    /// (`access.paper_viewed`, with the paper, file name and SHA-256).
    pub async fn paper_scan(
        &self,
        who: &Principal,
        id: &str,
        paper: &str,
    ) -> Result<(PaperRow, Vec<u8>), AppError> {
        let subject = format!("request:{id}");
        self.authorize(who, Action::ListRequests, Target::System, Some(&subject))
            .await?;
        let request = self.request_row(id).await?;
        if !self.involved(who, &request) {
            return Err(AppError::NotFound(format!("request {id}")));
        }
        if !self.decides_or_handles(who, &request).await? {
            return Err(self
                .refuse_paper(who, &subject, paper)
                .await
                .unwrap_or_else(|e| e));
        }
        let row = self
            .db
            .papers(id)
            .await?
            .into_iter()
            .find(|p| p.paper == paper)
            .ok_or_else(|| AppError::NotFound(format!("paper {paper} of request {id}")))?;
        let sha_text = row.sha256.clone();
        let sha: Sha256Digest = row
            .sha256
            .parse()
            .map_err(|e| AppError::Invalid(format!("paper digest: {e}")))?;
        let blobs = Arc::clone(&self.blobs);
        let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
            let sha_text = sha_text;
            let mut out = Vec::new();
            blobs
                .open(&sha)?
                .take(MAX_PAPER_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| AppError::Io {
                    path: format!("paper {sha_text}").into(),
                    source: e,
                })?;
            Ok(out)
        })
        .await??;
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::PaperViewed,
            subject: Some(subject),
            details: serde_json::json!({
                "request": id,
                "paper": row.paper,
                "file_name": row.file_name,
                "sha256": row.sha256,
                "size_bytes": row.size_bytes,
            }),
        })
        .await?;
        Ok((row, bytes))
    }
}
