//! Police numbers (警号) on accounts (issue 10.1): a camera names its officer by police
//! number, not by name. The system administrator sets an account's number (unique in the
//! bureau, logged `account.police_number`); every ingest path that carries a number —
//! `liuhen ingest --police`, the tus `police` metadata, the station's recogniser — maps it
//! to that account here ([`Custody::classify_by_police`]). A number no account carries (or
//! one of another unit) makes the record nobody's own: its officer text names the number
//! and it is listed among the unresolved identities until a person resolves it.

use std::collections::HashMap;

use liuhen_db::{NewEntry, PoliceAccount};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{AuditAction, Classification};
use serde_json::json;

use crate::{AppError, Custody};

/// Longest police number accepted (GA/T 947 numbers are 6–8 digits).
pub const MAX_POLICE_CHARS: usize = 20;

/// A police number as written: trimmed; empty means none. Letters and digits only.
pub fn parse_police_number(raw: &str) -> Result<Option<String>, AppError> {
    let p = raw.trim();
    if p.is_empty() {
        return Ok(None);
    }
    if p.chars().count() > MAX_POLICE_CHARS || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::Invalid(format!(
            "警号只能由字母和数字组成，最多 {MAX_POLICE_CHARS} 位 / a police number is letters \
             and digits, at most {MAX_POLICE_CHARS}"
        )));
    }
    Ok(Some(p.to_owned()))
}

impl Custody {
    /// The system administrator sets (or, with an empty number, clears) an account's
    /// police number (`users.manage`).
    pub async fn set_police_number(
        &self,
        who: &Principal,
        user_id: &str,
        number: &str,
    ) -> Result<Option<String>, AppError> {
        self.authorize(
            who,
            Action::ManageUsers,
            Target::System,
            Some(&format!("user:{user_id}")),
        )
        .await?;
        self.record_police_number(&who.user_id, user_id, number)
            .await
    }

    /// Sets a police number for `actor` without authorization (the CLI run by the
    /// operator, the demo). Unique in the bureau; logged with the number before and after.
    pub async fn record_police_number(
        &self,
        actor: &str,
        user_id: &str,
        number: &str,
    ) -> Result<Option<String>, AppError> {
        let number = parse_police_number(number)?;
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let Some(user) = tx.user_by_id(user_id).await? else {
            return Err(AppError::NotFound(format!("用户 user {user_id}")));
        };
        let before = tx.police_number_of(user_id).await?;
        if before == number {
            return Err(AppError::Invalid(
                "内容未变化 / the change changes nothing".into(),
            ));
        }
        if let Some(n) = &number
            && let Some(holder) = tx.police_holder(n).await?
            && holder != user_id
        {
            let name = tx
                .user_by_id(&holder)
                .await?
                .map(|u| u.username)
                .unwrap_or(holder);
            return Err(AppError::Invalid(format!(
                "警号 {n} 已登记在账户 {name} 上，警号在本局内不能重复 / police number {n} \
                 belongs to {name}"
            )));
        }
        tx.append(
            at,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::PoliceNumberSet,
                subject: Some(format!("user:{user_id}")),
                details: json!({"username": user.username, "from": before, "to": number}),
            },
        )
        .await?;
        tx.set_police_number(user_id, number.as_deref(), at.as_millisecond())
            .await?;
        tx.commit().await?;
        Ok(number)
    }

    /// Every account's police number by user id (the caller has authorized).
    pub async fn police_numbers(&self) -> Result<HashMap<String, String>, AppError> {
        Ok(self
            .db
            .police_numbers()
            .await?
            .into_iter()
            .map(|p| (p.user_id, p.police_number))
            .collect())
    }

    /// The account carrying a police number, if any.
    pub async fn account_by_police(&self, number: &str) -> Result<Option<PoliceAccount>, AppError> {
        Ok(self.db.account_by_police(number.trim()).await?)
    }

    /// Maps a police number given at ingest to the account carrying it. The account must
    /// be of the record's unit (when the record names none, the account's unit is taken);
    /// then the record's officer is the account's name and its id is returned. Otherwise
    /// the record is nobody's own: `None`, and the officer text carries the number
    /// (“警号 …”, after a name if one was given) so it is listed for a person to resolve —
    /// never matched by name instead.
    pub async fn classify_by_police(
        &self,
        c: &mut Classification,
        police: &str,
    ) -> Result<Option<String>, AppError> {
        let Some(police) = parse_police_number(police)? else {
            return Ok(None);
        };
        let agency = c.agency.clone().filter(|a| !a.trim().is_empty());
        if let Some(acc) = self.db.account_by_police(&police).await?
            && let Some(unit) = acc.unit.clone()
            && agency.as_ref().is_none_or(|a| a.trim() == unit)
        {
            c.agency = Some(unit);
            c.officer = Some(acc.display_name);
            return Ok(Some(acc.user_id));
        }
        c.officer = Some(match c.officer.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => format!("{name}（警号 {police}）"),
            _ => format!("警号 {police}"),
        });
        Ok(None)
    }
}
