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
pub mod canonical;
mod case_search;
mod cases;
mod checkpoints;
mod decisions;
mod disposal;
mod error;
mod health;
mod holds;
mod identity;
mod migrate;
mod numbers;
mod package_scans;
mod records;
mod register;
mod retention;
mod reviews;
mod search;
mod sources;
mod supervision;
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
pub use decisions::{DecisionRow, QualificationRow, RoundRow};
pub use disposal::{DisposalDecisionRow, DisposalItemRow, DisposalListRow, TombstoneRow};
pub use error::{DbError, StorageFault};
pub use health::WriteFault;
pub use holds::HoldRow;
pub use identity::{PoliceAccount, UnmappedMember, UnmappedRecord};
pub use package_scans::PackageScanRow;
pub use records::{RecordSnapshot, record_row_hash, record_snapshot};
pub use register::{
    AlertAck, ApprovalRow as RegisterApprovalRow, FeeReceipt, GrantRow as RegisterGrantRow,
    ProjectionBatch, RegisterFilter, RegisterRow,
};
pub use reviews::ReviewRow;
pub use search::{COUNT_CAP, MAX_PAGE_SIZE, RecordFilter, RecordPage, RecordSort, SortField};
pub use supervision::{CaseEvidence, LinkedFacts, RecordTallyRow};
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
    /// Whether the last write failed because the disk is full or failing.
    health: health::WriteHealth,
    /// SQLite only, fault injection: [`Db::cap_pages`].
    page_cap: Arc<AtomicU64>,
    /// SQLite: the first connection, kept open (idle, no transaction) while the store is
    /// open, so that SQLite's -wal and -shm files stay in place even when every pooled
    /// connection has been closed after failed writes: on a full disk a new connection
    /// could not create them again.
    anchor: Arc<tokio::sync::Mutex<Option<sqlx::AnyConnection>>>,
    /// Migrations applied by this connect (see [`Db::migrated_now`]).
    migrated_now: Arc<[i64]>,
}

/// SQLite memory-mapped reads, up to the size SQLite builds allow by default (~2 GiB; the
/// mapping shares the OS page cache, it is not memory of each connection). The store is
/// written only through SQLite (WAL mode), which keeps the mapping coherent.
const SQLITE_MMAP: &str = "PRAGMA mmap_size = 2147418112";

/// Every SQLite connection: WAL; FULL: an acknowledged ingest survives power loss, not
/// just a crash.
const SQLITE_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";

/// Syncs the directory of a SQLite database once its WAL file exists (the pool's anchor
/// connection keeps it from being deleted while the store is open): the names of the
/// database and its WAL are durable before any commit is acknowledged. SQLite syncs that
/// directory too, on each connection's first commit, but ignores a failure there; this
/// sync's failure is an error.
fn sync_sqlite_dir(url: &str) -> std::io::Result<()> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

impl Db {
    /// Connects to `sqlite://PATH?mode=rwc` or `postgres://…`. An empty database gets the
    /// whole schema (under the migration lock, so two first opens at once both succeed);
    /// one whose schema is behind is refused ([`DbError::SchemaBehind`]: `liuhen migrate`).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Self::connect_with_plan(url, migrate::Plan::OnlyEmpty).await
    }

    /// Connects and applies every migration not yet applied, under the migration lock
    /// (`liuhen migrate`).
    pub async fn connect_migrating(url: &str) -> Result<Db, DbError> {
        Self::connect_with_plan(url, migrate::Plan::All).await
    }

    async fn connect_with_plan(url: &str, plan: migrate::Plan) -> Result<Db, DbError> {
        let db = Self::open_pool(url).await?;
        let now = match migrate::run(&db, plan).await {
            Ok(now) => now,
            Err(e) => {
                db.close().await;
                return Err(e);
            }
        };
        if let Err(e) = sync_sqlite_dir(url) {
            db.close().await;
            return Err(DbError::connect(redact(url), sqlx::Error::Io(e)));
        }
        Ok(Db {
            migrated_now: now.into(),
            ..db
        })
    }

    /// Connects to an existing store whose schema is current, writing nothing: no file
    /// created, no migration run (`verify` and the other read-only commands).
    pub async fn connect_existing(url: &str) -> Result<Db, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if !std::path::Path::new(path).is_file() {
                return Err(DbError::NotCurrent(redact(url)));
            }
        }
        let db = Self::open_pool(url).await?;
        if !migrate::is_current(&db).await? {
            db.close().await;
            return Err(DbError::NotCurrent(redact(url)));
        }
        Ok(db)
    }

    async fn open_pool(url: &str) -> Result<Db, DbError> {
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
        // One connection first, outside the pool: the pool retries a failing connection
        // until its acquire timeout and then reports only "pool timed out" (a full disk
        // made the CLI wait 60 s); this says at once what is wrong.
        let mut probe = <sqlx::AnyConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(|e| DbError::connect(redact(url), e))?;
        if backend == Backend::Sqlite {
            probe
                .execute(SQLITE_SETUP)
                .await
                .map_err(|e| DbError::connect(redact(url), e))?;
        }
        let anchor = if backend == Backend::Sqlite {
            Some(probe)
        } else {
            let _ = sqlx::Connection::close(probe).await;
            None
        };
        let page_cap = Arc::new(AtomicU64::new(0));
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(60));
        if backend == Backend::Sqlite {
            let cap = page_cap.clone();
            pool = pool.before_acquire(move |conn, _| {
                let cap = cap.load(Ordering::Acquire);
                Box::pin(async move {
                    if cap != 0 {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "PRAGMA max_page_count = {cap}"
                        )))
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(true)
                })
            });
            let cap = page_cap.clone();
            pool = pool.after_connect(move |conn, _| {
                let cap = cap.load(Ordering::Acquire);
                Box::pin(async move {
                    if cap != 0 {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "PRAGMA max_page_count = {cap}"
                        )))
                        .execute(&mut *conn)
                        .await?;
                    }
                    conn.execute(SQLITE_SETUP).await?;
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
            health: health::WriteHealth::default(),
            page_cap,
            anchor: Arc::new(tokio::sync::Mutex::new(anchor)),
            migrated_now: Arc::new([]),
        };
        Ok(db)
    }

    /// Whether migration `version` was applied by this connect (a one-time data step that
    /// follows it, such as mapping names to accounts after 0013, runs then).
    pub fn migrated_now(&self, version: i64) -> bool {
        self.migrated_now.contains(&version)
    }

    /// SQLite: a consistent copy of the whole database into the new file `path`, taken
    /// online (`VACUUM INTO`; writers go on). PostgreSQL has `pg_dump` for this: refused.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> Result<(), DbError> {
        if self.backend != Backend::Sqlite {
            return Err(DbError::UnsupportedUrl(
                "VACUUM INTO is SQLite's; back PostgreSQL up with pg_dump".into(),
            ));
        }
        let target = path.to_string_lossy().replace('\'', "''");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
            .execute(&self.pool)
            .await
            .ctx("copying the database (VACUUM INTO)")?;
        Ok(())
    }

    /// The migrations applied by this connect, in order.
    pub fn migrations_applied(&self) -> &[i64] {
        &self.migrated_now
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

    /// Fault injection for tests (SQLite; PostgreSQL: nothing): caps the database file at
    /// `pages` pages (`PRAGMA max_page_count`, applied to every connection as it is next
    /// used), so writes that need a new page fail with SQLITE_FULL as on a full disk.
    /// A cap below the current size is the current size. Returns the page count now.
    pub async fn cap_pages(&self, pages: u64) -> Result<u64, DbError> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        self.page_cap.store(pages.max(1), Ordering::Release);
        let row = sqlx::query("PRAGMA page_count")
            .fetch_one(&self.pool)
            .await
            .ctx("reading the page count")?;
        Ok(sqlx::Row::try_get::<i64, _>(&row, 0).ctx("reading the page count")? as u64)
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
        Tx::begin(&self.pool, self.commits.clone(), self.health.clone()).await
    }

    /// How many transactions this process has committed so far. Every change that can
    /// matter to access (sessions, tokens, users, records, grants) is made in a [`Tx`].
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// The storage fault that made the last write fail, until a write commits again
    /// (`None`: writes succeed). For health checks.
    pub fn write_fault(&self) -> Option<WriteFault> {
        self.health.current()
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(anchor) = self.anchor.lock().await.take() {
            let _ = sqlx::Connection::close(anchor).await;
        }
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
