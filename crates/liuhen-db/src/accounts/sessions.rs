//! Sessions (only the SHA-256 of each token is stored), API tokens and sign-in failure
//! counters.

use liuhen_domain::auth::FailureCounter;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

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
    /// Comma-separated scope codes (`read`, `upload`, `write`).
    pub scopes: String,
    /// When the token stops working (`None` only for rows read before migration 0014).
    pub expires_ms: Option<i64>,
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
        scopes: row.try_get("scopes")?,
        expires_ms: row.try_get("expires_ms")?,
    })
}

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

const TOKEN_COLUMNS: &str =
    "id, user_id, name, token_hash, created_ms, last_used_ms, revoked_ms, scopes, expires_ms";

impl Db {
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

    /// Whether any failure counter whose key starts with `prefix` is locked at `now_ms`
    /// (a user name locked from some client address).
    pub async fn login_locked_under(&self, prefix: &str, now_ms: i64) -> Result<bool, DbError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM login_failures \
             WHERE substr(username, 1, CAST($1 AS INTEGER)) = $2 AND locked_until_ms > $3",
        )
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .bind(now_ms)
        .fetch_one(&mut *self.conn().await?)
        .await
        .ctx("reading sign-in locks")?;
        Ok(row.try_get::<i64, _>("n").ctx("reading sign-in locks")? > 0)
    }
}

impl Tx {
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting a session")?;
        Ok(())
    }

    /// Returns whether a session was removed.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<bool, DbError> {
        let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "deleting a session")?;
        Ok(r.rows_affected() > 0)
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_sessions_of(&mut self, user_id: &str) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "deleting a user's sessions")?;
        Ok(r.rows_affected())
    }

    pub async fn insert_api_token(&mut self, t: &ApiTokenRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_ms, last_used_ms, \
             revoked_ms, scopes, expires_ms) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, $7)",
        )
        .bind(t.id.as_str())
        .bind(t.user_id.as_str())
        .bind(t.name.as_str())
        .bind(t.token_hash.as_str())
        .bind(t.created_ms)
        .bind(t.scopes.as_str())
        .bind(t.expires_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting an API token")?;
        Ok(())
    }

    /// Revokes every live token of a user (password changed, account disabled); returns how
    /// many.
    pub async fn revoke_api_tokens_of(
        &mut self,
        user_id: &str,
        now_ms: i64,
    ) -> Result<u64, DbError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE user_id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user_id)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "revoking API tokens")?;
        Ok(r.rows_affected())
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "revoking an API token")?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn login_failures(&mut self, username: &str) -> Result<FailureCounter, DbError> {
        failures(self.conn(), username).await
    }

    /// Removes every failure counter whose key is `key` or starts with `prefix`.
    pub async fn clear_login_failures(&mut self, key: &str, prefix: &str) -> Result<(), DbError> {
        sqlx::query(
            "DELETE FROM login_failures \
             WHERE username = $1 OR substr(username, 1, CAST($2 AS INTEGER)) = $3",
        )
        .bind(key)
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "clearing sign-in failures")?;
        Ok(())
    }

    /// Stores a failure counter; the default counter removes the row.
    pub async fn set_login_failures(
        &mut self,
        username: &str,
        c: FailureCounter,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "storing sign-in failures")?;
        if c != FailureCounter::default() {
            sqlx::query(
                "INSERT INTO login_failures (username, failures, locked_until_ms) \
                 VALUES ($1, $2, $3)",
            )
            .bind(username)
            .bind(i64::from(c.failures))
            .bind(c.locked_until_ms)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "storing sign-in failures")?;
        }
        Ok(())
    }
}
