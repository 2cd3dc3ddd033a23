use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Any, Transaction};

use crate::DbError;
use crate::error::QueryContext;

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back, the
/// audit entries included.
pub struct Tx {
    pub(crate) inner: Transaction<'static, Any>,
    pub(crate) log_size: u64,
    pub(crate) last_leaf: [u8; 32],
    pub(crate) appended: bool,
    commits: Arc<AtomicU64>,
}

impl Tx {
    pub(crate) async fn begin(
        pool: &sqlx::AnyPool,
        commits: Arc<AtomicU64>,
    ) -> Result<Tx, DbError> {
        let mut inner = pool.begin().await.ctx("starting a transaction")?;
        // One statement takes the lock and reads the head (RETURNING: SQLite ≥ 3.35, PG).
        let row =
            sqlx::query("UPDATE log_head SET size = size WHERE id = 1 RETURNING size, last_leaf")
                .fetch_one(&mut *inner)
                .await
                .ctx("locking the log head")?;
        let (log_size, last_leaf) = crate::audit::decode_head(&row)?;
        Ok(Tx {
            inner,
            log_size,
            last_leaf,
            appended: false,
            commits,
        })
    }

    /// Size of the log including the entries appended in this transaction.
    pub fn log_size(&self) -> u64 {
        self.log_size
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        if self.appended {
            sqlx::query("UPDATE log_head SET size = $1, last_leaf = $2 WHERE id = 1")
                .bind(self.log_size as i64)
                .bind(&self.last_leaf[..])
                .execute(&mut *self.inner)
                .await
                .ctx("advancing the log head")?;
        }
        self.inner.commit().await.ctx("committing")?;
        self.commits.fetch_add(1, Ordering::Release);
        Ok(())
    }
}
