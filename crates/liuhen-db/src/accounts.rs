//! Accounts: units (执法机构) and departments, users, sessions, API tokens and the sign-in
//! failure counters. Secrets are stored hashed (sessions and API tokens: SHA-256 of a
//! random token; passwords: argon2id, hashed by the caller). Times are i64 milliseconds,
//! booleans integers. Writes happen in a [`Tx`], next to their audit entry. Sessions,
//! API tokens and failure counters are in [`sessions`].

mod sessions;

use liuhen_domain::Role;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::{InTx, QueryContext};
use crate::{AuditEntry, Db, DbError, Tx};

pub use sessions::{ApiTokenRow, SessionRow};

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
        user_where(self.conn(), "username", username).await
    }

    pub async fn user_by_id(&mut self, id: &str) -> Result<Option<UserRow>, DbError> {
        user_where(self.conn(), "id", id).await
    }

    /// The id of the unit with this name, if any.
    pub async fn unit_id(&mut self, name: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT id FROM units WHERE name = $1")
            .bind(name)
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "looking up a unit")?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .ctx("looking up a unit")
    }

    pub async fn insert_unit(&mut self, id: &str, name: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("INSERT INTO units (id, name, created_ms) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now_ms)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a unit")?;
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
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "looking up a department")?;
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting a department")?;
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting a user")?;
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "setting a password")?;
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
            .execute(self.conn())
            .await
            .in_tx(&self.health, "disabling a user")?;
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
        .execute(self.conn())
        .await
        .in_tx(&self.health, "setting the second factor")?;
        Ok(())
    }

    /// Remembers the step of the last accepted code (replay protection).
    pub async fn set_totp_last_step(&mut self, user_id: &str, step: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2")
            .bind(step)
            .bind(user_id)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "remembering a second-factor code")?;
        Ok(())
    }
}
