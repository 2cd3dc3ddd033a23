//! Accounts: units (执法机构) and departments, users, sessions, API tokens and the sign-in
//! failure counters. Secrets are stored hashed (sessions and API tokens: SHA-256 of a
//! random token; passwords: argon2id, hashed by the caller). Times are i64 milliseconds,
//! booleans integers. Writes happen in a [`Tx`], next to their audit entry.

use liuhen_domain::Role;
use liuhen_domain::auth::FailureCounter;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::QueryContext;
use crate::{AuditEntry, Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub unit: Option<String>,
    pub department: Option<String>,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    /// Base32 secret: confirmed when `totp_enabled`, an enrolment in progress otherwise.
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a new user row needs; unit and department are ids (see [`Tx::unit_id`]).
#[derive(Debug, Clone)]
pub struct NewUserRow<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: Option<&'a str>,
    pub department_id: Option<&'a str>,
    pub roles: &'a [Role],
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    /// Password accepted, second factor still to come.
    pub pending_totp: bool,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRow {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub name: String,
}

pub fn encode_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

pub fn decode_roles(s: &str) -> Result<Vec<Role>, liuhen_domain::UnknownRole> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::parse)
        .collect()
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, un.name AS unit_name, \
    d.name AS department_name, u.roles, u.password_hash, u.must_change_password, u.disabled, \
    u.totp_secret, u.totp_enabled, u.totp_last_step, u.created_ms, u.updated_ms \
    FROM users u LEFT JOIN units un ON un.id = u.unit_id \
    LEFT JOIN departments d ON d.id = u.department_id";

fn decode_user(row: &AnyRow) -> Result<UserRow, DbError> {
    let ctx = "decoding a user";
    let id: String = row.try_get("id").ctx(ctx)?;
    let roles: String = row.try_get("roles").ctx(ctx)?;
    let roles = decode_roles(&roles).map_err(|e| DbError::Corrupt {
        what: format!("user {id}"),
        detail: e.to_string(),
    })?;
    Ok(UserRow {
        username: row.try_get("username").ctx(ctx)?,
        display_name: row.try_get("display_name").ctx(ctx)?,
        unit: row.try_get("unit_name").ctx(ctx)?,
        department: row.try_get("department_name").ctx(ctx)?,
        roles,
        password_hash: row.try_get("password_hash").ctx(ctx)?,
        must_change_password: row.try_get::<i64, _>("must_change_password").ctx(ctx)? != 0,
        disabled: row.try_get::<i64, _>("disabled").ctx(ctx)? != 0,
        totp_secret: row.try_get("totp_secret").ctx(ctx)?,
        totp_enabled: row.try_get::<i64, _>("totp_enabled").ctx(ctx)? != 0,
        totp_last_step: row.try_get("totp_last_step").ctx(ctx)?,
        created_ms: row.try_get("created_ms").ctx(ctx)?,
        updated_ms: row.try_get("updated_ms").ctx(ctx)?,
        id,
    })
}

async fn user_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<UserRow>, DbError> {
    let sql = format!("{USER_SELECT} WHERE u.{column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await
        .ctx("reading a user")?;
    row.as_ref().map(decode_user).transpose()
}

fn decode_session(row: &AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        token_hash: row.try_get("token_hash")?,
        user_id: row.try_get("user_id")?,
        csrf_token: row.try_get("csrf_token")?,
        pending_totp: row.try_get::<i64, _>("pending_totp")? != 0,
        created_ms: row.try_get("created_ms")?,
        last_seen_ms: row.try_get("last_seen_ms")?,
        expires_ms: row.try_get("expires_ms")?,
    })
}

fn decode_token(row: &AnyRow) -> Result<ApiTokenRow, sqlx::Error> {
    Ok(ApiTokenRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        created_ms: row.try_get("created_ms")?,
        last_used_ms: row.try_get("last_used_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}

const TOKEN_COLUMNS: &str = "id, user_id, name, token_hash, created_ms, last_used_ms, revoked_ms";

async fn failures(conn: &mut AnyConnection, username: &str) -> Result<FailureCounter, DbError> {
    let row =
        sqlx::query("SELECT failures, locked_until_ms FROM login_failures WHERE username = $1")
            .bind(username)
            .fetch_optional(conn)
            .await
            .ctx("reading sign-in failures")?;
    match row {
        None => Ok(FailureCounter::default()),
        Some(row) => Ok(FailureCounter {
            failures: row
                .try_get::<i64, _>("failures")
                .ctx("reading sign-in failures")? as u32,
            locked_until_ms: row
                .try_get("locked_until_ms")
                .ctx("reading sign-in failures")?,
        }),
    }
}

impl Db {
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, DbError> {
        self.pool().acquire().await.ctx("acquiring a connection")
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>, DbError> {
        user_where(&mut *self.conn().await?, "username", username).await
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, DbError> {
        user_where(&mut *self.conn().await?, "id", id).await
    }

    /// All users, by user name.
    pub async fn users(&self) -> Result<Vec<UserRow>, DbError> {
        let sql = format!("{USER_SELECT} ORDER BY u.username");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .ctx("listing users")?;
        rows.iter().map(decode_user).collect()
    }

    pub async fn user_count(&self) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await
            .ctx("counting users")?;
        Ok(row.try_get::<i64, _>("n").ctx("counting users")? as u64)
    }

    pub async fn units(&self) -> Result<Vec<UnitRow>, DbError> {
        let rows = sqlx::query("SELECT id, name FROM units ORDER BY name")
            .fetch_all(self.pool())
            .await
            .ctx("listing units")?;
        rows.iter()
            .map(|r| {
                Ok(UnitRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("listing units")
    }

    pub async fn departments(&self) -> Result<Vec<DepartmentRow>, DbError> {
        let rows = sqlx::query(
            "SELECT d.id, d.unit_id, u.name AS unit_name, d.name FROM departments d \
             JOIN units u ON u.id = d.unit_id ORDER BY u.name, d.name",
        )
        .fetch_all(self.pool())
        .await
        .ctx("listing departments")?;
        rows.iter()
            .map(|r| {
                Ok(DepartmentRow {
                    id: r.try_get("id")?,
                    unit_id: r.try_get("unit_id")?,
                    unit_name: r.try_get("unit_name")?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("listing departments")
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, DbError> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, csrf_token, pending_totp, created_ms, last_seen_ms, \
             expires_ms FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a session")?;
        row.as_ref()
            .map(decode_session)
            .transpose()
            .ctx("reading a session")
    }

    /// Records activity on a session (bookkeeping, not a logged change).
    pub async fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(token_hash)
            .execute(self.pool())
            .await
            .ctx("touching a session")?;
        Ok(())
    }

    /// Removes sessions past their idle or absolute limit (bookkeeping: they are dead
    /// already, the sign-in and sign-out that bound them are logged).
    pub async fn purge_sessions(&self, idle_before_ms: i64, now_ms: i64) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM sessions WHERE last_seen_ms < $1 OR expires_ms <= $2")
            .bind(idle_before_ms)
            .bind(now_ms)
            .execute(self.pool())
            .await
            .ctx("purging sessions")?;
        Ok(r.rows_affected())
    }

    pub async fn sessions_of(&self, user_id: &str) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.pool())
            .await
            .ctx("counting sessions")?;
        Ok(row.try_get::<i64, _>("n").ctx("counting sessions")? as u64)
    }

    pub async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>, DbError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(self.pool())
            .await
            .ctx("reading an API token")?;
        row.as_ref()
            .map(decode_token)
            .transpose()
            .ctx("reading an API token")
    }

    /// A user's tokens, newest first, revoked ones included.
    pub async fn api_tokens_of(&self, user_id: &str) -> Result<Vec<ApiTokenRow>, DbError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_ms DESC, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(self.pool())
            .await
            .ctx("listing API tokens")?;
        rows.iter()
            .map(decode_token)
            .collect::<Result<_, _>>()
            .ctx("listing API tokens")
    }

    pub async fn touch_api_token(&self, id: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(self.pool())
            .await
            .ctx("touching an API token")?;
        Ok(())
    }

    pub async fn login_failures(&self, username: &str) -> Result<FailureCounter, DbError> {
        failures(&mut *self.conn().await?, username).await
    }

    /// Audit entries newest first: those with `seq < before` (or the latest), at most `limit`.
    pub async fn entries_newest_first(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let before = before.map(|s| s as i64).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("reading audit entries")?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    seq: row.try_get::<i64, _>("seq")? as u64,
                    at_ms: row.try_get("at_ms")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    body: row.try_get("body")?,
                    leaf_hash: row.try_get("leaf_hash")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("reading audit entries")
    }
}

impl Tx {
    pub async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>, DbError> {
        user_where(&mut self.inner, "username", username).await
    }

    pub async fn user_by_id(&mut self, id: &str) -> Result<Option<UserRow>, DbError> {
        user_where(&mut self.inner, "id", id).await
    }

    /// The id of the unit with this name, if any.
    pub async fn unit_id(&mut self, name: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT id FROM units WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.inner)
            .await
            .ctx("looking up a unit")?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .ctx("looking up a unit")
    }

    pub async fn insert_unit(&mut self, id: &str, name: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("INSERT INTO units (id, name, created_ms) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now_ms)
            .execute(&mut *self.inner)
            .await
            .ctx("inserting a unit")?;
        Ok(())
    }

    pub async fn department_id(
        &mut self,
        unit_id: &str,
        name: &str,
    ) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT id FROM departments WHERE unit_id = $1 AND name = $2")
            .bind(unit_id)
            .bind(name)
            .fetch_optional(&mut *self.inner)
            .await
            .ctx("looking up a department")?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .ctx("looking up a department")
    }

    pub async fn insert_department(
        &mut self,
        id: &str,
        unit_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO departments (id, unit_id, name, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(unit_id)
        .bind(name)
        .bind(now_ms)
        .execute(&mut *self.inner)
        .await
        .ctx("inserting a department")?;
        Ok(())
    }

    pub async fn insert_user(&mut self, u: &NewUserRow<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, unit_id, department_id, roles, \
             password_hash, must_change_password, disabled, totp_secret, totp_enabled, \
             totp_last_step, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, NULL, 0, NULL, $9, $9)",
        )
        .bind(u.id)
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.unit_id)
        .bind(u.department_id)
        .bind(encode_roles(u.roles))
        .bind(u.password_hash)
        .bind(i64::from(u.must_change_password))
        .bind(u.now_ms)
        .execute(&mut *self.inner)
        .await
        .ctx("inserting a user")?;
        Ok(())
    }

    pub async fn set_password(
        &mut self,
        user_id: &str,
        password_hash: &str,
        must_change: bool,
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, updated_ms = $3 \
             WHERE id = $4",
        )
        .bind(password_hash)
        .bind(i64::from(must_change))
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await
        .ctx("setting a password")?;
        Ok(())
    }

    pub async fn set_disabled(
        &mut self,
        user_id: &str,
        disabled: bool,
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET disabled = $1, updated_ms = $2 WHERE id = $3")
            .bind(i64::from(disabled))
            .bind(now_ms)
            .bind(user_id)
            .execute(&mut *self.inner)
            .await
            .ctx("disabling a user")?;
        Ok(())
    }

    /// Sets the second factor: `secret` None clears it; `enabled` false with a secret is an
    /// enrolment waiting for its first code.
    pub async fn set_totp(
        &mut self,
        user_id: &str,
        secret: Option<&str>,
        enabled: bool,
        last_step: Option<i64>,
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = $3, \
             updated_ms = $4 WHERE id = $5",
        )
        .bind(secret)
        .bind(i64::from(enabled))
        .bind(last_step)
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await
        .ctx("setting the second factor")?;
        Ok(())
    }

    /// Remembers the step of the last accepted code (replay protection).
    pub async fn set_totp_last_step(&mut self, user_id: &str, step: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2")
            .bind(step)
            .bind(user_id)
            .execute(&mut *self.inner)
            .await
            .ctx("remembering a second-factor code")?;
        Ok(())
    }

    pub async fn insert_session(&mut self, s: &SessionRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, pending_totp, created_ms, \
             last_seen_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.token_hash.as_str())
        .bind(s.user_id.as_str())
        .bind(s.csrf_token.as_str())
        .bind(i64::from(s.pending_totp))
        .bind(s.created_ms)
        .bind(s.last_seen_ms)
        .bind(s.expires_ms)
        .execute(&mut *self.inner)
        .await
        .ctx("inserting a session")?;
        Ok(())
    }

    /// Returns whether a session was removed.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<bool, DbError> {
        let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *self.inner)
            .await
            .ctx("deleting a session")?;
        Ok(r.rows_affected() > 0)
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_sessions_of(&mut self, user_id: &str) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.inner)
            .await
            .ctx("deleting a user's sessions")?;
        Ok(r.rows_affected())
    }

    pub async fn insert_api_token(&mut self, t: &ApiTokenRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_ms, last_used_ms, \
             revoked_ms) VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
        )
        .bind(t.id.as_str())
        .bind(t.user_id.as_str())
        .bind(t.name.as_str())
        .bind(t.token_hash.as_str())
        .bind(t.created_ms)
        .execute(&mut *self.inner)
        .await
        .ctx("inserting an API token")?;
        Ok(())
    }

    /// Revokes a token of a user; false when there is no such live token.
    pub async fn revoke_api_token(
        &mut self,
        id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND user_id = $3 \
             AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await
        .ctx("revoking an API token")?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn login_failures(&mut self, username: &str) -> Result<FailureCounter, DbError> {
        failures(&mut self.inner, username).await
    }

    /// Stores a failure counter; the default counter removes the row.
    pub async fn set_login_failures(
        &mut self,
        username: &str,
        c: FailureCounter,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&mut *self.inner)
            .await
            .ctx("storing sign-in failures")?;
        if c != FailureCounter::default() {
            sqlx::query(
                "INSERT INTO login_failures (username, failures, locked_until_ms) \
                 VALUES ($1, $2, $3)",
            )
            .bind(username)
            .bind(i64::from(c.failures))
            .bind(c.locked_until_ms)
            .execute(&mut *self.inner)
            .await
            .ctx("storing sign-in failures")?;
        }
        Ok(())
    }
}
