//! The unit dashboard: the standing findings of the cases a principal may see (violations,
//! warnings, unexplained interruptions) per officer and per step type, and lateness (R2.6,
//! R3.3) per record, per officer and per unit.

use liuhen_db::{CaseFilter, CaseRow, RecordFilter, RecordSort, StepRow};
use liuhen_domain::Record;
use liuhen_domain::authz::{
    Action, CaseScope, Principal, Target, case_visibility, record_visibility,
};
use liuhen_domain::compliance::{CaseVerdict, Level, codes};
use liuhen_domain::rollup::{FindingRow, LateTally, Tally, tally_findings, tally_lateness};

use crate::{AppError, Custody};

/// At most this many cases are evaluated (newest first); `Dashboard::truncated` says so.
pub const MAX_CASES: u32 = 1_000;
/// At most this many late records are listed.
pub const MAX_LATE: u32 = 100;

/// One standing finding (warning or violation) of one step.
#[derive(Debug, Clone)]
pub struct DashFinding {
    pub case_id: String,
    pub case_number: String,
    pub case_name: String,
    pub step_id: String,
    pub step_name: String,
    pub step_type: Option<String>,
    pub officers: Vec<String>,
    pub level: Level,
    pub rule: &'static str,
    pub code: &'static str,
    pub message_zh: String,
}

impl DashFinding {
    pub fn unexplained_interruption(&self) -> bool {
        self.code == codes::UNEXPLAINED_INTERRUPTION || self.code == codes::EXPLANATION_REFUSED
    }
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub cases: u64,
    pub cases_with_violations: usize,
    /// More cases are visible than were evaluated.
    pub truncated: bool,
    pub findings: Vec<DashFinding>,
    pub by_officer: Vec<(String, Tally)>,
    pub by_step_type: Vec<(String, Tally)>,
    pub late_records: Vec<Record>,
    pub late_total: u64,
    pub late_by_officer: Vec<(String, LateTally)>,
    pub late_by_unit: Vec<(String, LateTally)>,
}

/// A period of the dashboard: inclusive days in the bureau's calendar. Cases count when
/// created in it, late records when dated in it.
pub type Period = (jiff::civil::Date, jiff::civil::Date);

impl Custody {
    /// The newest [`MAX_CASES`] visible cases, all time.
    pub async fn dashboard(&self, who: &Principal) -> Result<Dashboard, AppError> {
        self.dashboard_in(who, None).await
    }

    /// The visible cases created in `period` (all of them: no cap), or without a period the
    /// newest [`MAX_CASES`].
    pub async fn dashboard_in(
        &self,
        who: &Principal,
        period: Option<Period>,
    ) -> Result<Dashboard, AppError> {
        let vis = case_visibility(&self.policy, who);
        if vis.nothing() {
            // Nothing in scope: refused (and logged) by the single authorization point.
            self.authorize(
                who,
                Action::ViewCase,
                Target::Case(CaseScope {
                    agency: None,
                    department: None,
                    team_ids: &[],
                }),
                None,
            )
            .await?;
        }
        let mut findings = Vec::new();
        let mut with_violations = 0;
        let mut add = |case: &CaseRow, steps: &[StepRow], verdict: &CaseVerdict| {
            if verdict.violations() > 0 {
                with_violations += 1;
            }
            for v in &verdict.steps {
                let Some(step) = steps.iter().find(|s| s.step.id == v.step_id) else {
                    continue;
                };
                for f in v.findings.iter().filter(|f| f.level != Level::Ok) {
                    findings.push(DashFinding {
                        case_id: case.id.clone(),
                        case_number: case.number.clone(),
                        case_name: case.name.clone(),
                        step_id: step.step.id.clone(),
                        step_name: step.step.name.clone(),
                        step_type: step.step.checklist_row.clone(),
                        officers: step.step.officers.clone(),
                        level: f.level,
                        rule: f.rule,
                        code: f.code,
                        message_zh: f.message_zh.clone(),
                    });
                }
            }
        };
        let cases;
        let mut evaluated = 0u32;
        match period {
            // Every visible case of the period, its evidence read set-based.
            Some((from, to)) => {
                let (from_ms, to_ms) = self.period_ms(from, to);
                let all = self
                    .evaluate_cases_between(None, from_ms, to_ms, |c| self.sees_case(who, c))
                    .await?;
                cases = all.len() as u64;
                for e in &all {
                    add(&e.case, &e.steps, &e.verdict);
                }
            }
            // The newest MAX_CASES visible cases, case by case.
            None => {
                let mut page = 1;
                loop {
                    let found = self
                        .db
                        .search_cases(&vis, &CaseFilter::default(), page, 100)
                        .await?;
                    for case in &found.cases {
                        evaluated += 1;
                        let steps = self.case_steps(&case.id).await?;
                        let verdict = self.case_compliance(&case.id).await?;
                        add(case, &steps, &verdict);
                    }
                    if found.cases.is_empty() || page >= found.pages() || evaluated >= MAX_CASES {
                        cases = found.total;
                        break;
                    }
                    page += 1;
                }
            }
        }
        findings.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(a.case_number.cmp(&b.case_number))
        });
        let rows: Vec<FindingRow> = findings
            .iter()
            .map(|f| FindingRow {
                case_number: f.case_number.clone(),
                step_name: f.step_name.clone(),
                step_type: f.step_type.clone(),
                officers: f.officers.clone(),
                level: f.level,
                unexplained_interruption: f.unexplained_interruption(),
            })
            .collect();
        let (by_officer, by_step_type) = tally_findings(&rows);

        let records = record_visibility(&self.policy, who, self.now().as_millisecond());
        let late = self
            .db
            .search_records(
                &records,
                &RecordFilter {
                    late: Some(true),
                    record_date_from: period.map(|p| p.0),
                    record_date_to: period.map(|p| p.1),
                    ..RecordFilter::default()
                },
                RecordSort::default(),
                0,
                MAX_LATE,
            )
            .await?;
        let (late_by_officer, late_by_unit) =
            tally_lateness(&self.db.lateness_groups(&records).await?);
        Ok(Dashboard {
            cases,
            cases_with_violations: with_violations,
            truncated: period.is_none() && u64::from(evaluated) < cases,
            findings,
            by_officer,
            by_step_type,
            late_total: late.total,
            late_records: late.records,
            late_by_officer,
            late_by_unit,
        })
    }

    /// Whether the single policy lets `who` view this case (as lists do).
    fn sees_case(&self, who: &Principal, c: &CaseRow) -> bool {
        let team_ids: Vec<String> = c.team_ids.iter().flatten().cloned().collect();
        liuhen_domain::authz::decide(
            &self.policy,
            who,
            Action::ViewCase,
            Target::Case(CaseScope {
                agency: Some(c.agency.as_str()),
                department: Some(c.department.as_str()),
                team_ids: &team_ids,
            }),
        ) == liuhen_domain::authz::Decision::Allow
    }
}
