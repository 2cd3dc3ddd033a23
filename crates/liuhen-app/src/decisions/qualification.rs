//! The legal qualification (法律职业资格证书) recorded on an account: only staff with one
//! review major decisions (行政处罚法 art. 58). Recorded by the system administrator (or
//! the demo), logged `account.legal_qualification` with the row as it became.

use jiff::Timestamp;
use liuhen_db::NewEntry;
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, Target};
use serde_json::json;

use super::{QualificationRow, bad, qualification_json};
use crate::{AppError, Custody};

impl Custody {
    /// Records (or clears, with an empty number) the legal qualification certificate
    /// (法律职业资格证书) of an account (`users.manage`).
    pub async fn set_legal_qualification(
        &self,
        who: &Principal,
        user_id: &str,
        cert_no: &str,
        now: Timestamp,
    ) -> Result<QualificationRow, AppError> {
        self.authorize(
            who,
            Action::ManageUsers,
            Target::System,
            Some(&format!("user:{user_id}")),
        )
        .await?;
        self.record_qualification(&who.user_id, user_id, cert_no, now)
            .await
    }

    /// Records a qualification for `actor` without authorization (the demo; the caller
    /// has decided).
    pub(crate) async fn record_qualification(
        &self,
        actor: &str,
        user_id: &str,
        cert_no: &str,
        now: Timestamp,
    ) -> Result<QualificationRow, AppError> {
        let cert = cert_no.trim();
        if cert.chars().count() > 64 || cert.chars().any(char::is_control) {
            return Err(bad("证书编号格式不正确"));
        }
        if self.db.user_by_id(user_id).await?.is_none() {
            return Err(AppError::NotFound(format!("user {user_id}")));
        }
        let q = QualificationRow {
            user_id: user_id.to_owned(),
            cert_no: cert.to_owned(),
            set_by: actor.to_owned(),
            set_ms: now.as_millisecond(),
        };
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::LegalQualificationSet,
                subject: Some(format!("user:{user_id}")),
                details: json!({ "qualification": qualification_json(&q) }),
            },
        )
        .await?;
        tx.put_qualification(&q).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// Every recorded certificate by user id (the caller has authorized `users.manage`).
    pub async fn legal_qualifications(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        Ok(self
            .db
            .all_qualifications()
            .await?
            .into_iter()
            .map(|q| (q.user_id, q.cert_no))
            .collect())
    }

    pub async fn legal_qualification(&self, user_id: &str) -> Result<Option<String>, AppError> {
        Ok(self.db.qualification(user_id).await?.map(|q| q.cert_no))
    }
}
