//! Identity by account (issue 10.1): which accounts of a unit a name may mean, and the
//! rows whose officer or team member maps to no account yet (for a person to resolve).

use sqlx::Row;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

/// A record whose officer is named but maps to no account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedRecord {
    pub record_id: String,
    pub agency: Option<String>,
    pub officer: String,
}

/// The account a police number (警号) belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliceAccount {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub unit: Option<String>,
    pub police_number: String,
}

const POLICE_SELECT: &str = "SELECT u.id, u.username, u.display_name, n.name AS unit_name, \
    u.police_number FROM users u LEFT JOIN units n ON n.id = u.unit_id";

fn decode_police(r: &sqlx::any::AnyRow) -> Result<PoliceAccount, DbError> {
    let c = "decoding a police number";
    Ok(PoliceAccount {
        user_id: r.try_get("id").ctx(c)?,
        username: r.try_get("username").ctx(c)?,
        display_name: r.try_get("display_name").ctx(c)?,
        unit: r.try_get("unit_name").ctx(c)?,
        police_number: r.try_get("police_number").ctx(c)?,
    })
}

/// A case team member without an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedMember {
    pub case_id: String,
    pub case_number: String,
    pub agency: String,
    pub position: i64,
    pub officer: String,
}

impl Db {
    /// The account carrying the police number `number` (unique in the bureau), if any.
    pub async fn account_by_police(&self, number: &str) -> Result<Option<PoliceAccount>, DbError> {
        let sql = format!("{POLICE_SELECT} WHERE u.police_number = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_optional(self.pool())
            .await
            .ctx("finding an account by police number")?;
        row.as_ref().map(decode_police).transpose()
    }

    /// Every account's police number, by user id.
    pub async fn police_numbers(&self) -> Result<Vec<PoliceAccount>, DbError> {
        let sql = format!("{POLICE_SELECT} WHERE u.police_number IS NOT NULL ORDER BY u.username");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .ctx("listing police numbers")?;
        rows.iter().map(decode_police).collect()
    }

    /// Ids of the accounts of the unit named `unit` whose user name or display name is
    /// `name` (several: the name is ambiguous; none: unmapped).
    pub async fn accounts_named(&self, unit: &str, name: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT u.id FROM users u JOIN units n ON n.id = u.unit_id \
             WHERE n.name = $1 AND (u.username = $2 OR u.display_name = $2) ORDER BY u.id",
        )
        .bind(unit)
        .bind(name)
        .fetch_all(self.pool())
        .await
        .ctx("finding accounts by name")?;
        rows.iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()
            .ctx("finding accounts by name")
    }

    /// Whether the account `user_id` belongs to the unit named `unit`.
    pub async fn account_in_unit(&self, user_id: &str, unit: &str) -> Result<bool, DbError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM users u JOIN units n ON n.id = u.unit_id \
             WHERE u.id = $1 AND n.name = $2",
        )
        .bind(user_id)
        .bind(unit)
        .fetch_optional(self.pool())
        .await
        .ctx("checking an account's unit")?;
        Ok(row.is_some())
    }

    /// Records naming an officer that maps to no account, oldest first.
    pub async fn unmapped_records(&self, limit: u32) -> Result<Vec<UnmappedRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT id, agency, officer FROM records \
             WHERE officer IS NOT NULL AND officer <> '' AND officer_id IS NULL \
             ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("listing unmapped records")?;
        let c = "decoding unmapped records";
        rows.iter()
            .map(|r| {
                Ok(UnmappedRecord {
                    record_id: r.try_get("id").ctx(c)?,
                    agency: r.try_get("agency").ctx(c)?,
                    officer: r.try_get("officer").ctx(c)?,
                })
            })
            .collect()
    }

    /// Case team members without an account.
    pub async fn unmapped_members(&self, limit: u32) -> Result<Vec<UnmappedMember>, DbError> {
        let rows = sqlx::query(
            "SELECT t.case_id, c.number, c.agency, t.position, t.officer FROM case_team t \
             JOIN cases c ON c.id = t.case_id WHERE t.user_id IS NULL \
             ORDER BY t.case_id, t.position LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("listing unmapped team members")?;
        let c = "decoding unmapped team members";
        rows.iter()
            .map(|r| {
                Ok(UnmappedMember {
                    case_id: r.try_get("case_id").ctx(c)?,
                    case_number: r.try_get("number").ctx(c)?,
                    agency: r.try_get("agency").ctx(c)?,
                    position: r.try_get("position").ctx(c)?,
                    officer: r.try_get("officer").ctx(c)?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// The user id carrying `number`, read in the transaction (uniqueness check).
    pub async fn police_holder(&mut self, number: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT id FROM users WHERE police_number = $1")
            .bind(number)
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "finding a police number's holder")?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .in_tx(&self.health, "finding a police number's holder")
    }

    /// The police number of `user_id` as it is in the transaction.
    pub async fn police_number_of(&mut self, user_id: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT police_number FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "reading a police number")?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("police_number"))
            .transpose()
            .in_tx(&self.health, "reading a police number")?
            .flatten())
    }

    /// Sets (or clears) the police number of an account.
    pub async fn set_police_number(
        &mut self,
        user_id: &str,
        number: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE users SET police_number = $1, updated_ms = $2 WHERE id = $3")
                .bind(number)
                .bind(now_ms)
                .bind(user_id)
                .execute(self.conn())
                .await
                .in_tx(&self.health, "setting a police number")?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the account of the team member at `position` of a case.
    pub async fn set_member_account(
        &mut self,
        case_id: &str,
        position: i64,
        user_id: &str,
    ) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE case_team SET user_id = $1 WHERE case_id = $2 AND position = $3")
                .bind(user_id)
                .bind(case_id)
                .bind(position)
                .execute(self.conn())
                .await
                .in_tx(&self.health, "setting a team member's account")?;
        Ok(done.rows_affected() == 1)
    }
}
