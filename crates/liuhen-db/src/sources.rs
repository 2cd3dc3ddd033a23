//! Ingest sources: which source file (by path, size and modification time) became which
//! record, so that a rerun after a crash skips the files already in custody.

use sqlx::Row;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

impl Db {
    pub async fn source_record(&self, source_key: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT record_id FROM ingest_sources WHERE source_key = $1")
            .bind(source_key)
            .fetch_optional(self.pool())
            .await
            .ctx("looking up an ingest source")?;
        row.map(|r| r.try_get::<String, _>("record_id"))
            .transpose()
            .ctx("looking up an ingest source")
    }
}

impl Tx {
    pub async fn remember_source(
        &mut self,
        source_key: &str,
        record_id: &str,
        at_ms: i64,
    ) -> Result<(), DbError> {
        // A source seen again (same path, size, mtime) keeps its first record.
        sqlx::query(
            "INSERT INTO ingest_sources (source_key, record_id, at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (source_key) DO NOTHING",
        )
        .bind(source_key)
        .bind(record_id)
        .bind(at_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "remembering an ingest source")?;
        Ok(())
    }
}
