//! Preservation holds (R3.7) on a record or a whole case: placed with a ground from the
//! configured list, they raise the minimum retention of the records concerned to
//! `retention.hold_years` (recomputed at once, store lock first) and stay in force until an
//! approver lifts them with a reason. Each placement and lifting is one `hold.placed` /
//! `hold.lifted` entry in the same transaction as its row; refusals are logged. Where the
//! store has legal holds (S3 Object Lock) they mirror the holds in force.

pub use liuhen_db::HoldRow;
use liuhen_db::NewEntry;
use liuhen_domain::authz::Principal;
use liuhen_domain::hold::{Ground, HoldPolicy, HoldRefusal};
use liuhen_domain::{AuditAction, RecordId};
use serde_json::json;

use crate::{AppError, Custody};

/// What a hold is placed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldTarget {
    Record(RecordId),
    /// A case id or number.
    Case(String),
}

impl Custody {
    /// The hold policy in force (validated when the configuration was loaded).
    pub fn hold_policy(&self) -> HoldPolicy {
        self.config.hold_policy().unwrap_or(HoldPolicy {
            grounds: Vec::new(),
            place_roles: Vec::new(),
            lift_roles: Vec::new(),
        })
    }

    async fn refuse_hold(
        &self,
        who: &Principal,
        subject: &str,
        what: &str,
        r: HoldRefusal,
    ) -> AppError {
        let logged = self
            .log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: Some(subject.to_owned()),
                details: json!({ "action": what, "reason": r.code() }),
            })
            .await;
        if let Err(e) = logged {
            return e;
        }
        AppError::Refused {
            code: r.code(),
            message: r.message(),
        }
    }

    /// Places a hold on `target` on `ground` (a code of the configured list) and extends
    /// the retention of the records concerned.
    pub async fn place_hold(
        &self,
        who: &Principal,
        target: &HoldTarget,
        ground: &str,
        note: &str,
    ) -> Result<HoldRow, AppError> {
        let subject = match target {
            HoldTarget::Record(id) => format!("record:{}", self.record(id).await?.id),
            HoldTarget::Case(c) => format!("case:{}", self.case(c).await?.id),
        };
        let policy = self.hold_policy();
        let ground = match policy.check_place(&who.roles, ground.trim()) {
            Ok(g) => g.clone(),
            Err(r) => return Err(self.refuse_hold(who, &subject, "hold.place", r).await),
        };
        let now = self.now();
        let row = HoldRow {
            id: uuid::Uuid::now_v7().to_string(),
            target: subject.clone(),
            ground: ground.code.clone(),
            note: note.trim().to_owned(),
            placed_ms: now.as_millisecond(),
            placed_by: who.user_id.clone(),
            lifted_ms: None,
            lifted_by: None,
            lift_reason: None,
        };
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::HoldPlaced,
                subject: Some(subject),
                details: json!({
                    "hold": row.id,
                    "target": row.target,
                    "ground": row.ground,
                    "ground_label": ground.label,
                    "note": row.note,
                }),
            },
        )
        .await?;
        tx.insert_hold(&row).await?;
        tx.commit().await?;
        self.mirror_legal_holds(&row.target).await?;
        let why = format!("保全标记（{}）", ground.label);
        match target {
            HoldTarget::Record(id) => {
                self.follow_retention(id, &who.user_id, &why).await?;
            }
            HoldTarget::Case(_) => {
                let case = row.target.trim_start_matches("case:");
                self.follow_case_retention(case, &who.user_id, &why).await?;
            }
        }
        Ok(row)
    }

    /// Lifts a hold: `who` approves it (a role of `retention.hold_lift_roles`) with a
    /// reason. The retention it gave stays (retention never shrinks by itself).
    pub async fn lift_hold(
        &self,
        who: &Principal,
        hold_id: &str,
        reason: &str,
    ) -> Result<HoldRow, AppError> {
        let hold = self
            .db
            .hold(hold_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("hold {hold_id}")))?;
        if let Err(r) = self
            .hold_policy()
            .check_lift(&who.roles, reason, !hold.in_force())
        {
            return Err(self.refuse_hold(who, &hold.target, "hold.lift", r).await);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::HoldLifted,
                subject: Some(hold.target.clone()),
                details: json!({
                    "hold": hold.id,
                    "target": hold.target,
                    "reason": reason.trim(),
                    "approved_by": who.officer_name,
                }),
            },
        )
        .await?;
        if !tx
            .lift_hold(&hold.id, now.as_millisecond(), &who.user_id, reason.trim())
            .await?
        {
            return Err(AppError::Refused {
                code: "hold_already_lifted",
                message: HoldRefusal::AlreadyLifted.message(),
            });
        }
        tx.commit().await?;
        self.mirror_legal_holds(&hold.target).await?;
        Ok(self.db.hold(&hold.id).await?.unwrap_or(hold))
    }

    /// Mirrors the holds of `target`'s records as the store's legal hold where it has one
    /// (S3): on while any hold is in force on the record or one of its cases, else off.
    async fn mirror_legal_holds(&self, target: &str) -> Result<(), AppError> {
        let records = match target.split_once(':') {
            Some(("record", id)) => {
                vec![RecordId::parse(id).map_err(|e| AppError::Invalid(e.to_string()))?]
            }
            Some(("case", id)) => self.db.records_of_case(id).await?,
            _ => Vec::new(),
        };
        for id in records {
            let on = self
                .holds_of_record(&id)
                .await?
                .iter()
                .any(|h| h.in_force());
            let sha = self.record(&id).await?.sha256;
            let blobs = self.blobs.clone();
            tokio::task::spawn_blocking(move || blobs.set_legal_hold(&sha, on)).await??;
        }
        Ok(())
    }

    /// A record just linked to a held case gets the store's legal hold too.
    pub(crate) async fn mirror_hold_on_link(&self, id: &RecordId) -> Result<(), AppError> {
        if self.holds_of_record(id).await?.iter().any(|h| h.in_force()) {
            self.mirror_legal_holds(&format!("record:{id}")).await?;
        }
        Ok(())
    }

    pub async fn hold(&self, id: &str) -> Result<HoldRow, AppError> {
        self.db
            .hold(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("hold {id}")))
    }

    /// Every hold (in force or lifted) on the record or on one of its cases.
    pub async fn holds_of_record(&self, id: &RecordId) -> Result<Vec<HoldRow>, AppError> {
        let mut targets = vec![format!("record:{id}")];
        for c in self.db.cases_of_record(id).await? {
            targets.push(format!("case:{c}"));
        }
        Ok(self.db.holds_on(&targets).await?)
    }

    /// Every hold on a case (in force or lifted).
    pub async fn holds_of_case(&self, case: &str) -> Result<Vec<HoldRow>, AppError> {
        let case = self.case(case).await?;
        Ok(self.db.holds_on(&[format!("case:{}", case.id)]).await?)
    }

    /// The grounds the case's flags propose to the keeper, minus those held already.
    pub async fn hold_proposals(&self, case: &str) -> Result<Vec<Ground>, AppError> {
        let row = self.case(case).await?;
        let set: Vec<&str> = crate::cases::CaseFlag::ALL
            .iter()
            .filter(|f| f.get(&row.flags))
            .map(|f| f.code())
            .collect();
        let holds = self.holds_of_case(&row.id).await?;
        let held: Vec<&str> = holds
            .iter()
            .filter(|h| h.in_force())
            .map(|h| h.ground.as_str())
            .collect();
        Ok(self
            .hold_policy()
            .proposals(&set, &held)
            .into_iter()
            .cloned()
            .collect())
    }
}
