//! The second factor (TOTP enrolment, confirmation, turning off) and API tokens.

use jiff::Timestamp;
use liuhen_db::UserRow;
use liuhen_domain::AuditAction;
use liuhen_domain::requires_second_factor;
use liuhen_domain::totp::{TotpError, TotpSecret};

use super::entry;
use super::sessions::random_bytes;
use crate::secrets::SecretKey;
use crate::{AppError, Custody};

/// A second factor being enrolled: the secret as text and as an `otpauth://` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrollment {
    pub secret: String,
    pub uri: String,
}

impl Custody {
    /// Starts (or restarts) enrolment of a second factor: a new secret, not yet in force.
    pub async fn start_totp_enrollment(&self, user_id: &str) -> Result<TotpEnrollment, AppError> {
        let secret = TotpSecret::from_bytes(random_bytes::<20>()?.to_vec())
            .map_err(|e| AppError::Task(e.to_string()))?;
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if user.totp_enabled {
            return Err(AppError::Invalid("已绑定动态口令".into()));
        }
        let sealed = self.secrets.seal(user_id, &secret.to_base32())?;
        tx.set_totp(user_id, Some(&sealed), false, None, at.as_millisecond())
            .await?;
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::SecondFactorChanged,
                format!("user:{user_id}"),
                serde_json::json!({ "username": user.username, "change": "enrolment_started" }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.enrollment(&user.username, &secret))
    }

    fn enrollment(&self, username: &str, secret: &TotpSecret) -> TotpEnrollment {
        TotpEnrollment {
            secret: secret.to_base32(),
            uri: secret.uri(&format!("留痕 {}", self.config.bureau.name), username),
        }
    }

    /// The enrolment in progress, if any.
    pub async fn totp_enrollment(&self, user_id: &str) -> Result<Option<TotpEnrollment>, AppError> {
        let Some(user) = self.db.user_by_id(user_id).await? else {
            return Ok(None);
        };
        if user.totp_enabled {
            return Ok(None);
        }
        Ok(self
            .totp_secret_of(&user)
            .map(|secret| self.enrollment(&user.username, &secret)))
    }

    /// Puts the enrolled second factor in force once the user proves it with a code.
    pub async fn confirm_totp(&self, user_id: &str, code: &str) -> Result<(), AppError> {
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if user.totp_enabled || user.totp_secret.is_none() {
            return Err(AppError::Invalid(
                "没有待确认的动态口令，请重新开始绑定".into(),
            ));
        }
        let step = self
            .check_code(&user, code, at)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        tx.set_totp(
            user_id,
            user.totp_secret.as_deref(),
            true,
            Some(step),
            at.as_millisecond(),
        )
        .await?;
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::SecondFactorChanged,
                format!("user:{user_id}"),
                serde_json::json!({ "username": user.username, "change": "enabled" }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns the user's own second factor off (proven by a current code). The three
    /// administrators cannot: for them it is required.
    pub async fn disable_totp(&self, user_id: &str, code: &str) -> Result<(), AppError> {
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if requires_second_factor(&user.roles) {
            return Err(AppError::Invalid(
                "管理员账号必须使用动态口令，不能关闭".into(),
            ));
        }
        if !user.totp_enabled {
            return Err(AppError::Invalid("尚未绑定动态口令".into()));
        }
        self.check_code(&user, code, at)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        tx.set_totp(user_id, None, false, None, at.as_millisecond())
            .await?;
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::SecondFactorChanged,
                format!("user:{user_id}"),
                serde_json::json!({ "username": user.username, "change": "disabled" }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Custody {
    /// The user's TOTP secret (pending or enrolled), opened from its sealed form.
    fn totp_secret_of(&self, user: &UserRow) -> Option<TotpSecret> {
        let stored = user.totp_secret.as_deref()?;
        let plain = if SecretKey::is_sealed(stored) {
            self.secrets.open(&user.id, stored)?
        } else {
            stored.to_owned()
        };
        TotpSecret::parse_base32(&plain).ok()
    }

    /// Checks a TOTP code against the user's secret (pending or enrolled), refusing replays.
    pub(super) fn check_code(
        &self,
        user: &UserRow,
        code: &str,
        at: Timestamp,
    ) -> Result<i64, TotpError> {
        let secret = self.totp_secret_of(user).ok_or(TotpError::Wrong)?;
        secret.verify(code, at.as_second(), user.totp_last_step)
    }

    /// Seals every TOTP secret still stored in plain base32 (installations from before
    /// sealing); each change is logged. Runs when the custody opens.
    pub(crate) async fn seal_plain_totp_secrets(&self) -> Result<usize, AppError> {
        let plain: Vec<UserRow> = self
            .db
            .users()
            .await?
            .into_iter()
            .filter(|u| {
                u.totp_secret
                    .as_deref()
                    .is_some_and(|s| !SecretKey::is_sealed(s))
            })
            .collect();
        if plain.is_empty() {
            return Ok(0);
        }
        let at = self.now();
        let mut tx = self.db.begin().await?;
        for u in &plain {
            let Some(stored) = u.totp_secret.as_deref() else {
                continue;
            };
            let sealed = self.secrets.seal(&u.id, stored)?;
            tx.set_totp(
                &u.id,
                Some(&sealed),
                u.totp_enabled,
                u.totp_last_step,
                at.as_millisecond(),
            )
            .await?;
            tx.append(
                at,
                entry(
                    "system",
                    AuditAction::SecondFactorChanged,
                    format!("user:{}", u.id),
                    serde_json::json!({ "username": u.username, "change": "secret_sealed" }),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(plain.len())
    }
}
