//! What retention needs from the case tables: the cases a record is linked to (through its
//! steps) and the records of a case.

use liuhen_domain::RecordId;
use sqlx::Row;

use crate::error::QueryContext;
use crate::{Db, DbError};

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
