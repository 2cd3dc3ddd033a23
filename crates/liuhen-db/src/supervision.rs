//! Reads for supervision (issue 20): the cases and records of a period, for a plan's
//! population and for the annual assessment.

use sqlx::Row;

use crate::cases::{CASE_COLUMNS, decode_case};
use crate::error::QueryContext;
use crate::{CaseRow, Db, DbError};

/// What the assessment needs of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFactRow {
    pub agency: String,
    pub officer: Option<String>,
    pub late: bool,
}

impl Db {
    /// Cases created within `[from_ms, to_ms)`, of one unit (`agency`) or of all units
    /// (`None`), with parties and team, oldest first.
    pub async fn cases_created_between(
        &self,
        agency: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseRow>, DbError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE created_ms >= $1 AND created_ms < $2 \
             AND ($3 = '' OR agency = $3) ORDER BY created_ms, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_ms)
            .bind(to_ms)
            .bind(agency.unwrap_or(""))
            .fetch_all(self.pool())
            .await
            .ctx("listing the cases of a period")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.fill_case(decode_case(row)?).await?);
        }
        Ok(out)
    }

    /// Unit, officer and lateness of the records dated within `[from, to]` (`YYYY-MM-DD`,
    /// inclusive), of one unit or of all.
    pub async fn record_facts_between(
        &self,
        agency: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<RecordFactRow>, DbError> {
        let rows = sqlx::query(
            "SELECT agency, officer, late FROM records WHERE record_date >= $1 \
             AND record_date <= $2 AND ($3 = '' OR agency = $3)",
        )
        .bind(from)
        .bind(to)
        .bind(agency.unwrap_or(""))
        .fetch_all(self.pool())
        .await
        .ctx("counting the records of a period")?;
        rows.iter()
            .map(|r| {
                Ok(RecordFactRow {
                    agency: r
                        .try_get::<Option<String>, _>("agency")?
                        .unwrap_or_default(),
                    officer: r.try_get("officer")?,
                    late: r.try_get::<i64, _>("late")? != 0,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .ctx("counting the records of a period")
    }
}
