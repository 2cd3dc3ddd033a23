//! What retention needs from the case tables: the cases a record is linked to (through its
//! steps), the places of those steps, and the records of a case; and the set reads and
//! writes of a recomputation over many records (a case may hold 10,000): rows and links in
//! a few queries, retain-until written 500 rows per statement.

use jiff::Timestamp;
use liuhen_domain::{Record, RecordId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx, records};

impl Db {
    /// Ids of the cases `record` is linked to (through any of their steps), sorted.
    pub async fn cases_of_record(&self, record: &RecordId) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT DISTINCT s.case_id AS case_id FROM step_records sr \
             JOIN steps s ON s.id = sr.step_id WHERE sr.record_id = $1 ORDER BY s.case_id",
        )
        .bind(record.as_str())
        .fetch_all(self.pool())
        .await
        .ctx("reading the cases of a record")?;
        rows.iter()
            .map(|r| r.try_get("case_id").ctx("decoding a case id"))
            .collect()
    }

    /// The places of the steps `record` is linked to, in the steps' time order, each once
    /// (the disc-burn form's 摄录地点, R3.6).
    pub async fn step_places_of_record(&self, record: &RecordId) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT s.place AS place FROM step_records sr JOIN steps s ON s.id = sr.step_id \
             WHERE sr.record_id = $1 ORDER BY s.window_start_ms, s.id",
        )
        .bind(record.as_str())
        .fetch_all(self.pool())
        .await
        .ctx("reading the places of a record's steps")?;
        let mut out: Vec<String> = Vec::new();
        for r in &rows {
            let place: String = r.try_get("place").ctx("decoding a step's place")?;
            let place = place.trim().to_owned();
            if !place.is_empty() && !out.contains(&place) {
                out.push(place);
            }
        }
        Ok(out)
    }

    /// Ids of the records linked to any step of `case`, sorted.
    pub async fn records_of_case(&self, case: &str) -> Result<Vec<RecordId>, DbError> {
        let rows = sqlx::query(
            "SELECT DISTINCT sr.record_id AS record_id FROM step_records sr \
             JOIN steps s ON s.id = sr.step_id WHERE s.case_id = $1 ORDER BY sr.record_id",
        )
        .bind(case)
        .fetch_all(self.pool())
        .await
        .ctx("reading the records of a case")?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("record_id").ctx("decoding a record id")?;
                RecordId::parse(&id).map_err(|e| DbError::Corrupt {
                    what: format!("link of record {id}"),
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

/// Ids per statement in the set reads and writes below (well under SQLite's and
/// PostgreSQL's parameter limits).
const CHUNK: usize = 500;

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode_links(rows: &[AnyRow]) -> Result<Vec<(RecordId, String)>, DbError> {
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("record_id").ctx("decoding a link")?;
            let case: String = r.try_get("case_id").ctx("decoding a link")?;
            let id = RecordId::parse(&id).map_err(|e| DbError::Corrupt {
                what: format!("link of record {id}"),
                detail: e.to_string(),
            })?;
            Ok((id, case))
        })
        .collect()
}

impl Db {
    /// The rows of every record linked to any step of `case` (with the entry bound to
    /// each), in id order: one query, for the case's retention recomputation.
    pub async fn records_of_case_rows(&self, case: &str) -> Result<Vec<(Record, u64)>, DbError> {
        let sql = format!(
            "SELECT {} FROM records WHERE id IN (SELECT sr.record_id FROM step_records sr \
             JOIN steps s ON s.id = sr.step_id WHERE s.case_id = $1) ORDER BY id",
            records::COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case)
            .fetch_all(self.pool())
            .await
            .ctx("reading the records of a case")?;
        rows.iter().map(records::decode).collect()
    }

    /// Every (record, case) link of the records linked to `case`, the other cases of those
    /// records included: one query.
    pub async fn case_links_of_case_records(
        &self,
        case: &str,
    ) -> Result<Vec<(RecordId, String)>, DbError> {
        let rows = sqlx::query(
            "SELECT DISTINCT sr.record_id AS record_id, s.case_id AS case_id FROM step_records sr \
             JOIN steps s ON s.id = sr.step_id WHERE sr.record_id IN (SELECT sr2.record_id \
             FROM step_records sr2 JOIN steps s2 ON s2.id = sr2.step_id WHERE s2.case_id = $1) \
             ORDER BY sr.record_id, s.case_id",
        )
        .bind(case)
        .fetch_all(self.pool())
        .await
        .ctx("reading the cases of a case's records")?;
        decode_links(&rows)
    }

    /// Every (record, case) link of `records`, sorted: one query per 500 records.
    pub async fn case_links_of_records(
        &self,
        records: &[RecordId],
    ) -> Result<Vec<(RecordId, String)>, DbError> {
        let mut out = Vec::new();
        for chunk in records.chunks(CHUNK) {
            let sql = format!(
                "SELECT DISTINCT sr.record_id AS record_id, s.case_id AS case_id \
                 FROM step_records sr JOIN steps s ON s.id = sr.step_id \
                 WHERE sr.record_id IN ({}) ORDER BY sr.record_id, s.case_id",
                placeholders(1, chunk.len())
            );
            // Only placeholders are formatted in.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            let rows = q
                .fetch_all(self.pool())
                .await
                .ctx("reading the cases of records")?;
            out.extend(decode_links(&rows)?);
        }
        Ok(out)
    }
}

impl Tx {
    /// The current rows of `ids` inside this transaction (absent ids left out), one query
    /// per 500 ids.
    pub async fn records_by_ids(
        &mut self,
        ids: &[RecordId],
    ) -> Result<Vec<(Record, u64)>, DbError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {} FROM records WHERE id IN ({})",
                records::COLUMNS,
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            let rows = q
                .fetch_all(self.conn())
                .await
                .in_tx(&self.health, "reading records")?;
            for row in &rows {
                out.push(records::decode(row)?);
            }
        }
        Ok(out)
    }

    /// Sets the retain-until of each record and rebinds it to its entry, 500 rows per
    /// statement. Only these two columns change (the search triggers, which watch the text
    /// columns, do not fire); every other column must already be as the entry's snapshot
    /// says (the caller read the rows in this transaction).
    pub async fn set_retain_until_many(
        &mut self,
        rows: &[(RecordId, Timestamp, u64)],
    ) -> Result<(), DbError> {
        for chunk in rows.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = 3 * i + 1;
                    format!("(${}, ${}, ${})", b, b + 1, b + 2)
                })
                .collect();
            let sql = format!(
                "WITH v (id, until_ms, seq) AS (VALUES {}) UPDATE records \
                 SET retain_until_ms = v.until_ms, entry_seq = v.seq FROM v WHERE records.id = v.id",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, until, seq) in chunk {
                q = q
                    .bind(id.as_str().to_owned())
                    .bind(until.as_millisecond())
                    .bind(*seq as i64);
            }
            let done = q
                .execute(self.conn())
                .await
                .in_tx(&self.health, "extending records' retention")?;
            if done.rows_affected() != chunk.len() as u64 {
                return Err(DbError::Corrupt {
                    what: "records".into(),
                    detail: format!(
                        "{} of {} rows to extend were found",
                        done.rows_affected(),
                        chunk.len()
                    ),
                });
            }
        }
        Ok(())
    }
}
