//! Human numbers (文号, issue 18): per-unit, per-kind, per-year sequences, advanced in the
//! writer's transaction. The upsert is one atomic statement on both backends, so two
//! allocations never get the same number even outside the log-head lock.

use sqlx::Row;

use crate::error::{InTx, QueryContext};
use crate::{DbError, Tx};

impl Tx {
    /// The next number of `scope` for `unit` in `year` (1 for the first).
    pub async fn next_number(
        &mut self,
        unit: &str,
        scope: &str,
        year: i16,
    ) -> Result<i64, DbError> {
        let row = sqlx::query(
            "INSERT INTO number_sequences (unit, scope, year, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (unit, scope, year) DO UPDATE SET last = number_sequences.last + 1 \
             RETURNING last",
        )
        .bind(unit)
        .bind(scope)
        .bind(i64::from(year))
        .fetch_one(self.conn())
        .await
        .in_tx(&self.health, "allocating a number")?;
        row.try_get::<i64, _>("last").ctx("decoding a number")
    }
}
