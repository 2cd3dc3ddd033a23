//! The reviewer sheet of a record (R2.3, R2.4): the current tick per item. Every tick is
//! also an audit entry, written in the same transaction.

use jiff::Timestamp;
use liuhen_domain::RecordId;
use liuhen_domain::review::{ReviewItem, ReviewVerdict};
use sqlx::Row;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub record_id: RecordId,
    pub item: ReviewItem,
    pub verdict: ReviewVerdict,
    pub note: String,
    pub reviewed_by: String,
    pub reviewed_at: Timestamp,
}

impl Tx {
    /// Stores a tick, replacing the earlier one of the same record and item.
    pub async fn put_review(&mut self, r: &ReviewRow) -> Result<(), DbError> {
        sqlx::query("DELETE FROM record_reviews WHERE record_id = $1 AND item = $2")
            .bind(r.record_id.as_str())
            .bind(r.item.code())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "replacing a review tick")?;
        sqlx::query(
            "INSERT INTO record_reviews (record_id, item, verdict, note, reviewed_by, reviewed_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.record_id.as_str())
        .bind(r.item.code())
        .bind(r.verdict.code())
        .bind(r.note.as_str())
        .bind(r.reviewed_by.as_str())
        .bind(r.reviewed_at.as_millisecond())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "storing a review tick")?;
        Ok(())
    }
}

impl Db {
    /// The ticks of a record's reviewer sheet, in the order of the sheet.
    pub async fn reviews(&self, record_id: &RecordId) -> Result<Vec<ReviewRow>, DbError> {
        let rows = sqlx::query(
            "SELECT item, verdict, note, reviewed_by, reviewed_ms FROM record_reviews \
             WHERE record_id = $1",
        )
        .bind(record_id.as_str())
        .fetch_all(self.pool())
        .await
        .ctx("reading a reviewer sheet")?;
        let corrupt = |detail: String| DbError::Corrupt {
            what: format!("reviewer sheet of {record_id}"),
            detail,
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = "decoding a review tick";
            let item: String = r.try_get("item").ctx(c)?;
            let verdict: String = r.try_get("verdict").ctx(c)?;
            let ms: i64 = r.try_get("reviewed_ms").ctx(c)?;
            out.push(ReviewRow {
                record_id: record_id.clone(),
                item: ReviewItem::from_code(&item),
                verdict: verdict.parse().map_err(|e| corrupt(format!("{e}")))?,
                note: r.try_get("note").ctx(c)?,
                reviewed_by: r.try_get("reviewed_by").ctx(c)?,
                reviewed_at: Timestamp::from_millisecond(ms).map_err(|e| corrupt(e.to_string()))?,
            });
        }
        out.sort_by(|a, b| a.item.cmp(&b.item));
        Ok(out)
    }
}

impl Db {
    /// Every tick of every reviewer sheet (for `verify`), in record and item order.
    pub async fn all_reviews(&self) -> Result<Vec<ReviewRow>, DbError> {
        let rows = sqlx::query("SELECT DISTINCT record_id FROM record_reviews ORDER BY record_id")
            .fetch_all(self.pool())
            .await
            .ctx("listing reviewer sheets")?;
        let mut out = Vec::new();
        for r in &rows {
            let id: String = r.try_get("record_id").ctx("listing reviewer sheets")?;
            let id = RecordId::parse(&id).map_err(|e| DbError::Corrupt {
                what: format!("reviewer sheet of {id}"),
                detail: e.to_string(),
            })?;
            out.extend(self.reviews(&id).await?);
        }
        Ok(out)
    }
}
