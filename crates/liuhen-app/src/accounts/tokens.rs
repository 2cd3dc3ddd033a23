//! API tokens for scripts and the CLI (issue 10, item 5): each has scopes (read, upload,
//! write — never administration) and an expiry; a password change, a reset or disabling
//! the account ends them. Only the SHA-256 of a token is stored. Minting a token needs a
//! signed-in session: the server never lets a token reach the token routes.

use liuhen_db::ApiTokenRow;
use liuhen_domain::AuditAction;
use liuhen_domain::auth::TokenScope;

use super::sessions::{API_TOKEN_PREFIX, random_token, token_hash};
use super::{UserInfo, entry, new_id};
use crate::{AppError, Custody};

const DAY_MS: i64 = 86_400_000;

/// What a break-glass use of the CLI states about itself (logged as `auth.break_glass`).
#[derive(Debug, Clone)]
pub struct BreakGlass<'a> {
    /// The account acted as.
    pub username: &'a str,
    /// Why the custodian could not use a token.
    pub reason: &'a str,
    /// The operating-system user on the console (name and uid).
    pub os_user: &'a str,
    pub os_uid: u32,
    /// The command run, for the log.
    pub command: &'a str,
}

/// The caller behind a live API token.
#[derive(Debug, Clone)]
pub struct TokenCaller {
    pub user: UserInfo,
    pub scopes: Vec<TokenScope>,
}

impl Custody {
    /// Issues a token with every scope and the configured default lifetime.
    pub async fn create_api_token(&self, user_id: &str, name: &str) -> Result<String, AppError> {
        self.create_api_token_with(user_id, name, &TokenScope::ALL, None)
            .await
    }

    /// Issues an API token with these scopes, valid for `days` (default
    /// `[security] api_token_days`, at most `api_token_max_days`); the token is returned
    /// once and only its hash is kept.
    pub async fn create_api_token_with(
        &self,
        user_id: &str,
        name: &str,
        scopes: &[TokenScope],
        days: Option<u32>,
    ) -> Result<String, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AppError::Invalid(
                "令牌名称不能为空，且不超过64个字符".into(),
            ));
        }
        let scopes = TokenScope::parse_list(&TokenScope::join(scopes));
        if scopes.is_empty() {
            return Err(AppError::Invalid("请至少选择一种令牌权限范围".into()));
        }
        let sec = &self.config.security;
        let days = days.unwrap_or(sec.api_token_days);
        if days == 0 || days > sec.api_token_max_days {
            return Err(AppError::Invalid(format!(
                "令牌有效期应为1到{}天",
                sec.api_token_max_days
            )));
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
            scopes: TokenScope::join(&scopes),
            expires_ms: Some(at.as_millisecond() + i64::from(days) * DAY_MS),
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
                serde_json::json!({
                    "token_id": row.id, "name": name, "scopes": row.scopes,
                    "expires_ms": row.expires_ms,
                }),
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

    /// The user of a live API token (`liuhen_…`), or `None` (unknown, revoked, expired,
    /// disabled).
    pub async fn token_user(&self, token: &str) -> Result<Option<UserInfo>, AppError> {
        Ok(self.token_caller(token).await?.map(|c| c.user))
    }

    /// The user and scopes of a live API token, or `None` (unknown, revoked, expired,
    /// disabled).
    pub async fn token_caller(&self, token: &str) -> Result<Option<TokenCaller>, AppError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(t) = self.db.api_token_by_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now_ms = self.now().as_millisecond();
        if t.revoked_ms.is_some() || t.expires_ms.is_some_and(|e| now_ms >= e) {
            return Ok(None);
        }
        let Some(user) = self.db.user_by_id(&t.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        if t.last_used_ms.is_none_or(|last| now_ms - last >= 60_000) {
            self.db.touch_api_token(&t.id, now_ms).await?;
        }
        Ok(Some(TokenCaller {
            user: UserInfo::from(&user),
            scopes: TokenScope::parse_list(&t.scopes),
        }))
    }

    /// Break-glass (the CLI on the server's own console, by the data directory's owner,
    /// without a token): the account named, if it exists and is enabled, with every scope;
    /// the use is logged first (`auth.break_glass`, its reason, the OS user and the
    /// command), so nothing is done as the account before its entry is committed.
    pub async fn break_glass(&self, bg: &BreakGlass<'_>) -> Result<TokenCaller, AppError> {
        let reason = bg.reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(
                "紧急授权须说明理由 / break-glass needs a reason".into(),
            ));
        }
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = match tx.user_by_username(bg.username).await? {
            Some(u) if !u.disabled => u,
            _ => {
                return Err(AppError::NotFound(format!(
                    "没有可用的账户 / no enabled account {:?}",
                    bg.username
                )));
            }
        };
        tx.append(
            at,
            entry(
                &user.id,
                AuditAction::BreakGlass,
                format!("user:{}", user.id),
                serde_json::json!({
                    "reason": reason, "os_user": bg.os_user, "os_uid": bg.os_uid,
                    "command": bg.command,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(TokenCaller {
            user: UserInfo::from(&user),
            scopes: TokenScope::ALL.to_vec(),
        })
    }
}
