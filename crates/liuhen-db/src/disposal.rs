//! Disposal lists (销毁清册, R6.3), their decisions and the tombstones of what they deleted.
//! Rows are never deleted; a list's status moves pending → approved | rejected → executed.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisposalListRow {
    pub id: String,
    pub drafted_ms: i64,
    pub drafted_by: String,
    pub note: String,
    /// Role codes, comma-separated, in order.
    pub chain: String,
    pub status: String,
    pub executed_ms: Option<i64>,
    pub executed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisposalItemRow {
    pub list_id: String,
    pub record_id: String,
    pub appraisal: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisposalDecisionRow {
    pub list_id: String,
    pub step: i64,
    pub role: String,
    pub approver_id: String,
    pub decision: String,
    pub reason: String,
    pub decided_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TombstoneRow {
    pub record_id: String,
    pub list_id: String,
    pub sha256: String,
    pub sm3: String,
    pub size_bytes: i64,
    /// JSON array of the derivative blobs' SHA-256 deleted with the original.
    pub derivatives: String,
    /// JSON array of the list's decisions (step, role, approver, reason, time).
    pub approvals: String,
    pub executed_ms: i64,
    pub executed_by: String,
}

const LIST_COLUMNS: &str =
    "id, drafted_ms, drafted_by, note, chain, status, executed_ms, executed_by";
const TOMB_COLUMNS: &str =
    "record_id, list_id, sha256, sm3, size_bytes, derivatives, approvals, executed_ms, executed_by";

fn decode_list(r: &AnyRow) -> Result<DisposalListRow, DbError> {
    let c = "decoding a disposal list";
    Ok(DisposalListRow {
        id: r.try_get("id").ctx(c)?,
        drafted_ms: r.try_get("drafted_ms").ctx(c)?,
        drafted_by: r.try_get("drafted_by").ctx(c)?,
        note: r.try_get("note").ctx(c)?,
        chain: r.try_get("chain").ctx(c)?,
        status: r.try_get("status").ctx(c)?,
        executed_ms: r.try_get::<Option<i64>, _>("executed_ms").ctx(c)?,
        executed_by: r.try_get::<Option<String>, _>("executed_by").ctx(c)?,
    })
}

fn decode_tomb(r: &AnyRow) -> Result<TombstoneRow, DbError> {
    let c = "decoding a tombstone";
    Ok(TombstoneRow {
        record_id: r.try_get("record_id").ctx(c)?,
        list_id: r.try_get("list_id").ctx(c)?,
        sha256: r.try_get("sha256").ctx(c)?,
        sm3: r.try_get("sm3").ctx(c)?,
        size_bytes: r.try_get("size_bytes").ctx(c)?,
        derivatives: r.try_get("derivatives").ctx(c)?,
        approvals: r.try_get("approvals").ctx(c)?,
        executed_ms: r.try_get("executed_ms").ctx(c)?,
        executed_by: r.try_get("executed_by").ctx(c)?,
    })
}

impl Tx {
    pub async fn insert_disposal_list(
        &mut self,
        l: &DisposalListRow,
        items: &[DisposalItemRow],
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO disposal_lists (id, drafted_ms, drafted_by, note, chain, status) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(l.id.as_str())
        .bind(l.drafted_ms)
        .bind(l.drafted_by.as_str())
        .bind(l.note.as_str())
        .bind(l.chain.as_str())
        .bind(l.status.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "drawing up a disposal list")?;
        for i in items {
            sqlx::query(
                "INSERT INTO disposal_items (list_id, record_id, appraisal) VALUES ($1, $2, $3)",
            )
            .bind(i.list_id.as_str())
            .bind(i.record_id.as_str())
            .bind(i.appraisal.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "listing a record for disposal")?;
        }
        Ok(())
    }

    /// Records a decision and moves the list from `pending` to `status`; `false` when the
    /// list is no longer pending or the step was decided meanwhile.
    pub async fn decide_disposal_step(
        &mut self,
        d: &DisposalDecisionRow,
        status: &str,
    ) -> Result<bool, DbError> {
        let moved = sqlx::query(
            "UPDATE disposal_lists SET status = $2 WHERE id = $1 AND status = 'pending'",
        )
        .bind(d.list_id.as_str())
        .bind(status)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "deciding a disposal list")?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO disposal_decisions (list_id, step, role, approver_id, decision, reason, decided_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.list_id.as_str())
        .bind(d.step)
        .bind(d.role.as_str())
        .bind(d.approver_id.as_str())
        .bind(d.decision.as_str())
        .bind(d.reason.as_str())
        .bind(d.decided_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "recording a disposal decision")?;
        Ok(true)
    }

    /// Marks an approved list executed; `false` when it was not `approved` any more.
    pub async fn mark_disposal_executed(
        &mut self,
        id: &str,
        at_ms: i64,
        by: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE disposal_lists SET status = 'executed', executed_ms = $2, executed_by = $3 \
             WHERE id = $1 AND status = 'approved'",
        )
        .bind(id)
        .bind(at_ms)
        .bind(by)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "executing a disposal list")?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_tombstone(&mut self, t: &TombstoneRow) -> Result<(), DbError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tombstones ({TOMB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(t.record_id.as_str())
        .bind(t.list_id.as_str())
        .bind(t.sha256.as_str())
        .bind(t.sm3.as_str())
        .bind(t.size_bytes)
        .bind(t.derivatives.as_str())
        .bind(t.approvals.as_str())
        .bind(t.executed_ms)
        .bind(t.executed_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "keeping a tombstone")?;
        Ok(())
    }
}

impl Db {
    pub async fn disposal_list(&self, id: &str) -> Result<Option<DisposalListRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST_COLUMNS} FROM disposal_lists WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a disposal list")?;
        row.as_ref().map(decode_list).transpose()
    }

    /// Every disposal list, newest first.
    pub async fn disposal_lists(&self) -> Result<Vec<DisposalListRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST_COLUMNS} FROM disposal_lists ORDER BY drafted_ms DESC, id DESC"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading disposal lists")?;
        rows.iter().map(decode_list).collect()
    }

    pub async fn disposal_items(&self, list: &str) -> Result<Vec<DisposalItemRow>, DbError> {
        self.items_where(Some(list)).await
    }

    /// Every item of every list, by list and record (for `verify`).
    pub async fn all_disposal_items(&self) -> Result<Vec<DisposalItemRow>, DbError> {
        self.items_where(None).await
    }

    async fn items_where(&self, list: Option<&str>) -> Result<Vec<DisposalItemRow>, DbError> {
        let sql = match list {
            Some(_) => {
                "SELECT list_id, record_id, appraisal FROM disposal_items WHERE list_id = $1 \
                 ORDER BY record_id"
            }
            None => {
                "SELECT list_id, record_id, appraisal FROM disposal_items ORDER BY list_id, record_id"
            }
        };
        let mut q = sqlx::query(sql);
        if let Some(list) = list {
            q = q.bind(list);
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("reading a disposal list's items")?;
        let c = "decoding a disposal item";
        rows.iter()
            .map(|r| {
                Ok(DisposalItemRow {
                    list_id: r.try_get("list_id").ctx(c)?,
                    record_id: r.try_get("record_id").ctx(c)?,
                    appraisal: r.try_get("appraisal").ctx(c)?,
                })
            })
            .collect()
    }

    pub async fn disposal_decisions(
        &self,
        list: &str,
    ) -> Result<Vec<DisposalDecisionRow>, DbError> {
        self.decisions_where(Some(list)).await
    }

    /// Every decision of every list, by list and step (for `verify`).
    pub async fn all_disposal_decisions(&self) -> Result<Vec<DisposalDecisionRow>, DbError> {
        self.decisions_where(None).await
    }

    async fn decisions_where(
        &self,
        list: Option<&str>,
    ) -> Result<Vec<DisposalDecisionRow>, DbError> {
        let sql = match list {
            Some(_) => {
                "SELECT list_id, step, role, approver_id, decision, reason, decided_ms \
                 FROM disposal_decisions WHERE list_id = $1 ORDER BY step"
            }
            None => {
                "SELECT list_id, step, role, approver_id, decision, reason, decided_ms \
                 FROM disposal_decisions ORDER BY list_id, step"
            }
        };
        let mut q = sqlx::query(sql);
        if let Some(list) = list {
            q = q.bind(list);
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("reading a disposal list's decisions")?;
        let c = "decoding a disposal decision";
        rows.iter()
            .map(|r| {
                Ok(DisposalDecisionRow {
                    list_id: r.try_get("list_id").ctx(c)?,
                    step: r.try_get("step").ctx(c)?,
                    role: r.try_get("role").ctx(c)?,
                    approver_id: r.try_get("approver_id").ctx(c)?,
                    decision: r.try_get("decision").ctx(c)?,
                    reason: r.try_get("reason").ctx(c)?,
                    decided_ms: r.try_get("decided_ms").ctx(c)?,
                })
            })
            .collect()
    }

    pub async fn tombstone(&self, record: &str) -> Result<Option<TombstoneRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOMB_COLUMNS} FROM tombstones WHERE record_id = $1"
        )))
        .bind(record)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a tombstone")?;
        row.as_ref().map(decode_tomb).transpose()
    }

    /// Every tombstone, by record id (for `verify`).
    pub async fn tombstones(&self) -> Result<Vec<TombstoneRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOMB_COLUMNS} FROM tombstones ORDER BY record_id"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading tombstones")?;
        rows.iter().map(decode_tomb).collect()
    }

    /// The derivative blobs made from an original (proxy, thumbnail), as SHA-256 hex.
    pub async fn derivative_blobs_of(&self, original_sha256: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT derivative_sha256 AS sha FROM derivatives \
             WHERE original_sha256 = $1 AND derivative_sha256 IS NOT NULL ORDER BY kind",
        )
        .bind(original_sha256)
        .fetch_all(self.pool())
        .await
        .ctx("listing the derivatives of an original")?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("sha"))
            .collect::<Result<_, _>>()
            .ctx("listing the derivatives of an original")
    }
}
