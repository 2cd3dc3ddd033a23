//! What retention needs from the case tables: the cases a record is linked to (through its
//! steps), the places of those steps, and the records of a case.

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
