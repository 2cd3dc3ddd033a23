//! Reading back the scan of an outside requester's paper (R4.3, R4.4): only for someone
//! involved in the request, authorized at the one point and logged with its digest.

use std::io::Read;
use std::sync::Arc;

use liuhen_db::{NewEntry, PaperRow};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{AuditAction, Sha256Digest};

use super::handling::MAX_PAPER_BYTES;
use crate::{AppError, Custody};

impl Custody {
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
