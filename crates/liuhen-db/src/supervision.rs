//! Reads for supervision (issue 20): the cases and records of a period, for a plan's
//! population and for the annual assessment.

use sqlx::Row;

use std::collections::HashMap;

use liuhen_domain::MediaKind;
use liuhen_domain::case::RecordingSource;

use crate::cases::{CASE_COLUMNS, STEP_COLUMNS, decode_case, decode_explanation, decode_step};
use crate::error::QueryContext;
use crate::{CaseRow, Db, DbError, ExplanationRow, PartyRow, StepRow};

/// A case with everything its compliance needs: steps, each with its linked records (in
/// link order) and its explanations. Read in five queries for a whole period.
#[derive(Debug, Clone)]
pub struct CaseEvidence {
    pub case: CaseRow,
    pub steps: Vec<(StepRow, Vec<LinkedFacts>, Vec<ExplanationRow>)>,
}

/// What compliance needs of a linked record: a narrow read of its row (the columns a
/// `LinkedRecording` is built from), not the whole record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedFacts {
    pub record_id: String,
    pub kind: MediaKind,
    pub capture_start_ms: Option<i64>,
    pub capture_end_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub stored_at_ms: i64,
    pub officer: Option<String>,
    pub device: Option<String>,
    pub device_serial: Option<String>,
    pub source: Option<RecordingSource>,
}

/// The columns of [`LinkedFacts`], in order (aggregated per step, `decode_linked_json`).
const LINKED_COLUMNS: &str = "records.id, records.kind, records.capture_start_ms, \
    records.capture_end_ms, records.duration_ms, records.stored_at_ms, records.officer, \
    records.device, records.device_serial, records.source";

/// A linked record as the database aggregates it: one JSON array of the
/// [`LINKED_COLUMNS`], in order.
type LinkedJson = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The linked records of one step, aggregated by the database into one JSON array (in
/// link order) of [`LinkedJson`].
fn decode_linked_json(step_id: &str, json: &str) -> Result<Vec<LinkedFacts>, DbError> {
    let bad = |what: String, detail: String| DbError::Corrupt { what, detail };
    let items: Vec<LinkedJson> = serde_json::from_str(json)
        .map_err(|e| bad(format!("linked records of step {step_id}"), e.to_string()))?;
    items
        .into_iter()
        .map(
            |(record_id, kind, start, end, duration, stored, officer, device, serial, source)| {
                Ok(LinkedFacts {
                    kind: kind
                        .parse()
                        .map_err(|e| bad(format!("record {record_id}"), format!("{e}")))?,
                    capture_start_ms: start,
                    capture_end_ms: end,
                    duration_ms: duration,
                    stored_at_ms: stored,
                    officer,
                    device,
                    device_serial: serial,
                    source: source
                        .map(|s| s.parse::<RecordingSource>())
                        .transpose()
                        .map_err(|e| bad(format!("record {record_id}"), format!("{e}")))?,
                    record_id,
                })
            },
        )
        .collect()
}

/// The cases of a period as a SQL condition on `cases` (binds $1, $2, $3).
const PERIOD_CASES: &str =
    "SELECT id FROM cases WHERE created_ms >= $1 AND created_ms < $2 AND ($3 = '' OR agency = $3)";

/// The records of a period counted per unit and officer: how many, how many late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTallyRow {
    pub agency: String,
    pub officer: Option<String>,
    pub records: u64,
    pub late: u64,
}

impl Db {
    /// Cases created within `[from_ms, to_ms)`, of one unit (`agency`) or of all units
    /// (`None`), with parties and team, oldest first: three queries whatever their number.
    pub async fn cases_created_between(
        &self,
        agency: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseRow>, DbError> {
        let ctx = "listing the cases of a period";
        let mut cases = self.period_cases(agency, from_ms, to_ms).await?;
        let at: HashMap<String, usize> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        for r in &sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT case_id, kind, name, id_or_credit_code FROM case_parties \
             WHERE case_id IN ({PERIOD_CASES}) ORDER BY case_id, position"
        )))
        .bind(from_ms)
        .bind(to_ms)
        .bind(agency.unwrap_or(""))
        .fetch_all(self.pool())
        .await
        .ctx(ctx)?
        {
            let id: String = r.try_get(0).ctx(ctx)?;
            if let Some(&i) = at.get(&id) {
                cases[i].parties.push(PartyRow {
                    kind: r.try_get(1).ctx(ctx)?,
                    name: r.try_get(2).ctx(ctx)?,
                    id_or_credit_code: r.try_get(3).ctx(ctx)?,
                });
            }
        }
        Ok(cases)
    }

    /// The cases of a period with their teams (no parties), oldest first: two queries.
    async fn period_cases(
        &self,
        agency: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseRow>, DbError> {
        let ctx = "reading the cases of a period";
        let run = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from_ms)
                .bind(to_ms)
                .bind(agency.unwrap_or(""))
                .fetch_all(self.pool())
        };
        let mut out = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for row in &run(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({PERIOD_CASES}) ORDER BY created_ms, id"
        ))
        .await
        .ctx(ctx)?
        {
            let case = decode_case(row)?;
            at.insert(case.id.clone(), out.len());
            out.push(case);
        }
        for r in &run(format!(
            "SELECT case_id, officer, user_id FROM case_team WHERE case_id IN ({PERIOD_CASES}) \
             ORDER BY case_id, position"
        ))
        .await
        .ctx(ctx)?
        {
            let id: String = r.try_get(0).ctx(ctx)?;
            if let Some(&i) = at.get(&id) {
                out[i].team.push(r.try_get(1).ctx(ctx)?);
                out[i].team_ids.push(r.try_get(2).ctx(ctx)?);
            }
        }
        Ok(out)
    }

    /// The records dated within `[from, to]` (`YYYY-MM-DD`, inclusive), of one unit or of
    /// all, counted per unit and officer in the database (one GROUP BY over the covering
    /// index `records_period`, migration 0033): a handful of rows whatever the period.
    pub async fn record_tallies_between(
        &self,
        agency: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<RecordTallyRow>, DbError> {
        let ctx = "counting the records of a period";
        let filter = if agency.is_some() {
            "agency = $3 AND record_date >= $1 AND record_date <= $2"
        } else {
            "record_date >= $1 AND record_date <= $2 AND $3 = ''"
        };
        let sql = format!(
            "SELECT agency, officer, COUNT(*) AS n, CAST(COALESCE(SUM(late), 0) AS BIGINT) AS l \
             FROM records WHERE {filter} GROUP BY agency, officer"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .bind(agency.unwrap_or(""))
            .fetch_all(self.pool())
            .await
            .ctx(ctx)?;
        rows.iter()
            .map(|r| {
                Ok(RecordTallyRow {
                    agency: r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                    officer: r.try_get(1)?,
                    records: r.try_get::<i64, _>(2)?.max(0) as u64,
                    late: r.try_get::<i64, _>(3)?.max(0) as u64,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .ctx(ctx)
    }

    /// Every case created within `[from_ms, to_ms)` (of one unit, or all) with its team,
    /// steps, linked records and explanations: five queries, whatever the number of cases.
    pub async fn case_evidence_between(
        &self,
        agency: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseEvidence>, DbError> {
        let unit = agency.unwrap_or("");
        let ctx = "reading the cases of a period with their evidence";
        let run = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from_ms)
                .bind(to_ms)
                .bind(unit)
                .fetch_all(self.pool())
        };
        let cases = self.period_cases(agency, from_ms, to_ms).await?;
        let mut out: Vec<CaseEvidence> = Vec::with_capacity(cases.len());
        let mut case_at: HashMap<String, usize> = HashMap::with_capacity(cases.len());
        for case in cases {
            case_at.insert(case.id.clone(), out.len());
            out.push(CaseEvidence {
                case,
                steps: Vec::new(),
            });
        }
        let mut step_at: HashMap<String, (usize, usize)> = HashMap::new();
        for row in &run(format!(
            "SELECT {STEP_COLUMNS} FROM steps WHERE case_id IN ({PERIOD_CASES}) \
             ORDER BY window_start_ms, id"
        ))
        .await
        .ctx(ctx)?
        {
            let step = decode_step(row)?;
            if let Some(&i) = case_at.get(&step.case_id) {
                step_at.insert(step.step.id.clone(), (i, out[i].steps.len()));
                out[i].steps.push((step, Vec::new(), Vec::new()));
            }
        }
        // One row per step (its linked records aggregated into one JSON array, in link
        // order), not one per record: at 100,000 cases the per-row cost of the driver was
        // most of the assessment (docs/benchmarks.md, issue 20).
        let aggregate = match self.backend {
            crate::Backend::Sqlite => format!(
                "json_group_array(json_array({LINKED_COLUMNS}) \
                 ORDER BY step_records.linked_ms, step_records.record_id)"
            ),
            crate::Backend::Postgres => format!(
                "CAST(json_agg(json_build_array({LINKED_COLUMNS}) \
                 ORDER BY step_records.linked_ms, step_records.record_id) AS TEXT)"
            ),
        };
        for row in &run(format!(
            "SELECT step_records.step_id, {aggregate} FROM step_records \
             JOIN records ON records.id = step_records.record_id \
             WHERE step_records.step_id IN (SELECT id FROM steps WHERE case_id IN ({PERIOD_CASES})) \
             GROUP BY step_records.step_id"
        ))
        .await
        .ctx(ctx)?
        {
            let step: String = row.try_get(0).ctx(ctx)?;
            let json: String = row.try_get(1).ctx(ctx)?;
            if let Some(&(i, j)) = step_at.get(&step) {
                out[i].steps[j].1 = decode_linked_json(&step, &json)?;
            }
        }
        for row in &run(format!(
            "SELECT step_id, resumed_record_id, reason, text, spoken_at_offset_s, explained_ms, \
             explained_by FROM interruption_explanations \
             WHERE step_id IN (SELECT id FROM steps WHERE case_id IN ({PERIOD_CASES})) \
             ORDER BY resumed_record_id"
        ))
        .await
        .ctx(ctx)?
        {
            let e = decode_explanation(row)?;
            if let Some(&(i, j)) = step_at.get(&e.step_id) {
                out[i].steps[j].2.push(e);
            }
        }
        Ok(out)
    }
}
