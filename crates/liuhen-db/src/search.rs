//! Listing and searching records (R3.2): the seven classification fields, kind, flags and
//! free text, sorted and paged, always restricted to what the caller may see.
//!
//! Free text on SQLite: terms of 3+ characters go to the FTS5 trigram index `records_fts`;
//! shorter terms use `LIKE` (trigrams cannot serve them). On PostgreSQL every term is an
//! `ILIKE '%term%'` (`LIKE` when it has no cased characters, e.g. Chinese), served by the
//! pg_trgm GIN indexes (unit first, see migrations 0010 and 0011).
//! Whitespace separates terms; all terms must match (each in any of the text columns).
//!
//! Counting stops at [`COUNT_CAP`]: beyond that the total is reported as a lower bound, so
//! a broad query never scans the whole table just to be counted.

use std::collections::HashMap;

use jiff::civil::Date;
use liuhen_domain::authz::RecordVisibility;

mod conditions;
mod plans;
mod visibility;
use conditions::{TEXT_COLUMNS, TextMode, Where};
pub(crate) use conditions::{caseless, like_pattern};
use liuhen_domain::{MediaKind, Record};
use plans::Rarity;
use sqlx::Row;

use crate::error::QueryContext;
use crate::records::{COLUMNS, decode};
use crate::{Backend, Db, DbError};

/// Counts above this are reported as "more than `COUNT_CAP`".
pub const COUNT_CAP: u64 = 1_000;
/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// What to look for. Every field is optional; set fields are combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// 执法机构, exact.
    pub agency: Option<String>,
    /// 执法记录设备, exact.
    pub device: Option<String>,
    /// 执法人员, exact.
    pub officer: Option<String>,
    /// 案件名称, contains.
    pub case_name: Option<String>,
    /// 当事人, contains.
    pub party: Option<String>,
    /// 记录日期 from / to, both inclusive.
    pub record_date_from: Option<Date>,
    pub record_date_to: Option<Date>,
    /// 存储日期: stored at or after this instant (ms) …
    pub stored_from_ms: Option<i64>,
    /// … and before this instant (ms, exclusive).
    pub stored_before_ms: Option<i64>,
    pub kind: Option<MediaKind>,
    pub late: Option<bool>,
    pub probe_error: Option<bool>,
    /// Free text over case name, party, officer and original file name.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    /// 记录日期
    #[default]
    RecordDate,
    /// 存储日期
    StoredAt,
    /// 文件大小
    Size,
    /// 原始文件名
    Name,
}

impl SortField {
    pub const ALL: [SortField; 4] = [Self::RecordDate, Self::StoredAt, Self::Size, Self::Name];

    pub fn code(self) -> &'static str {
        match self {
            Self::RecordDate => "record_date",
            Self::StoredAt => "stored_at",
            Self::Size => "size",
            Self::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }

    fn column(self) -> &'static str {
        match self {
            Self::RecordDate => "record_date",
            Self::StoredAt => "stored_at_ms",
            Self::Size => "size_bytes",
            Self::Name => "original_name",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for RecordSort {
    /// Newest recordings first.
    fn default() -> Self {
        Self {
            field: SortField::RecordDate,
            descending: true,
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage {
    pub records: Vec<Record>,
    /// Number of matching records, at most [`COUNT_CAP`].
    pub total: u64,
    /// `total` is a lower bound: more than [`COUNT_CAP`] records match.
    pub total_capped: bool,
}

pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// The first strategy for free text ([`TextMode::Scan`]) reads at most
/// 25 (SQLite) or 50 (PostgreSQL) × (offset + limit) visible, filtered records in sort
/// order (within the bounds below) before it gives up and asks the text indexes: it
/// answers terms in more than about 1/25 or 1/50 of the records. PostgreSQL's index
/// path costs more (a GIN bitmap cannot stop early and rechecks every candidate row), so
/// it scans further.
const fn scan_rows(backend: Backend, need: u64) -> u64 {
    let (per_match, min, max) = match backend {
        Backend::Sqlite => (25, 2_000, 20_000),
        Backend::Postgres => (50, 4_000, 10_000),
    };
    let k = need.saturating_mul(per_match);
    if k < min {
        min
    } else if k > max {
        max
    } else {
        k
    }
}
/// The most matches a term may have to count as rare (see `Db::rarity`); SQLite counts its
/// full-text matches up to this many.
const RARE_PROBE_MAX: u64 = 20_000;
/// Plan 1b reads at most this many sort-index entries per full-text match of a rare term
/// (and is tried when it should need half as many).
const RARE_INDEX_ENTRIES_PER_MATCH: u64 = 12;
/// PostgreSQL: visible rows read (in any order) when counting a common term, before counting
/// through the text indexes instead.
const PG_COUNT_SCAN_ROWS: u64 = 12_000;

fn capped(n: u64) -> (u64, bool) {
    (n.min(COUNT_CAP), n > COUNT_CAP)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Db {
    /// One page of the records `visibility` allows that match `filter`, in `sort` order
    /// (ties broken by id), skipping `offset` records; `limit` is capped at
    /// [`MAX_PAGE_SIZE`]. Nothing visible → an empty page without touching the table.
    ///
    /// Free text is answered by one of three plans with identical results; a probe first
    /// tells a rare term (SQLite: its full-text matches counted up to a bound; PostgreSQL:
    /// the planner's estimate). Plan 1, a common term: the visible, filtered records are
    /// read in sort order through the B-tree indexes, at most a number proportional to
    /// `offset + limit` (see `scan_rows`), and each is tested for the terms: when that
    /// yields the whole page, it is the page (the order is the final order). Plan 1b
    /// (SQLite, a rare term on an early page): the same order read from the sort index
    /// alone, each entry looked up in the set of the term's matches. Plan 2 (otherwise):
    /// the text indexes find every match, which is quick exactly because the term is rare,
    /// and those are sorted.
    pub async fn search_records(
        &self,
        visibility: &RecordVisibility,
        filter: &RecordFilter,
        sort: RecordSort,
        offset: u64,
        limit: u32,
    ) -> Result<RecordPage, DbError> {
        let empty = RecordPage {
            records: Vec::new(),
            total: 0,
            total_capped: false,
        };
        if visibility.nothing() {
            return Ok(empty);
        }
        let pruned = self.prune(visibility).await?;
        let visibility = &pruned;
        let Some(w) = self.where_clause(visibility, filter, TextMode::Index) else {
            return Ok(empty);
        };
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let dir = if sort.descending { "DESC" } else { "ASC" };
        let col = sort.field.column();
        let order = format!("{col} {dir}, id {dir}");
        if !w.has_text() {
            let page_sql = format!(
                "SELECT {COLUMNS} FROM records WHERE {} ORDER BY {order} LIMIT ${} OFFSET ${}",
                w.base_sql(),
                w.args.len() + 1,
                w.args.len() + 2
            );
            let records = self.fetch_page(page_sql, &w.args, limit, offset).await?;
            // A short first page is its own count.
            let (total, total_capped) = if offset == 0 && (records.len() as u32) < limit {
                (records.len() as u64, false)
            } else {
                let count_sql = format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM records WHERE {} LIMIT ${}) c",
                    w.base_sql(),
                    w.args.len() + 1
                );
                capped(self.count(count_sql, &w.args, COUNT_CAP + 1).await?)
            };
            return Ok(RecordPage {
                records,
                total,
                total_capped,
            });
        }
        // Plan 1: read the visible records in order, test each row, stop early.
        let need = offset + u64::from(limit);
        let scan = self
            .where_clause(visibility, filter, TextMode::Scan)
            .expect("same visibility");
        let scan_rows = scan_rows(self.backend, need);
        let rarity = if need <= scan_rows {
            self.rarity(&w, need, scan_rows).await?
        } else {
            Rarity::Rare {
                index_entries: None,
            }
        };
        if rarity == Rarity::Common {
            // The count runs alongside on another connection (a second core): it is needed
            // whenever the plan fills the page.
            let (keys, count) = tokio::try_join!(
                self.scan_in_order(&scan, &order, col, scan_rows, limit, offset),
                self.count_text(&w, &scan)
            )?;
            if let Some(keys) = keys {
                return self.page_of(&keys, count).await;
            }
        }
        // Plan 1b (SQLite): a rare term's matches as a set, the visible records in order from
        // the sort index alone. Reading an index entry costs about a fifteenth of fetching a
        // row (1M records, 郭某 page 1: 4 ms instead of 9 ms), so up to twelve entries per
        // match cost less than plan 2's one row per match.
        if let Rarity::Rare {
            index_entries: Some(bound),
        } = rarity
            && w.index_only()
            && need <= bound
        {
            let (keys, count) = tokio::try_join!(
                self.rare_in_order(&w, &order, col, bound, limit, offset),
                self.count_text(&w, &scan)
            )?;
            if let Some(keys) = keys {
                return self.page_of(&keys, count).await;
            }
        }
        // Plan 2: every match through the text indexes, counted while at it; only the keys
        // and the sort column are sorted, the page's rows are read afterwards. The inner
        // query is fenced (it has LIMIT/OFFSET, so it is planned on its own): otherwise the
        // planners read the sort index in order to "stop early", not seeing that the count
        // needs every match (PostgreSQL: 3.8 s instead of 95 ms for 郭某 over 1M records).
        let n = w.args.len();
        let fence = match self.backend {
            Backend::Sqlite => "LIMIT -1",
            Backend::Postgres => "OFFSET 0",
        };
        let key = self.key();
        let page_sql = format!(
            "SELECT k, COUNT(*) OVER () AS matches FROM \
             (SELECT {key} AS k, {col}, id FROM records WHERE {} {fence}) records \
             ORDER BY {order} LIMIT ${} OFFSET ${}",
            w.sql(),
            n + 1,
            n + 2
        );
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(page_sql)), &w.args)
            .persistent(self.backend == Backend::Sqlite)
            .bind(i64::from(limit))
            .bind(as_i64(offset))
            .fetch_all(self.pool())
            .await
            .ctx("searching records")?;
        let keys = rows
            .iter()
            .map(|r| self.key_of(r))
            .collect::<Result<Vec<_>, _>>()?;
        let records = self.rows_by_key(&keys).await?;
        let (total, total_capped) = match rows.first() {
            Some(row) => capped(
                row.try_get::<i64, _>("matches")
                    .ctx("counting search results")? as u64,
            ),
            // Past the end: no row carries the count.
            None if offset == 0 => (0, false),
            None => self.count_text(&w, &scan).await?,
        };
        Ok(RecordPage {
            records,
            total,
            total_capped,
        })
    }

    /// The page of `keys` (see [`Db::key`]) with its count.
    async fn page_of(
        &self,
        keys: &[Arg],
        (total, total_capped): (u64, bool),
    ) -> Result<RecordPage, DbError> {
        Ok(RecordPage {
            records: self.rows_by_key(keys).await?,
            total,
            total_capped,
        })
    }

    async fn fetch_page(
        &self,
        sql: String,
        args: &[Arg],
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Record>, DbError> {
        // PostgreSQL: plan each search with its actual values (a cached generic plan cannot
        // know whether a text term is rare or common, and picks badly).
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
            .persistent(self.backend == Backend::Sqlite)
            .bind(i64::from(limit))
            .bind(as_i64(offset))
            .fetch_all(self.pool())
            .await
            .ctx("searching records")?;
        rows.iter()
            .map(|r| decode(r).map(|(r, _)| r))
            .collect::<Result<Vec<_>, _>>()
    }

    /// `sql` ends with a `LIMIT $n+1` bound to `cap`; it selects `COUNT(*) AS n`.
    async fn count(&self, sql: String, args: &[Arg], cap: u64) -> Result<u64, DbError> {
        let row = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
            .persistent(self.backend == Backend::Sqlite)
            .bind(as_i64(cap))
            .fetch_one(self.pool())
            .await
            .ctx("counting search results")?;
        Ok(row.try_get::<i64, _>("n").ctx("counting search results")? as u64)
    }

    /// The number of matches of a free-text search, up to [`COUNT_CAP`] + 1, without
    /// listing a common term's every match: SQLite reads the full-text matches in rowid
    /// order and stops at the cap; PostgreSQL (whose GIN index cannot stop early) first
    /// counts over [`PG_COUNT_SCAN_ROWS`] visible rows and only then asks the index.
    async fn count_text(&self, w: &Where, scan: &Where) -> Result<(u64, bool), DbError> {
        let cap = COUNT_CAP + 1;
        if self.backend == Backend::Sqlite {
            if let Some(((table, p), rest)) = w.fts.split_first() {
                let mut cond = w.parts.clone();
                cond.extend(w.text.iter().cloned());
                for (t, q) in rest {
                    cond.push(format!(
                        "records.rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH {q})"
                    ));
                }
                let cond = if cond.is_empty() {
                    "1 = 1".to_owned()
                } else {
                    cond.join(" AND ")
                };
                // CROSS JOIN: SQLite keeps the left table outermost, so the full-text
                // matches drive and the LIMIT stops the reading.
                let sql = format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM \
                     (SELECT rowid AS rid FROM {table} WHERE {table} MATCH {p}) m \
                     CROSS JOIN records ON records.rowid = m.rid WHERE {cond} LIMIT ${}) c",
                    w.args.len() + 1
                );
                return Ok(capped(self.count(sql, &w.args, cap).await?));
            }
        } else {
            let n = scan.args.len();
            // In no particular order: the planner may read the heap sequentially.
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM (SELECT {} FROM records WHERE {} \
                 LIMIT ${}) records WHERE {} LIMIT ${}) c",
                TEXT_COLUMNS.join(", "),
                scan.base_sql(),
                n + 1,
                scan.text_sql().unwrap_or_else(|| "1 = 1".into()),
                n + 2
            );
            let row = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), &scan.args)
                .persistent(false)
                .bind(as_i64(PG_COUNT_SCAN_ROWS))
                .bind(as_i64(cap))
                .fetch_one(self.pool())
                .await
                .ctx("counting search results")?;
            let found = row.try_get::<i64, _>("n").ctx("counting search results")? as u64;
            if found >= cap {
                return Ok(capped(found));
            }
        }
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM records WHERE {} LIMIT ${}) c",
            w.sql(),
            w.args.len() + 1
        );
        Ok(capped(self.count(sql, &w.args, cap).await?))
    }

    /// Display names of user ids (actors of audit entries); unknown ids are left out.
    pub async fn display_names(&self, ids: &[String]) -> Result<HashMap<String, String>, DbError> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            let row = sqlx::query("SELECT display_name FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(self.pool())
                .await
                .ctx("reading user names")?;
            if let Some(row) = row {
                let name: String = row.try_get("display_name").ctx("reading user names")?;
                out.insert(id.clone(), name);
            }
        }
        Ok(out)
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

pub(crate) fn bind<'q>(mut q: AnyQuery<'q>, args: &[Arg]) -> AnyQuery<'q> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_codes_round_trip() {
        for f in SortField::ALL {
            assert_eq!(SortField::parse(f.code()), Some(f));
        }
        assert_eq!(SortField::parse("id; DROP TABLE records"), None);
    }
}
