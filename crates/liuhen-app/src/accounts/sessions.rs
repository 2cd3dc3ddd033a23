//! Sign-in (password, lockout, second factor), server-side sessions and password
//! changes. Tokens are random 256-bit values; only their SHA-256 is
//! stored. Passwords are hashed with argon2id (crate defaults) on a blocking thread.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use jiff::Timestamp;
use liuhen_db::SessionRow;
use liuhen_domain::AuditAction;
use liuhen_domain::auth::check_password;
use liuhen_domain::totp::TotpError;
use sha2::{Digest, Sha256};

use super::throttle::Attempt;
use super::{UserInfo, entry};
use crate::{AppError, Custody};

/// How long a half-finished sign-in (password given, code not yet) stays usable.
const PENDING_MS: i64 = 5 * 60_000;
/// Prefix of API tokens, so that leaked ones are recognisable.
pub const API_TOKEN_PREFIX: &str = "liuhen_";

/// What the browser keeps: the session token (cookie) and the CSRF token of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTokens {
    pub token: String,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in: a full session.
    SignedIn(SessionTokens),
    /// Password accepted; the session is usable only for giving the second factor.
    SecondFactorNeeded(SessionTokens),
    Refused(LoginRefusal),
}

/// Why a sign-in was refused. The messages never reveal whether an account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    BadCredentials,
    Locked,
    SecondFactor(TotpError),
}

impl LoginRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::Locked => "locked",
            Self::SecondFactor(_) => "bad_second_factor",
        }
    }

    pub fn message_zh(self) -> String {
        match self {
            Self::BadCredentials => "用户名或密码错误".into(),
            Self::Locked => {
                "登录失败次数过多，账号已被暂时锁定，请稍后再试或联系安全保密管理员".into()
            }
            Self::SecondFactor(e) => e.to_string(),
        }
    }
}

/// A signed-in user with the CSRF token of the session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: UserInfo,
    pub csrf: String,
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AppError::Task(format!("random numbers: {e}")))?;
    Ok(buf)
}

pub(super) fn random_token() -> Result<String, AppError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// A random token for the sign-in form (login CSRF): the browser holds it in a cookie and
/// sends it back in the form; nothing is stored on the server.
pub fn login_form_token() -> Result<String, AppError> {
    random_token()
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random password that meets the policy: three groups of four characters from an
/// alphabet without look-alikes, joined by `-`, e.g. `Kp7x-9mQa-Rt3w`.
pub(crate) fn random_password() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    loop {
        let mut out = String::new();
        let bytes = random_bytes::<64>()?;
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for (i, b) in bytes
            .into_iter()
            .filter(|b| *b < limit)
            .take(12)
            .enumerate()
        {
            if i > 0 && i.is_multiple_of(4) {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
        if out.len() == 14 && check_password(&out, "").is_ok() {
            return Ok(out);
        }
    }
}

pub(crate) async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Task(format!("password hashing: {e}")))
    })
    .await?
}

/// Verifies a password against a stored hash; `None` verifies against a dummy hash so
/// that unknown user names take as long as known ones.
async fn verify_password(password: &str, hash: Option<&str>) -> Result<bool, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = match hash {
        Some(h) => h.to_owned(),
        None => match DUMMY.get() {
            Some(h) => h.clone(),
            None => {
                let h = hash_password(random_password()?).await?;
                DUMMY.get_or_init(|| h).clone()
            }
        },
    };
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await?)
}

impl Custody {
    fn alive(&self, s: &SessionRow, now_ms: i64) -> bool {
        let idle = self.config.security.idle_timeout_ms();
        now_ms < s.expires_ms && now_ms - s.last_seen_ms < idle
    }

    /// Checks user name and password from the client address `client`. Unknown names,
    /// wrong passwords, disabled accounts and locked names all take the same time and give
    /// [`LoginRefusal`]s that do not tell them apart (except the lock, which applies to
    /// unknown names too). Throttling: see `throttle`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<LoginOutcome, AppError> {
        let attempt = Attempt::new(username, client);
        let name = attempt.name.clone();
        let start = self.now();
        let idle = self.config.security.idle_timeout_ms();
        self.db
            .purge_sessions(start.as_millisecond() - idle, start.as_millisecond())
            .await?;
        let user = self.db.user_by_username(&name).await?;
        let counters = self.counters(None, &attempt).await?;
        self.account_delay(&counters).await;
        let locked = counters.locked(start.as_millisecond());
        let ok = verify_password(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
        let user = user.filter(|u| ok && !u.disabled && !locked);
        let Some(user) = user else {
            let reason = if locked { "locked" } else { "bad_credentials" };
            return self.login_failed(&attempt, reason).await;
        };
        let pending = user.totp_enabled;
        let at = self.now();
        let tokens = SessionTokens {
            token: random_token()?,
            csrf: random_token()?,
        };
        let mut tx = self.db.begin().await?;
        if !pending {
            self.clear_failures(&mut tx, &attempt).await?;
        }
        tx.insert_session(&self.session_row(&tokens, &user.id, pending, at))
            .await?;
        tx.append(
            at,
            entry(
                &user.id,
                AuditAction::LoginSucceeded,
                format!("user:{}", user.id),
                serde_json::json!({
                    "username": name,
                    "method": "password",
                    "second_factor": if pending { "pending" } else { "none" },
                    "client": attempt.client,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(if pending {
            LoginOutcome::SecondFactorNeeded(tokens)
        } else {
            LoginOutcome::SignedIn(tokens)
        })
    }

    fn session_row(
        &self,
        t: &SessionTokens,
        user_id: &str,
        pending: bool,
        at: Timestamp,
    ) -> SessionRow {
        let at_ms = at.as_millisecond();
        SessionRow {
            token_hash: token_hash(&t.token),
            user_id: user_id.to_owned(),
            csrf_token: t.csrf.clone(),
            pending_totp: pending,
            created_ms: at_ms,
            last_seen_ms: at_ms,
            expires_ms: at_ms
                + if pending {
                    PENDING_MS
                } else {
                    self.config.security.session_max_ms()
                },
        }
    }

    /// Counts a failure against the attempt's counters (locking at the limits) and logs
    /// it, with the user name bounded.
    async fn login_failed(&self, a: &Attempt, reason: &str) -> Result<LoginOutcome, AppError> {
        let at = self.now();
        let at_ms = at.as_millisecond();
        let mut tx = self.db.begin().await?;
        let user = tx.user_by_username(&a.name).await?;
        let before = self.counters(Some(&mut tx), a).await?;
        let after = self.count_failure(&mut tx, a, before, at_ms).await?;
        let (actor, subject) = match &user {
            Some(u) => (u.id.clone(), format!("user:{}", u.id)),
            None => ("anonymous".to_owned(), format!("login:{}", a.name)),
        };
        tx.append(
            at,
            entry(
                &actor,
                AuditAction::LoginFailed,
                subject,
                serde_json::json!({
                    "username": a.logged,
                    "reason": reason,
                    "account_exists": user.is_some(),
                    "client": a.client,
                    "failures": after.pair.failures,
                    "locked_until_ms": after.pair.locked_until_ms,
                    "address_locked_until_ms": after.address.locked_until_ms,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome::Refused(if after.locked(at_ms) {
            LoginRefusal::Locked
        } else {
            LoginRefusal::BadCredentials
        }))
    }

    /// The user of a half-finished sign-in waiting for its second factor, with its CSRF token.
    pub async fn pending_login(&self, token: &str) -> Result<Option<SessionUser>, AppError> {
        self.live_session(token, true).await
    }

    /// Completes a sign-in with the TOTP code: the pending session is replaced by a new one.
    pub async fn login_second_factor(
        &self,
        pending_token: &str,
        code: &str,
        client: &str,
    ) -> Result<LoginOutcome, AppError> {
        let Some(pending) = self.pending_login(pending_token).await? else {
            return Ok(LoginOutcome::Refused(LoginRefusal::BadCredentials));
        };
        let name = pending.user.username.clone();
        let attempt = Attempt::new(&name, client);
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(&pending.user.id)
            .await?
            .ok_or_else(|| AppError::NotFound("user".into()))?;
        let counter = self.counters(Some(&mut tx), &attempt).await?;
        let verdict = if counter.locked(at.as_millisecond()) {
            Err(LoginRefusal::Locked)
        } else {
            self.check_code(&user, code, at)
                .map_err(LoginRefusal::SecondFactor)
        };
        match verdict {
            Ok(step) => {
                tx.set_totp_last_step(&user.id, step).await?;
                self.clear_failures(&mut tx, &attempt).await?;
                tx.delete_session(&token_hash(pending_token)).await?;
                let tokens = SessionTokens {
                    token: random_token()?,
                    csrf: random_token()?,
                };
                tx.insert_session(&self.session_row(&tokens, &user.id, false, at))
                    .await?;
                tx.append(
                    at,
                    entry(
                        &user.id,
                        AuditAction::LoginSucceeded,
                        format!("user:{}", user.id),
                        serde_json::json!({
                            "username": name, "method": "password", "second_factor": "totp",
                            "client": attempt.client,
                        }),
                    ),
                )
                .await?;
                tx.commit().await?;
                Ok(LoginOutcome::SignedIn(tokens))
            }
            Err(refusal) => {
                let after = self
                    .count_failure(&mut tx, &attempt, counter, at.as_millisecond())
                    .await?;
                let locked = after.locked(at.as_millisecond());
                if locked {
                    tx.delete_session(&token_hash(pending_token)).await?;
                }
                tx.append(
                    at,
                    entry(
                        &user.id,
                        AuditAction::LoginFailed,
                        format!("user:{}", user.id),
                        serde_json::json!({
                            "username": name,
                            "reason": refusal.code(),
                            "client": attempt.client,
                            "failures": after.pair.failures,
                            "locked_until_ms": after.pair.locked_until_ms,
                        }),
                    ),
                )
                .await?;
                tx.commit().await?;
                Ok(LoginOutcome::Refused(if locked {
                    LoginRefusal::Locked
                } else {
                    refusal
                }))
            }
        }
    }

    /// The signed-in user of a session token, or `None` when the session is unknown, idle
    /// too long, past its lifetime, still waiting for its second factor, or its account
    /// is disabled. Use [`UserInfo::gate`] for what the user must do first.
    pub async fn session_user(&self, token: &str) -> Result<Option<SessionUser>, AppError> {
        self.live_session(token, false).await
    }

    /// The CSRF token of a live session (full or waiting for its second factor).
    pub async fn session_csrf(&self, token: &str) -> Result<Option<String>, AppError> {
        let Some(s) = self.db.session(&token_hash(token)).await? else {
            return Ok(None);
        };
        Ok(self
            .alive(&s, self.now().as_millisecond())
            .then_some(s.csrf_token))
    }

    async fn live_session(
        &self,
        token: &str,
        pending: bool,
    ) -> Result<Option<SessionUser>, AppError> {
        let hash = token_hash(token);
        let Some(s) = self.db.session(&hash).await? else {
            return Ok(None);
        };
        let now_ms = self.now().as_millisecond();
        if s.pending_totp != pending || !self.alive(&s, now_ms) {
            return Ok(None);
        }
        let Some(user) = self.db.user_by_id(&s.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        // Activity is recorded at a coarse grain, not on every request.
        let grain = (self.config.security.idle_timeout_ms() / 10).min(60_000);
        if now_ms - s.last_seen_ms >= grain {
            self.db.touch_session(&hash, now_ms).await?;
        }
        Ok(Some(SessionUser {
            user: UserInfo::from(&user),
            csrf: s.csrf_token,
        }))
    }

    /// Ends a session (full or pending). Unknown tokens are ignored.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let hash = token_hash(token);
        let Some(s) = self.db.session(&hash).await? else {
            return Ok(());
        };
        let at = self.now();
        let mut tx = self.db.begin().await?;
        if tx.delete_session(&hash).await? {
            tx.append(
                at,
                entry(
                    &s.user_id,
                    AuditAction::Logout,
                    format!("user:{}", s.user_id),
                    serde_json::json!({ "session_age_ms": at.as_millisecond() - s.created_ms }),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes the user's own password: ends every session and API token of the user and
    /// opens a new session for the caller (returned).
    pub async fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
    ) -> Result<SessionTokens, AppError> {
        let user = self
            .db
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if !verify_password(current, Some(&user.password_hash)).await? {
            return Err(AppError::Invalid("当前密码不正确".into()));
        }
        if current == new {
            return Err(AppError::Invalid("新密码不能与当前密码相同".into()));
        }
        check_password(new, &user.username).map_err(|e| AppError::Invalid(e.to_string()))?;
        let hash = hash_password(new.to_owned()).await?;
        let at = self.now();
        let tokens = SessionTokens {
            token: random_token()?,
            csrf: random_token()?,
        };
        let mut tx = self.db.begin().await?;
        tx.set_password(user_id, &hash, false, at.as_millisecond())
            .await?;
        let ended = tx.delete_sessions_of(user_id).await?;
        let tokens_ended = tx
            .revoke_api_tokens_of(user_id, at.as_millisecond())
            .await?;
        tx.insert_session(&self.session_row(&tokens, user_id, false, at))
            .await?;
        tx.append(
            at,
            entry(
                user_id,
                AuditAction::PasswordChanged,
                format!("user:{user_id}"),
                serde_json::json!({ "username": user.username, "change": "changed", "sessions_ended": ended,
                    "tokens_ended": tokens_ended }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = random_password().unwrap();
            assert_eq!(p.len(), 14, "{p}");
            assert_eq!(p.matches('-').count(), 2, "{p}");
            check_password(&p, "sysadmin").unwrap();
        }
        assert_ne!(random_password().unwrap(), random_password().unwrap());
        assert_eq!(token_hash("x").len(), 64);
    }
}
