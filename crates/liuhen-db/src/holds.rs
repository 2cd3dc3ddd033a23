//! Preservation holds (R3.7): placed on `record:<id>` or `case:<id>`, lifted (never
//! deleted) with a reason and its approver.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub id: String,
    /// `record:<id>` or `case:<id>`.
    pub target: String,
    pub ground: String,
    pub note: String,
    pub placed_ms: i64,
    pub placed_by: String,
    pub lifted_ms: Option<i64>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

impl HoldRow {
    pub fn in_force(&self) -> bool {
        self.lifted_ms.is_none()
    }
}

const COLUMNS: &str =
    "id, target, ground, note, placed_ms, placed_by, lifted_ms, lifted_by, lift_reason";

fn decode(r: &AnyRow) -> Result<HoldRow, DbError> {
    let c = "decoding a hold";
    Ok(HoldRow {
        id: r.try_get("id").ctx(c)?,
        target: r.try_get("target").ctx(c)?,
        ground: r.try_get("ground").ctx(c)?,
        note: r.try_get("note").ctx(c)?,
        placed_ms: r.try_get("placed_ms").ctx(c)?,
        placed_by: r.try_get("placed_by").ctx(c)?,
        lifted_ms: r.try_get::<Option<i64>, _>("lifted_ms").ctx(c)?,
        lifted_by: r.try_get::<Option<String>, _>("lifted_by").ctx(c)?,
        lift_reason: r.try_get::<Option<String>, _>("lift_reason").ctx(c)?,
    })
}

impl Tx {
    pub async fn insert_hold(&mut self, h: &HoldRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO holds (id, target, ground, note, placed_ms, placed_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(h.id.as_str())
        .bind(h.target.as_str())
        .bind(h.ground.as_str())
        .bind(h.note.as_str())
        .bind(h.placed_ms)
        .bind(h.placed_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "placing a hold")?;
        Ok(())
    }

    /// Lifts a hold still in force; `false` when there is none such.
    pub async fn lift_hold(
        &mut self,
        id: &str,
        at_ms: i64,
        by: &str,
        reason: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE holds SET lifted_ms = $2, lifted_by = $3, lift_reason = $4 \
             WHERE id = $1 AND lifted_ms IS NULL",
        )
        .bind(id)
        .bind(at_ms)
        .bind(by)
        .bind(reason)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "lifting a hold")?;
        Ok(done.rows_affected() > 0)
    }
}

impl Db {
    pub async fn hold(&self, id: &str) -> Result<Option<HoldRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM holds WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a hold")?;
        row.as_ref().map(decode).transpose()
    }

    /// Every hold (in force or lifted) on any of `targets`, oldest first.
    pub async fn holds_on(&self, targets: &[String]) -> Result<Vec<HoldRow>, DbError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=targets.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM holds WHERE target IN ({}) ORDER BY placed_ms, id",
            marks.join(", ")
        );
        // Only placeholders and a constant column list are formatted in.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in targets {
            q = q.bind(t.as_str());
        }
        let rows = q.fetch_all(self.pool()).await.ctx("reading holds")?;
        rows.iter().map(decode).collect()
    }

    /// Every hold, by id (for `verify`).
    pub async fn all_holds(&self) -> Result<Vec<HoldRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM holds ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading holds")?;
        rows.iter().map(decode).collect()
    }
}
