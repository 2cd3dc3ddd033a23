//! The second factor (TOTP enrolment, confirmation, turning off) and API tokens.

use jiff::Timestamp;
use liuhen_db::{ApiTokenRow, UserRow};
use liuhen_domain::AuditAction;
use liuhen_domain::requires_second_factor;
use liuhen_domain::totp::{TotpError, TotpSecret};

use super::sessions::{API_TOKEN_PREFIX, random_bytes, random_token, token_hash};
use super::{UserInfo, entry, new_id};
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
        tx.set_totp(
            user_id,
            Some(&secret.to_base32()),
            false,
            None,
            at.as_millisecond(),
        )
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
        match (&user.totp_secret, user.totp_enabled) {
            (Some(s), false) => {
                let secret =
                    TotpSecret::parse_base32(s).map_err(|e| AppError::Task(e.to_string()))?;
                Ok(Some(self.enrollment(&user.username, &secret)))
            }
            _ => Ok(None),
        }
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
        let step = check_code(&user, code, at).map_err(|e| AppError::Invalid(e.to_string()))?;
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
        check_code(&user, code, at).map_err(|e| AppError::Invalid(e.to_string()))?;
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

    /// Issues an API token for scripts and the CLI; the token is returned once and only
    /// its hash is kept.
    pub async fn create_api_token(&self, user_id: &str, name: &str) -> Result<String, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AppError::Invalid(
                "令牌名称不能为空，且不超过64个字符".into(),
            ));
        }
        let token = format!("{API_TOKEN_PREFIX}{}", random_token()?);
        let at = self.now();
        let row = ApiTokenRow {
            id: new_id(),
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            token_hash: token_hash(&token),
            created_ms: at.as_millisecond(),
            last_used_ms: None,
            revoked_ms: None,
        };
        let mut tx = self.db.begin().await?;
        if tx.user_by_id(user_id).await?.is_none() {
            return Err(AppError::NotFound(format!("user {user_id}")));
        }
        tx.insert_api_token(&row).await?;
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::TokenCreated,
                format!("user:{user_id}"),
                serde_json::json!({ "token_id": row.id, "name": name }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Revokes one of the user's own tokens.
    pub async fn revoke_api_token(&self, user_id: &str, token_id: &str) -> Result<(), AppError> {
        let at = self.now();
        let mut tx = self.db.begin().await?;
        if !tx
            .revoke_api_token(token_id, user_id, at.as_millisecond())
            .await?
        {
            return Err(AppError::NotFound(format!("token {token_id}")));
        }
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::TokenRevoked,
                format!("user:{user_id}"),
                serde_json::json!({ "token_id": token_id }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiTokenRow>, AppError> {
        Ok(self.db.api_tokens_of(user_id).await?)
    }

    /// The user of a live API token (`liuhen_…`), or `None` (unknown, revoked, disabled).
    pub async fn token_user(&self, token: &str) -> Result<Option<UserInfo>, AppError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(t) = self.db.api_token_by_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        if t.revoked_ms.is_some() {
            return Ok(None);
        }
        let Some(user) = self.db.user_by_id(&t.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let now_ms = self.now().as_millisecond();
        if t.last_used_ms.is_none_or(|last| now_ms - last >= 60_000) {
            self.db.touch_api_token(&t.id, now_ms).await?;
        }
        Ok(Some(UserInfo::from(&user)))
    }
}

/// Checks a TOTP code against the user's secret (pending or enrolled), refusing replays.
pub(super) fn check_code(user: &UserRow, code: &str, at: Timestamp) -> Result<i64, TotpError> {
    let secret = user
        .totp_secret
        .as_deref()
        .ok_or(TotpError::Wrong)
        .and_then(TotpSecret::parse_base32)?;
    secret.verify(code, at.as_second(), user.totp_last_step)
}
