//! Reading records with their history, and changing their classification (each change is
//! a logged, reasoned act that rebinds the row to the new entry).

use jiff::Timestamp;
pub use liuhen_db::record_snapshot as snapshot;
use liuhen_db::{AuditEntry, NewEntry, record_row_hash};
use liuhen_domain::{AuditAction, Classification, Record, RecordId};

use crate::{AppError, Custody};

/// A change to the classification fields; `None` leaves a field as it is, `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct ClassificationChange {
    pub agency: Option<String>,
    pub device: Option<String>,
    pub officer: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    /// 摄录人员 (issue 19).
    pub camera_operator: Option<String>,
}

impl ClassificationChange {
    fn apply(&self, c: &Classification) -> Classification {
        let pick = |new: &Option<String>, old: &Option<String>| match new {
            None => old.clone(),
            Some(v) if v.trim().is_empty() => None,
            Some(v) => Some(v.trim().to_owned()),
        };
        Classification {
            agency: pick(&self.agency, &c.agency),
            device: pick(&self.device, &c.device),
            officer: pick(&self.officer, &c.officer),
            case_name: pick(&self.case_name, &c.case_name),
            party: pick(&self.party, &c.party),
            camera_operator: pick(&self.camera_operator, &c.camera_operator),
        }
    }
}

impl Custody {
    pub async fn record(&self, id: &RecordId) -> Result<Record, AppError> {
        self.db
            .record(id)
            .await?
            .map(|(r, _)| r)
            .ok_or_else(|| AppError::NotFound(format!("record {id}")))
    }

    /// The record's own audit trail, oldest first.
    pub async fn record_history(&self, id: &RecordId) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.db.entries_for(&format!("record:{id}")).await?)
    }

    testing_pub! {
    /// Changes classification fields with a stated reason. Nothing changes (and nothing is
    /// logged) when the reason is empty or the change changes nothing.
    async fn change_classification(
        &self,
        id: &RecordId,
        change: &ClassificationChange,
        reason: &str,
        actor: &str,
    ) -> Result<Record, AppError> {
        if reason.trim().is_empty() {
            return Err(AppError::Invalid(
                "a reason is required to change a record (修改理由不能为空)".into(),
            ));
        }
        // A changed officer or unit is mapped to its account again (issue 10.1).
        let current = self.record(id).await?;
        let wanted = change.apply(&current.classification);
        let officer_id = if wanted.agency == current.classification.agency
            && wanted.officer == current.classification.officer
        {
            current.officer_id.clone()
        } else {
            self.officer_account(wanted.agency.as_deref(), wanted.officer.as_deref())
                .await?
        };
        self.rebind(
            id,
            AuditAction::RecordMetadataChanged,
            actor,
            reason,
            |current| {
                let mut updated = current.clone();
                updated.classification = change.apply(&current.classification);
                if updated.classification == wanted {
                    updated.officer_id = officer_id;
                }
                if &updated == current {
                    return Err(AppError::Invalid(
                        "the change changes nothing (内容未变化)".into(),
                    ));
                }
                Ok(updated)
            },
        )
        .await
    }
    }

    /// Changes a record row with a logged, reasoned entry that carries the old and new
    /// snapshots, and rebinds the row to that entry, all in one transaction. `change`
    /// sees the row as it is under the transaction's lock.
    pub(crate) async fn rebind(
        &self,
        id: &RecordId,
        action: AuditAction,
        actor: &str,
        reason: &str,
        change: impl FnOnce(&Record) -> Result<Record, AppError>,
    ) -> Result<Record, AppError> {
        self.rebind_with(id, action, actor, reason, serde_json::Value::Null, change)
            .await
    }

    /// [`Self::rebind`] with more details in the entry (`extra`'s keys, e.g. `basis`).
    pub(crate) async fn rebind_with(
        &self,
        id: &RecordId,
        action: AuditAction,
        actor: &str,
        reason: &str,
        extra: serde_json::Value,
        change: impl FnOnce(&Record) -> Result<Record, AppError>,
    ) -> Result<Record, AppError> {
        let mut tx = self.db.begin().await?;
        let (current, _) = self
            .db
            .record(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("record {id}")))?;
        let updated = change(&current)?;
        let mut details = serde_json::json!({
            "reason": reason.trim(),
            "before": snapshot(&current),
            "record": snapshot(&updated),
            "row_hash": record_row_hash(&updated),
        });
        if let (Some(map), serde_json::Value::Object(more)) = (details.as_object_mut(), extra) {
            map.extend(more);
        }
        let entry = tx
            .append(
                self.now(),
                NewEntry {
                    actor: actor.to_owned(),
                    action,
                    subject: Some(format!("record:{id}")),
                    details,
                },
            )
            .await?;
        tx.update_record(&updated, entry.seq).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

impl Custody {
    /// Extends how long an original is kept, for `who` (who may edit the record; a
    /// refusal is logged by the authorization point).
    pub async fn extend_retention_as(
        &self,
        who: &liuhen_domain::authz::Principal,
        id: &RecordId,
        until: Timestamp,
        reason: &str,
    ) -> Result<Record, AppError> {
        let record = self.record(id).await?;
        self.authorize_record(who, liuhen_domain::authz::Action::EditRecord, &record)
            .await?;
        self.extend_retention(id, until, reason, &who.user_id).await
    }

    /// Extends how long an original is kept (never shortens): first the store's lock (S3
    /// COMPLIANCE retain-until, or the local sidecar), then the row and its entry in one Tx.
    pub(crate) async fn extend_retention(
        &self,
        id: &RecordId,
        until: Timestamp,
        reason: &str,
        actor: &str,
    ) -> Result<Record, AppError> {
        if reason.trim().is_empty() {
            return Err(AppError::Invalid(
                "a reason is required (延长理由不能为空)".into(),
            ));
        }
        let current = self.record(id).await?;
        if until <= current.retain_until {
            return Err(AppError::Invalid(format!(
                "retention can only be extended: the record is kept until {} (保存期限只能延长)",
                current.retain_until
            )));
        }
        let blobs = self.blobs.clone();
        let sha = current.sha256;
        tokio::task::spawn_blocking(move || blobs.extend_retention(&sha, until)).await??;
        self.rebind(
            id,
            AuditAction::RetentionExtended,
            actor,
            reason,
            |current| {
                let mut updated = current.clone();
                updated.retain_until = until.max(current.retain_until);
                Ok(updated)
            },
        )
        .await
    }
}
