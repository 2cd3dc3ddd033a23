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
    // 10: PostgreSQL only (stored doubled forms; SQLite's are in its FTS5 table).
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

/// Runs the migrations not yet applied; returns the versions applied now.
pub(crate) async fn run(db: &Db) -> Result<Vec<i64>, DbError> {
    let steps = match db.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .execute(db.pool())
    .await
    .ctx("creating schema_migrations")?;
    // Every listed migration not applied yet, in order: numbers are reserved per feature
    // branch, so a database may have 9 before 6 arrives.
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(db.pool())
        .await
        .ctx("reading the schema version")?
        .iter()
        .map(|r| r.try_get("version"))
        .collect::<Result<_, _>>()
        .ctx("reading the schema version")?;
    let mut now = Vec::new();
    for (version, sql) in steps.iter().filter(|(v, _)| !applied.contains(v)) {
        let mut tx = db.pool().begin().await.ctx("starting a migration")?;
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| DbError::Migrate {
                version: *version,
                source,
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)")
            .bind(*version)
            .bind(jiff::Timestamp::now().as_millisecond())
            .execute(&mut *tx)
            .await
            .ctx("recording a migration")?;
        tx.commit().await.ctx("committing a migration")?;
        now.push(*version);
    }
    Ok(now)
}
