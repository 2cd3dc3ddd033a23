//! Helpers of the free-text plans of [`Db::search_records`]: the SQLite probe that sends a
//! rare term straight to plan 2, and plan 2's fetch of the page's rows by key.

use std::collections::HashMap;

use liuhen_domain::Record;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Arg, RARE_PROBE_MAX, Where, as_i64, bind};
use crate::error::QueryContext;
use crate::records::{COLUMNS, decode};
use crate::{Backend, Db, DbError};

fn key_text(k: &Arg) -> String {
    match k {
        Arg::Int(i) => i.to_string(),
        Arg::Text(t) => t.clone(),
    }
}

impl Db {
    /// The key the plans sort and fetch by: the rowid on SQLite, the id on PostgreSQL.
    pub(super) fn key(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "records.rowid",
            Backend::Postgres => "records.id",
        }
    }

    /// The key of a row that selected it `AS k`.
    pub(super) fn key_of(&self, r: &AnyRow) -> Result<Arg, DbError> {
        match self.backend {
            Backend::Sqlite => r.try_get::<i64, _>("k").map(Arg::Int),
            Backend::Postgres => r.try_get::<String, _>("k").map(Arg::Text),
        }
        .ctx("searching records")
    }

    /// SQLite: whether a free-text search is rare enough to skip plan 1. Its full-text
    /// matches over all records (a superset of the visible matches, `m`) are counted up to
    /// a threshold: plan 1 reads about need × records / m rows and gives up after
    /// `scan_rows`, plan 2 reads m rows. Below √(need × records) plan 2 reads fewer; below
    /// need × records / `scan_rows` plan 1 would likely give up. The count is capped at
    /// [`RARE_PROBE_MAX`] (counting costs ~0.2 ms per 1,000 matches).
    pub(super) async fn rare_sqlite(
        &self,
        w: &Where,
        need: u64,
        scan_rows: u64,
    ) -> Result<bool, DbError> {
        let Some((table, p)) = w.fts.first() else {
            return Ok(false);
        };
        let Some(Arg::Text(expr)) = p
            .strip_prefix('$')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| w.args.get(i - 1))
        else {
            return Ok(false);
        };
        let row = sqlx::query("SELECT max(rowid) AS n FROM records")
            .fetch_one(self.pool())
            .await
            .ctx("counting search results")?;
        let records = row
            .try_get::<Option<i64>, _>("n")
            .ctx("counting search results")?
            .unwrap_or(0)
            .max(0) as u64;
        let even = (need.saturating_mul(records) as f64).sqrt() as u64;
        let gives_up = need.saturating_mul(records) / scan_rows.max(1);
        let cap = even.max(gives_up).min(RARE_PROBE_MAX);
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT rowid FROM {table} WHERE {table} MATCH $1 LIMIT $2)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(expr.clone())
            .bind(as_i64(cap))
            .fetch_one(self.pool())
            .await
            .ctx("counting search results")?;
        let found = row.try_get::<i64, _>("n").ctx("counting search results")? as u64;
        Ok(found < cap)
    }

    /// Whole rows for `keys` (see [`Db::key`]), in the order of `keys`.
    pub(super) async fn rows_by_key(&self, keys: &[Arg]) -> Result<Vec<Record>, DbError> {
        let key = self.key();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS}, {key} AS k FROM records WHERE {key} IN ({})",
            list.join(", ")
        );
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), keys)
            .persistent(false)
            .fetch_all(self.pool())
            .await
            .ctx("searching records")?;
        let mut by_key = HashMap::with_capacity(rows.len());
        for r in &rows {
            by_key.insert(key_text(&self.key_of(r)?), decode(r).map(|(r, _)| r)?);
        }
        Ok(keys
            .iter()
            .filter_map(|k| by_key.remove(&key_text(k)))
            .collect())
    }
}
