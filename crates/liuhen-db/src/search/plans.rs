//! Helpers of the free-text plans of [`Db::search_records`]: the SQLite probe that sends a
//! rare term straight to plan 2, and plan 2's fetch of the page's rows by key.

use std::collections::HashMap;

use liuhen_domain::Record;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Arg, RARE_INDEX_ENTRIES_PER_MATCH, RARE_PROBE_MAX, TEXT_COLUMNS, Where, as_i64, bind};
use crate::error::QueryContext;
use crate::records::{COLUMNS, decode};
use crate::{Backend, Db, DbError};

fn key_text(k: &Arg) -> String {
    match k {
        Arg::Int(i) => i.to_string(),
        Arg::Text(t) => t.clone(),
    }
}

/// How [`Db::page_in_order`] reads: the columns the filter needs (besides the key), the
/// filter, the order and the most rows read.
struct Read<'a> {
    cols: &'a str,
    filter: &'a str,
    order: &'a str,
    bound: u64,
}

/// What the probe found out about a free-text search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rarity {
    /// Plan 1 will likely fill the page soon.
    Common,
    /// Plan 1 would read too far. On SQLite, when the matches are not too few for it, plan
    /// 1b may read this many sort-index entries.
    Rare { index_entries: Option<u64> },
}

/// The `rows=N` estimate of a PostgreSQL plan line, e.g.
/// `Bitmap Heap Scan on records  (cost=388.07..9349.41 rows=2611 width=4)`.
fn plan_rows(line: &str) -> Option<u64> {
    let rest = &line[line.find(" rows=")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
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

    /// Whether a free-text search is rare enough to skip plan 1 and go to the text indexes
    /// directly. Either way the results are the same; this only picks the quicker plan.
    pub(super) async fn rarity(
        &self,
        w: &Where,
        need: u64,
        scan_rows: u64,
    ) -> Result<Rarity, DbError> {
        match self.backend {
            Backend::Sqlite => self.rare_sqlite(w, need, scan_rows).await,
            Backend::Postgres => Ok(if self.rare_postgres(w, need, scan_rows).await? {
                Rarity::Rare {
                    index_entries: None,
                }
            } else {
                Rarity::Common
            }),
        }
    }

    /// Plan 1: the visible, filtered records in sort order, at most `scan_rows` of them, each
    /// tested for the terms (`scan` is in [`TextMode::Scan`](super::TextMode)). Only the key,
    /// sort and text columns are read: SQLite answers the default order from its index
    /// alone (migration 0011).
    pub(super) async fn scan_in_order(
        &self,
        scan: &Where,
        order: &str,
        col: &str,
        scan_rows: u64,
        limit: u32,
        offset: u64,
    ) -> Result<Option<Vec<Arg>>, DbError> {
        let mut cols = vec!["id", col];
        cols.extend(TEXT_COLUMNS.iter().filter(|c| **c != col));
        let filter = scan.text_sql().unwrap_or_else(|| "1 = 1".into());
        let read = Read {
            cols: &cols.join(", "),
            filter: &filter,
            order,
            bound: scan_rows,
        };
        self.page_in_order(scan, read, limit, offset).await
    }

    /// SQLite, a rare term (plan 1b): the visible records in sort order read from the sort
    /// index alone (unit or officer, sort key, id and rowid: no row is read), each kept when
    /// its rowid is among the term's full-text matches, at most `bound` of them. Only for
    /// searches whose every condition the sort index holds (see `Where::index_only`).
    pub(super) async fn rare_in_order(
        &self,
        w: &Where,
        order: &str,
        col: &str,
        bound: u64,
        limit: u32,
        offset: u64,
    ) -> Result<Option<Vec<Arg>>, DbError> {
        let sets: Vec<String> = w
            .fts
            .iter()
            .map(|(t, p)| format!("k IN (SELECT rowid FROM {t} WHERE {t} MATCH {p})"))
            .collect();
        let read = Read {
            cols: &format!("{col}, id"),
            filter: &sets.join(" AND "),
            order,
            bound,
        };
        self.page_in_order(w, read, limit, offset).await
    }

    /// The keys of one page: `w`'s visible, filtered records read in `order`, at most
    /// `bound` of them, those meeting `filter` kept. `None` when the bound came first. The
    /// bounded read is planned lazily (SQLite: a co-routine; PostgreSQL: a Limit under the
    /// filter), so it stops as soon as the page is full.
    async fn page_in_order(
        &self,
        w: &Where,
        read: Read<'_>,
        limit: u32,
        offset: u64,
    ) -> Result<Option<Vec<Arg>>, DbError> {
        let n = w.args.len();
        let Read {
            cols,
            filter,
            order,
            bound,
        } = read;
        let key = self.key();
        let sql = format!(
            "SELECT k FROM (SELECT {key} AS k, {cols} FROM records WHERE {} \
             ORDER BY {order} LIMIT ${}) records WHERE {filter} \
             ORDER BY {order} LIMIT ${} OFFSET ${}",
            w.base_sql(),
            n + 1,
            n + 2,
            n + 3
        );
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), &w.args)
            .persistent(self.backend == Backend::Sqlite)
            .bind(as_i64(bound))
            .bind(i64::from(limit))
            .bind(as_i64(offset))
            .fetch_all(self.pool())
            .await
            .ctx("searching records")?;
        if rows.len() < limit as usize {
            return Ok(None);
        }
        rows.iter()
            .map(|r| self.key_of(r))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// PostgreSQL: the same decision as [`Db::rare_sqlite`] on the planner's estimates of
    /// the visible records and of their matches (a GIN index cannot count and stop early;
    /// asking the planner costs a planning, about a millisecond). Plan 1 reads about
    /// need × visible / matches rows and plan 2 fetches every match.
    async fn rare_postgres(&self, w: &Where, need: u64, scan_rows: u64) -> Result<bool, DbError> {
        let visible = self.estimate(&w.base_sql(), &w.args).await?;
        let matches = self.estimate(&w.sql(), &w.args).await?;
        let even = (need.saturating_mul(visible) as f64).sqrt() as u64;
        let gives_up = need.saturating_mul(visible) / scan_rows.max(1);
        Ok(matches < even.max(gives_up).min(RARE_PROBE_MAX))
    }

    /// PostgreSQL: the planner's estimate of the rows of `records` meeting `cond`.
    async fn estimate(&self, cond: &str, args: &[Arg]) -> Result<u64, DbError> {
        let sql = format!("EXPLAIN SELECT 1 FROM records WHERE {cond}");
        let row = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
            .persistent(false)
            .fetch_one(self.pool())
            .await
            .ctx("estimating search results")?;
        let line: String = row.try_get(0).ctx("estimating search results")?;
        Ok(plan_rows(&line).unwrap_or(u64::MAX))
    }

    /// SQLite: whether a free-text search is rare enough to skip plan 1. Its full-text
    /// matches over all records (a superset of the visible matches, `m`) are counted up to
    /// a threshold: plan 1 reads about need × records / m rows and gives up after
    /// `scan_rows`, plan 2 reads m rows. Below √(need × records) plan 2 reads fewer; below
    /// need × records / `scan_rows` plan 1 would likely give up. The count is capped at
    /// [`RARE_PROBE_MAX`] (counting costs ~0.2 ms per 1,000 matches).
    async fn rare_sqlite(&self, w: &Where, need: u64, scan_rows: u64) -> Result<Rarity, DbError> {
        let Some((table, p)) = w.fts.first() else {
            return Ok(Rarity::Common);
        };
        let Some(Arg::Text(expr)) = p
            .strip_prefix('$')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| w.args.get(i - 1))
        else {
            return Ok(Rarity::Common);
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
        if found >= cap {
            return Ok(Rarity::Common);
        }
        // Plan 1b reads about need × records / matches index entries (the visible share of
        // the matches taken as the visible share of the records); worth it while that is
        // within a few times the matches plan 2 would fetch, allowed twice as far.
        let expected = need.saturating_mul(records) / found.max(1);
        let worth = expected <= found.saturating_mul(RARE_INDEX_ENTRIES_PER_MATCH / 2);
        Ok(Rarity::Rare {
            index_entries: worth.then(|| found.saturating_mul(RARE_INDEX_ENTRIES_PER_MATCH)),
        })
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

#[cfg(test)]
mod tests {
    use super::plan_rows;

    #[test]
    fn plan_row_estimates() {
        assert_eq!(
            plan_rows("Bitmap Heap Scan on records  (cost=388.07..9349.41 rows=2611 width=4)"),
            Some(2611)
        );
        assert_eq!(
            plan_rows("Result  (cost=0.00..0.01 rows=1 width=4)"),
            Some(1)
        );
        assert_eq!(plan_rows("Seq Scan on records"), None);
    }
}
