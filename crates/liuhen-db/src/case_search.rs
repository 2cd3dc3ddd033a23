//! Listing and searching cases: number, name, party, category, status, flags, department
//! and team officer, newest first, paged, always restricted to what the caller may see.

use liuhen_domain::authz::CaseVisibility;
use liuhen_domain::case::{CaseCategory, CaseStatus};
use sqlx::Row;

use crate::cases::{CASE_COLUMNS, decode_case};
use crate::error::QueryContext;
use crate::search::{caseless, like_pattern};
use crate::{Backend, CaseRow, Db, DbError, MAX_PAGE_SIZE};

/// A flag column of `cases`, by the flag's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagColumn(&'static str);

impl FlagColumn {
    /// The column of a flag code (`major_hazard`, `disputed`, `hearing`,
    /// `enforced_execution`, `complex`, `major_penalty`).
    pub fn of(code: &str) -> Option<Self> {
        let col = match code {
            "major_hazard" => "flag_major_hazard",
            "disputed" => "flag_disputed",
            "hearing" => "flag_hearing",
            "enforced_execution" => "flag_enforced",
            "complex" => "flag_complex",
            "major_penalty" => "flag_major_penalty",
            _ => return None,
        };
        Some(Self(col))
    }
}

/// What to look for; set fields are combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Contained in the number, the name or a party's name or code.
    pub text: Option<String>,
    pub category: Option<CaseCategory>,
    pub status: Option<CaseStatus>,
    /// Cases with this flag set.
    pub flag: Option<FlagColumn>,
    /// 办案部门, exact.
    pub department: Option<String>,
    /// A member of the team, exact.
    pub officer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    pub cases: Vec<CaseRow>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl CasePage {
    pub fn pages(&self) -> u32 {
        let size = u64::from(self.page_size.max(1));
        u32::try_from(self.total.div_ceil(size)).unwrap_or(u32::MAX)
    }
}

/// A WHERE clause with its parameters, numbered as they are added.
struct Where {
    parts: Vec<String>,
    params: Vec<String>,
}

impl Where {
    fn param(&mut self, v: impl Into<String>) -> String {
        self.params.push(v.into());
        format!("${}", self.params.len())
    }
}

impl Db {
    /// One page (1-based) of the cases `vis` allows that match `f`, newest first.
    pub async fn search_cases(
        &self,
        vis: &CaseVisibility,
        f: &CaseFilter,
        page: u32,
        page_size: u32,
    ) -> Result<CasePage, DbError> {
        let page = page.max(1);
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        if vis.nothing() {
            return Ok(CasePage {
                cases: Vec::new(),
                total: 0,
                page,
                page_size,
            });
        }
        let mut w = Where {
            parts: Vec::new(),
            params: Vec::new(),
        };
        let mut scope = Vec::new();
        if let Some(u) = &vis.unit {
            scope.push(format!("agency = {}", w.param(u.as_str())));
        }
        if let Some((u, d)) = &vis.department {
            let (u, d) = (w.param(u.as_str()), w.param(d.as_str()));
            scope.push(format!("(agency = {u} AND department = {d})"));
        }
        if let Some(o) = &vis.team_member {
            scope.push(format!(
                "id IN (SELECT case_id FROM case_team WHERE user_id = {})",
                w.param(o.as_str())
            ));
        }
        w.parts.push(format!("({})", scope.join(" OR ")));
        if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            for term in text.split_whitespace() {
                let like = if self.backend == Backend::Sqlite || caseless(term) {
                    "LIKE"
                } else {
                    "ILIKE"
                };
                let p = w.param(like_pattern(term));
                w.parts.push(format!(
                    "(number {like} {p} ESCAPE '\\' OR name {like} {p} ESCAPE '\\' OR id IN \
                     (SELECT case_id FROM case_parties WHERE name {like} {p} ESCAPE '\\' \
                     OR id_or_credit_code {like} {p} ESCAPE '\\'))"
                ));
            }
        }
        if let Some(c) = f.category {
            let p = w.param(c.code());
            w.parts.push(format!("category = {p}"));
        }
        if let Some(s) = f.status {
            let p = w.param(s.code());
            w.parts.push(format!("status = {p}"));
        }
        if let Some(FlagColumn(col)) = f.flag {
            w.parts.push(format!("{col} <> 0"));
        }
        if let Some(d) = f.department.as_deref().filter(|d| !d.is_empty()) {
            let p = w.param(d);
            w.parts.push(format!("department = {p}"));
        }
        if let Some(o) = f.officer.as_deref().filter(|o| !o.is_empty()) {
            let p = w.param(o);
            w.parts.push(format!(
                "id IN (SELECT case_id FROM case_team WHERE officer = {p})"
            ));
        }
        let clause = w.parts.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) AS n FROM cases WHERE {clause}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for p in &w.params {
            q = q.bind(p.as_str());
        }
        let n: i64 = q
            .fetch_one(self.pool())
            .await
            .ctx("counting cases")?
            .try_get("n")
            .ctx("counting cases")?;
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {clause} \
             ORDER BY created_ms DESC, id LIMIT {page_size} OFFSET {}",
            u64::from(page - 1) * u64::from(page_size)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in &w.params {
            q = q.bind(p.as_str());
        }
        let rows = q.fetch_all(self.pool()).await.ctx("searching cases")?;
        let mut cases = Vec::with_capacity(rows.len());
        for row in &rows {
            cases.push(self.fill_case(decode_case(row)?).await?);
        }
        Ok(CasePage {
            cases,
            total: u64::try_from(n).unwrap_or(0),
            page,
            page_size,
        })
    }
}

impl Db {
    /// Records `vis` may see (`None`: all, for the local operator) whose capture started in
    /// `[from_ms, to_ms)`, oldest first, at most `limit` (link proposals; the caller widens
    /// `from_ms` by the longest recording it expects).
    pub async fn records_captured_between(
        &self,
        vis: Option<&liuhen_domain::authz::RecordVisibility>,
        from_ms: i64,
        to_ms: i64,
        limit: u32,
    ) -> Result<Vec<liuhen_domain::Record>, DbError> {
        let (cond, args) = match vis {
            Some(vis) => match self.visibility_condition(vis, 2).await? {
                Some(c) => c,
                None => return Ok(Vec::new()),
            },
            None => ("1 = 1".to_owned(), Vec::new()),
        };
        let sql = format!(
            "SELECT {} FROM records WHERE capture_start_ms >= $1 AND capture_start_ms < $2 \
             AND ({cond}) ORDER BY capture_start_ms, id LIMIT {limit}",
            crate::records::COLUMNS,
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_ms)
            .bind(to_ms);
        let q = crate::search::bind(q, &args);
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("finding records by capture time")?;
        rows.iter()
            .map(|r| crate::records::decode(r).map(|(rec, _)| rec))
            .collect()
    }
}

impl Db {
    /// Records `vis` may see, counted per (officer, agency): how many, how many late, and
    /// the worst lateness of the late ones (R2.6, R3.3).
    pub async fn lateness_groups(
        &self,
        vis: &liuhen_domain::authz::RecordVisibility,
    ) -> Result<Vec<liuhen_domain::rollup::LatenessRow>, DbError> {
        let Some((cond, args)) = self.visibility_condition(vis, 0).await? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT officer, agency, COUNT(*) AS n, \
             SUM(CASE WHEN late <> 0 THEN 1 ELSE 0 END) AS l, \
             MAX(CASE WHEN late <> 0 THEN COALESCE(lateness_ms, 0) ELSE 0 END) AS w \
             FROM records WHERE {cond} GROUP BY officer, agency"
        );
        let q = crate::search::bind(sqlx::query(sqlx::AssertSqlSafe(sql)), &args);
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("counting late records")?;
        let c = "decoding lateness counts";
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n").ctx(c)?;
                let l: i64 = r.try_get("l").ctx(c)?;
                let w: i64 = r.try_get("w").ctx(c)?;
                Ok(liuhen_domain::rollup::LatenessRow {
                    officer: r.try_get("officer").ctx(c)?,
                    agency: r.try_get("agency").ctx(c)?,
                    records: u32::try_from(n).unwrap_or(u32::MAX),
                    late: u32::try_from(l).unwrap_or(u32::MAX),
                    worst_ms: w,
                })
            })
            .collect()
    }
}
