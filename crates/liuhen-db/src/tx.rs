use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Any;
use sqlx::pool::PoolConnection;

use crate::DbError;
use crate::error::QueryContext;
use crate::health::WriteHealth;

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back, the
/// audit entries included.
///
/// The transaction is driven by plain `BEGIN` / `COMMIT` / `ROLLBACK` statements on a
/// connection this `Tx` owns, not by sqlx's nesting counter: after a failed `COMMIT`
/// (SQLITE_FULL, an I/O error) SQLite may already have rolled back, the `ROLLBACK` sqlx
/// then sends fails, its counter stays at one, and the pooled connection's next
/// "transaction" became a savepoint inside a transaction that was never committed: writes
/// acknowledged and lost, the write lock held for ever (issue 16). Here a connection whose
/// `COMMIT` or `ROLLBACK` failed, or whose transaction was abandoned, is closed, never
/// returned to the pool.
pub struct Tx {
    conn: Option<PoolConnection<Any>>,
    pub(crate) log_size: u64,
    pub(crate) last_leaf: [u8; 32],
    pub(crate) appended: bool,
    commits: Arc<AtomicU64>,
    pub(crate) health: WriteHealth,
}

impl Tx {
    pub(crate) async fn begin(
        pool: &sqlx::AnyPool,
        commits: Arc<AtomicU64>,
        health: WriteHealth,
    ) -> Result<Tx, DbError> {
        let mut conn = pool.acquire().await.ctx("starting a transaction")?;
        if let Err(e) = sqlx::raw_sql("BEGIN").execute(&mut *conn).await {
            conn.close_on_drop();
            return Err(health.failed(e, "starting a transaction"));
        }
        let mut tx = Tx {
            conn: Some(conn),
            log_size: 0,
            last_leaf: [0; 32],
            appended: false,
            commits,
            health,
        };
        // One statement takes the lock and reads the head (RETURNING: SQLite ≥ 3.35, PG).
        let row =
            sqlx::query("UPDATE log_head SET size = size WHERE id = 1 RETURNING size, last_leaf")
                .fetch_one(tx.conn())
                .await
                .map_err(|e| tx.health.failed(e, "locking the log head"))?;
        (tx.log_size, tx.last_leaf) = crate::audit::decode_head(&row)?;
        Ok(tx)
    }

    /// The connection, inside the transaction (for the statements of this crate).
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        self.conn
            .as_mut()
            .expect("a Tx keeps its connection until it ends")
    }

    /// Size of the log including the entries appended in this transaction.
    pub fn log_size(&self) -> u64 {
        self.log_size
    }

    /// Commits durably (SQLite `synchronous = FULL`, PostgreSQL's default) and only then
    /// returns `Ok`. On any failure the transaction is rolled back (or was already) and its
    /// connection closed; the error says whether the disk is full or failing.
    pub async fn commit(mut self) -> Result<(), DbError> {
        let result = self.finish().await;
        match &result {
            Ok(()) => {
                self.commits.fetch_add(1, Ordering::Release);
                self.health.succeeded();
            }
            Err(_) => {
                if let Some(mut conn) = self.conn.take() {
                    // Best effort: closing the connection rolls back whatever is left.
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    let _ = conn.close().await;
                }
            }
        }
        result
    }

    async fn finish(&mut self) -> Result<(), DbError> {
        if self.appended {
            let (size, leaf) = (self.log_size as i64, self.last_leaf);
            let advanced =
                sqlx::query("UPDATE log_head SET size = $1, last_leaf = $2 WHERE id = 1")
                    .bind(size)
                    .bind(&leaf[..])
                    .execute(self.conn())
                    .await;
            if let Err(e) = advanced {
                return Err(self.health.failed(e, "advancing the log head"));
            }
        }
        let committed = sqlx::raw_sql("COMMIT").execute(self.conn()).await;
        match committed {
            Ok(_) => {
                // Back to the pool: no transaction is open on it any more.
                self.conn.take();
                Ok(())
            }
            Err(e) => Err(self.health.failed(e, "committing")),
        }
    }

    /// Rolls back and returns the connection to the pool (closed instead if the rollback
    /// fails). Dropping a `Tx` also rolls back, by closing its connection.
    pub async fn rollback(mut self) -> Result<(), DbError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = conn.close().await;
                Err(e).ctx("rolling back")
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            // Abandoned (an error, a cancelled request): whatever state the transaction is
            // in, a closed connection has none. The pool opens a fresh one when needed.
            conn.close_on_drop();
        }
    }
}
