//! Throwaway PostgreSQL databases for tests and benchmarks (feature `testing`): UTF-8 with
//! `C.UTF-8` collation, so the trigram indexes see Chinese text.

use sqlx::Connection;

use crate::DbError;
use crate::error::QueryContext;

/// Creates an empty database named `name` next to the one `admin` points at; returns its URL.
pub async fn create_pg_database(admin: &str, name: &str) -> Result<String, DbError> {
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .map_err(|e| DbError::connect(admin.to_owned(), e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )))
    .execute(&mut conn)
    .await
    .ctx("creating a test database")?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    Ok(format!("{base}/{name}"))
}

/// Drops a database made by [`create_pg_database`]; best effort (clean-up only).
pub async fn drop_pg_database(admin: &str, name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// Overwrites one log entry's body and leaf hash, as an attacker with database access
/// would (tamper tests only).
pub async fn rewrite_entry(
    db: &crate::Db,
    seq: u64,
    body: &str,
    leaf_hash: &[u8],
) -> Result<(), DbError> {
    sqlx::query("UPDATE audit_entries SET body = $1, leaf_hash = $2 WHERE seq = $3")
        .bind(body.to_owned())
        .bind(leaf_hash.to_vec())
        .bind(seq as i64)
        .execute(db.pool())
        .await
        .ctx("rewriting a log entry")?;
    Ok(())
}
