//! The metadata store of liuhen: records, the audit log, checkpoints and ingest sources,
//! over SQLite (default, one file, WAL) and PostgreSQL through one code path (sqlx `Any`,
//! `$n` placeholders, integers for times). Each backend has its own migration folder; the
//! conformance suite in `tests/it` runs against both.
//!
//! This crate knows nothing about HTTP, blobs or media files. Write transactions are
//! [`Tx`]; the application layer appends the audit entry in the same `Tx` as the change.

mod access;
mod accounts;
mod audit;
mod case_search;
mod cases;
mod checkpoints;
mod error;
mod holds;
mod identity;
mod migrate;
mod records;
mod register;
mod retention;
mod reviews;
mod search;
mod sources;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod uploads;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::QueryContext;

pub use access::{
    ApprovalRow, CopyRow, GrantRow, LoanRow, PaperRow, RecordCase, RequestQuery, RequestRow,
    VisitRow,
};
pub use accounts::{
    ApiTokenRow, DepartmentRow, NewUserRow, SessionRow, UnitRow, UserRow, decode_roles,
    encode_roles,
};
pub use audit::{AuditEntry, EntryBody, NewEntry};
pub use case_search::{CaseFilter, CasePage, FlagColumn};
pub use cases::{CaseRow, ExplanationRow, PartyRow, StepRecordRow, StepRow};
pub use checkpoints::StoredCheckpoint;
pub use error::DbError;
pub use holds::HoldRow;
pub use identity::{UnmappedMember, UnmappedRecord};
pub use records::{record_row_hash, record_snapshot};
pub use register::{
    AlertAck, ApprovalRow as RegisterApprovalRow, FeeReceipt, GrantRow as RegisterGrantRow,
    ProjectionBatch, RegisterFilter, RegisterRow,
};
pub use reviews::ReviewRow;
pub use search::{COUNT_CAP, MAX_PAGE_SIZE, RecordFilter, RecordPage, RecordSort, SortField};
pub use tx::Tx;
pub use uploads::{DerivativeRow, UploadRow, UploadState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Transactions committed through this handle (and its clones): lets a reader cache
    /// what it read and notice any change this process made since.
    commits: Arc<AtomicU64>,
    /// Migrations applied by this connect (see [`Db::migrated_now`]).
    migrated_now: Arc<[i64]>,
}

/// SQLite memory-mapped reads, up to the size SQLite builds allow by default (~2 GiB; the
/// mapping shares the OS page cache, it is not memory of each connection). The store is
/// written only through SQLite (WAL mode), which keeps the mapping coherent.
const SQLITE_MMAP: &str = "PRAGMA mmap_size = 2147418112";

impl Db {
    /// Connects to `sqlite://PATH?mode=rwc` or `postgres://…` and migrates forward.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(redact(url)));
        };
        let options: AnyConnectOptions =
            url.parse().map_err(|e| DbError::connect(redact(url), e))?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(60));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // FULL: an acknowledged ingest survives power loss, not just a crash.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    // Reads through the OS page cache without a syscall per page.
                    conn.execute(SQLITE_MMAP).await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .map_err(|e| DbError::connect(redact(url), e))?;
        let db = Db {
            pool,
            backend,
            commits: Arc::default(),
            migrated_now: Arc::new([]),
        };
        let now = migrate::run(&db).await?;
        Ok(Db {
            migrated_now: now.into(),
            ..db
        })
    }

    /// Whether migration `version` was applied by this connect (a one-time data step that
    /// follows it, such as mapping names to accounts after 0013, runs then).
    pub fn migrated_now(&self, version: i64) -> bool {
        self.migrated_now.contains(&version)
    }

    /// Refreshes the SQLite query planner's statistics where they are missing or stale
    /// (a table grown or shrunk tenfold since it was last analysed), sampling at most
    /// about 1,000 rows per index, so it costs milliseconds even at millions of records.
    /// Worth running after large ingests. PostgreSQL: nothing (autovacuum analyses).
    ///
    /// Not run at connect: statistics taken while `records` is empty made every later
    /// insert about five times slower (measured: 20,000 records in 25 s instead of 5 s,
    /// and worse as the table grew), until the next analysis.
    pub async fn optimize(&self) -> Result<(), DbError> {
        if self.backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                .execute(&self.pool)
                .await
                .ctx("refreshing planner statistics")?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. Its first statement takes the log head row, so writers
    /// are serialised (SQLite takes its write lock at once instead of failing to upgrade).
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Tx::begin(&self.pool, self.commits.clone()).await
    }

    /// How many transactions this process has committed so far. Every change that can
    /// matter to access (sessions, tokens, users, records, grants) is made in a [`Tx`].
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((head, tail)) => match head.rsplit_once(':') {
            Some((user, _)) if user.contains("//") => format!("{user}:***@{tail}"),
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
