//! The reviewer sheet of a record (R2.3, R2.4): a supervisor, the legal office or the
//! unit's records keeper ticks the 8 focus items and the opening statement. Each tick is
//! stored with who and when, and logged in the same transaction (subject `record:<id>`).

use liuhen_db::NewEntry;
pub use liuhen_db::ReviewRow;
use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::review::{ReviewItem, ReviewVerdict, check_tick};
use liuhen_domain::{AuditAction, RecordId};
use serde_json::json;

use crate::{AppError, Custody};

/// One tick to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub item: ReviewItem,
    pub verdict: ReviewVerdict,
    pub note: String,
}

impl Custody {
    /// The current ticks of a record's sheet (the caller has authorized viewing it).
    pub async fn reviews(&self, id: &RecordId) -> Result<Vec<ReviewRow>, AppError> {
        Ok(self.db.reviews(id).await?)
    }

    /// Whether `who` may tick this record's sheet (no refusal is logged: used to show the
    /// form).
    pub async fn may_review(&self, who: &Principal, id: &RecordId) -> Result<bool, AppError> {
        let record = self.record(id).await?;
        let facts = self.record_facts(who, &record).await?;
        Ok(self.allows(who, Action::ReviewRecord, &facts))
    }

    /// Stores the ticks that differ from the current ones, in one transaction with one
    /// audit entry. Returns how many changed.
    pub async fn review_record(
        &self,
        who: &Principal,
        id: &RecordId,
        ticks: &[Tick],
    ) -> Result<usize, AppError> {
        let record = self.record(id).await?;
        let subject = format!("record:{id}");
        self.authorize_record(who, Action::ReviewRecord, &record)
            .await?;
        let lists = self.config.lists();
        for t in ticks {
            let line = lists
                .review_item(t.item.code())
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            check_tick(&line.zh, t.verdict, &t.note)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
        }
        let mut tx = self.db.begin().await?;
        let current = self.db.reviews(id).await?;
        let now = self.now();
        let changed: Vec<&Tick> = ticks
            .iter()
            .filter(|t| {
                !current
                    .iter()
                    .any(|c| c.item == t.item && c.verdict == t.verdict && c.note == t.note.trim())
            })
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::RecordReviewed,
                subject: Some(subject),
                details: json!({
                    "items": changed.iter().map(|t| json!({
                        "item": t.item.code(),
                        "verdict": t.verdict.code(),
                        "note": t.note.trim(),
                    })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        for t in &changed {
            tx.put_review(&ReviewRow {
                record_id: id.clone(),
                item: t.item.clone(),
                verdict: t.verdict,
                note: t.note.trim().to_owned(),
                reviewed_by: who.user_id.clone(),
                reviewed_at: now,
            })
            .await?;
        }
        tx.commit().await?;
        Ok(changed.len())
    }
}
