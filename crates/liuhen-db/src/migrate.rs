//! Forward-only, versioned migrations, one folder per backend.

use sqlx::Row;

use crate::error::QueryContext;
use crate::{Backend, Db, DbError};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_custody.sql")),
    (2, include_str!("../migrations/sqlite/0002_accounts.sql")),
    (3, include_str!("../migrations/sqlite/0003_search.sql")),
    (4, include_str!("../migrations/sqlite/0004_uploads.sql")),
    (5, include_str!("../migrations/sqlite/0005_cases.sql")),
    (6, include_str!("../migrations/sqlite/0006_case_work.sql")),
    (7, include_str!("../migrations/sqlite/0007_access.sql")),
    (9, include_str!("../migrations/sqlite/0009_register.sql")),
    (
        11,
        include_str!("../migrations/sqlite/0011_search_cover.sql"),
    ),
    (13, include_str!("../migrations/sqlite/0013_identity.sql")),
    (
        14,
        include_str!("../migrations/sqlite/0014_token_scopes.sql"),
    ),
    (
        15,
        include_str!("../migrations/sqlite/0015_request_inbox.sql"),
    ),
    (16, include_str!("../migrations/sqlite/0016_holds.sql")),
    (17, include_str!("../migrations/sqlite/0017_disposal.sql")),
    (18, include_str!("../migrations/sqlite/0018_decisions.sql")),
    (
        19,
        include_str!("../migrations/sqlite/0019_camera_operator.sql"),
    ),
    (
        26,
        include_str!("../migrations/sqlite/0026_police_numbers.sql"),
    ),
    (
        27,
        include_str!("../migrations/sqlite/0027_record_source.sql"),
    ),
    (
        28,
        include_str!("../migrations/sqlite/0028_review_overdue_alerts.sql"),
    ),
    (31, include_str!("../migrations/sqlite/0031_numbers.sql")),
    (
        33,
        include_str!("../migrations/sqlite/0033_assessment_indexes.sql"),
    ),
    (
        35,
        include_str!("../migrations/sqlite/0035_package_scans.sql"),
    ),
    (
        36,
        include_str!("../migrations/sqlite/0036_upload_leases.sql"),
    ),
    (
        38,
        include_str!("../migrations/sqlite/0038_copy_numbers.sql"),
    ),
    (
        42,
        include_str!("../migrations/sqlite/0042_assessment_cover.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_custody.sql")),
    (2, include_str!("../migrations/postgres/0002_accounts.sql")),
    (3, include_str!("../migrations/postgres/0003_search.sql")),
    (4, include_str!("../migrations/postgres/0004_uploads.sql")),
    (5, include_str!("../migrations/postgres/0005_cases.sql")),
    (6, include_str!("../migrations/postgres/0006_case_work.sql")),
    (7, include_str!("../migrations/postgres/0007_access.sql")),
    (9, include_str!("../migrations/postgres/0009_register.sql")),
    (
        10,
        include_str!("../migrations/postgres/0010_search_pairs.sql"),
    ),
    (
        11,
        include_str!("../migrations/postgres/0011_search_text.sql"),
    ),
    (13, include_str!("../migrations/postgres/0013_identity.sql")),
    (
        14,
        include_str!("../migrations/postgres/0014_token_scopes.sql"),
    ),
    (
        15,
        include_str!("../migrations/postgres/0015_request_inbox.sql"),
    ),
    (16, include_str!("../migrations/postgres/0016_holds.sql")),
    (17, include_str!("../migrations/postgres/0017_disposal.sql")),
    (
        18,
        include_str!("../migrations/postgres/0018_decisions.sql"),
    ),
    (
        19,
        include_str!("../migrations/postgres/0019_camera_operator.sql"),
    ),
    (
        26,
        include_str!("../migrations/postgres/0026_police_numbers.sql"),
    ),
    (
        27,
        include_str!("../migrations/postgres/0027_record_source.sql"),
    ),
    (
        28,
        include_str!("../migrations/postgres/0028_review_overdue_alerts.sql"),
    ),
    (31, include_str!("../migrations/postgres/0031_numbers.sql")),
    (
        33,
        include_str!("../migrations/postgres/0033_assessment_indexes.sql"),
    ),
    (
        35,
        include_str!("../migrations/postgres/0035_package_scans.sql"),
    ),
    (
        36,
        include_str!("../migrations/postgres/0036_upload_leases.sql"),
    ),
    (
        38,
        include_str!("../migrations/postgres/0038_copy_numbers.sql"),
    ),
    (
        42,
        include_str!("../migrations/postgres/0042_assessment_cover.sql"),
    ),
];

/// Whether every listed migration has been applied (reads only; for read-only commands).
pub(crate) async fn is_current(db: &Db) -> Result<bool, DbError> {
    let steps = match db.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let Ok(rows) = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(db.pool())
        .await
    else {
        return Ok(false);
    };
    let applied: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()
        .ctx("reading the schema version")?;
    Ok(steps.iter().all(|(v, _)| applied.contains(v)))
}

/// What a connect may migrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Every listed migration not yet applied (`liuhen migrate`).
    All,
    /// An empty database gets its whole schema (the first start of a new data directory
    /// needs no extra command); a database with a schema that is behind is refused, naming
    /// `liuhen migrate` (issue 14: migrations are an explicit act, after a backup).
    OnlyEmpty,
}

/// Runs the migrations not yet applied under a lock, so that two processes opening one
/// database at once never both migrate: PostgreSQL `pg_advisory_lock(119200197141870)` (ASCII "liuhen") on one connection
/// held throughout; SQLite one `BEGIN IMMEDIATE` transaction (its own write lock; the other
/// waits up to its busy timeout). Returns the versions applied now.
pub(crate) async fn run(db: &Db, plan: Plan) -> Result<Vec<i64>, DbError> {
    let steps = match db.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut conn = db.pool().acquire().await.ctx("connecting to migrate")?;
    let lock = match db.backend {
        Backend::Postgres => "SELECT pg_advisory_lock(119200197141870)",
        Backend::Sqlite => "BEGIN IMMEDIATE",
    };
    sqlx::raw_sql(lock)
        .execute(&mut *conn)
        .await
        .ctx("taking the migration lock")?;
    let result = apply(db.backend, &mut conn, steps, plan).await;
    let release = match (db.backend, result.is_ok()) {
        (Backend::Postgres, _) => "SELECT pg_advisory_unlock(119200197141870)",
        (Backend::Sqlite, true) => "COMMIT",
        (Backend::Sqlite, false) => "ROLLBACK",
    };
    let released = sqlx::raw_sql(release).execute(&mut *conn).await;
    if released.is_err() {
        // Never back into the pool holding the lock or a transaction.
        let _ = conn.close().await;
    }
    let now = result?;
    released.ctx("releasing the migration lock")?;
    Ok(now)
}

async fn apply(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    steps: &[(i64, &'static str)],
    plan: Plan,
) -> Result<Vec<i64>, DbError> {
    use sqlx::Connection as _;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .ctx("creating schema_migrations")?;
    // Every listed migration not applied yet, in order: numbers are reserved per feature
    // branch, so a database may have 9 before 6 arrives.
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await
        .ctx("reading the schema version")?
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()
        .ctx("reading the schema version")?;
    let missing: Vec<i64> = steps
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| !applied.contains(v))
        .collect();
    if plan == Plan::OnlyEmpty && !applied.is_empty() && !missing.is_empty() {
        return Err(DbError::SchemaBehind { missing });
    }
    let mut now = Vec::new();
    for (version, sql) in steps.iter().filter(|(v, _)| !applied.contains(v)) {
        let failed = |source| DbError::Migrate {
            version: *version,
            source,
        };
        let record = "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)";
        let at = jiff::Timestamp::now().as_millisecond();
        match backend {
            // Already inside the one IMMEDIATE transaction.
            Backend::Sqlite => {
                sqlx::raw_sql(*sql)
                    .execute(&mut *conn)
                    .await
                    .map_err(failed)?;
                sqlx::query(record)
                    .bind(*version)
                    .bind(at)
                    .execute(&mut *conn)
                    .await
                    .ctx("recording a migration")?;
            }
            Backend::Postgres => {
                let mut tx = conn.begin().await.ctx("starting a migration")?;
                sqlx::raw_sql(*sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed)?;
                sqlx::query(record)
                    .bind(*version)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .ctx("recording a migration")?;
                tx.commit().await.ctx("committing a migration")?;
            }
        }
        now.push(*version);
    }
    Ok(now)
}
