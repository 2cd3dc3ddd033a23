//! The annual assessment (年度考评, issue 20): per unit and per officer for any period —
//! records made, lateness, mandatory steps covered, violations and unexplained
//! interruptions, sampling results, findings and consequences, misconduct signals. The
//! facts are gathered here; the counting is `liuhen_domain::supervision::assessment`.
//! Printed through the one PDF engine and exported as CSV.

use std::collections::HashMap;

use jiff::civil::Date;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::compliance::{self, Level, codes};
use liuhen_domain::supervision::assessment::{
    Assessment, Facts, FindingFact, Line, RecordFact, SampleFact, SignalFact, StepFact, assess,
};
use liuhen_domain::supervision::inspection::{STEP_CODES, Verdict};

use crate::pdf::{Column, Table};
use crate::{AppError, Custody};

/// The assessment of a period, for one unit or all.
#[derive(Debug, Clone)]
pub struct AssessmentReport {
    pub from: Date,
    pub to: Date,
    pub unit: Option<String>,
    pub assessment: Assessment,
    /// (code, Chinese label) of the configured consequences, in order.
    pub consequence_kinds: Vec<(String, String)>,
}

pub const HEADER: [&str; 16] = [
    "单位",
    "人员",
    "执法记录数",
    "逾期存储数",
    "逾期率‰",
    "应记录环节",
    "已记录环节",
    "覆盖率‰",
    "违规项",
    "未说明中断",
    "被抽查案件",
    "已检查",
    "检查不合格",
    "认定问题",
    "追责措施",
    "异常使用信号",
];

/// The same columns with English headers (`headers=en` of the CSV export).
pub const HEADER_EN: [&str; 16] = [
    "unit",
    "officer",
    "records",
    "late_records",
    "lateness_permille",
    "mandatory_steps",
    "mandatory_steps_recorded",
    "coverage_permille",
    "violations",
    "unexplained_interruptions",
    "sampled_cases",
    "inspected",
    "inspections_failed",
    "findings",
    "consequences",
    "misconduct_signals",
];

fn line_cells(unit: &str, officer: &str, l: &Line) -> Vec<String> {
    vec![
        unit.to_owned(),
        officer.to_owned(),
        l.records.to_string(),
        l.late.to_string(),
        l.lateness_permille().to_string(),
        l.mandatory_steps.to_string(),
        l.mandatory_covered.to_string(),
        l.coverage_permille().to_string(),
        l.violations.to_string(),
        l.unexplained.to_string(),
        l.sampled.to_string(),
        l.inspected.to_string(),
        l.sampled_failed.to_string(),
        l.findings.to_string(),
        l.consequences_total().to_string(),
        l.signals.to_string(),
    ]
}

impl AssessmentReport {
    /// Rows: each unit (officer "（全单位）"), then its officers.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for (unit, l) in &self.assessment.by_unit {
            rows.push(line_cells(unit, "（全单位）", l));
            for ((u, officer), l) in &self.assessment.by_officer {
                if u == unit {
                    rows.push(line_cells(unit, officer, l));
                }
            }
        }
        rows
    }

    pub fn csv(&self) -> Vec<u8> {
        self.csv_with(false)
    }

    /// The CSV with Chinese or (`english`) English headers; the rows are the same (a
    /// unit's own row has the officer "（全单位）" either way).
    pub fn csv_with(&self, english: bool) -> Vec<u8> {
        let header = if english { &HEADER_EN } else { &HEADER };
        crate::csv::document(header, self.rows()).into_bytes()
    }

    pub fn pdf(&self, bureau: &str) -> Vec<u8> {
        let total = self.assessment.total();
        let consequences: Vec<String> = self
            .consequence_kinds
            .iter()
            .map(|(code, zh)| {
                format!(
                    "{zh} {}",
                    total.consequences.get(code).copied().unwrap_or(0)
                )
            })
            .collect();
        crate::pdf::render(&Table {
            title: "执法音像记录年度考评".into(),
            info: vec![
                format!(
                    "单位：{bureau}    考评范围：{}    期间：{} 至 {}",
                    self.unit.as_deref().unwrap_or("全部执法机构"),
                    self.from,
                    self.to
                ),
                format!(
                    "合计：执法记录 {} 条，逾期存储 {} 条（{}‰），应记录环节 {} 个、已记录 {} 个（{}‰），违规 {} 项，未说明中断 {} 处",
                    total.records,
                    total.late,
                    total.lateness_permille(),
                    total.mandatory_steps,
                    total.mandatory_covered,
                    total.coverage_permille(),
                    total.violations,
                    total.unexplained
                ),
                format!(
                    "抽查案件 {} 件，已检查 {} 件，不合格 {} 件；认定问题 {} 个；追责措施：{}；异常使用信号 {} 个",
                    total.sampled,
                    total.inspected,
                    total.sampled_failed,
                    total.findings,
                    consequences.join("、"),
                    total.signals
                ),
            ],
            columns: HEADER
                .iter()
                .enumerate()
                .map(|(i, h)| Column {
                    header: (*h).to_owned(),
                    weight: if i < 2 { 1.4 } else { 0.8 },
                })
                .collect(),
            rows: self.rows(),
            empty: "该期间没有可考评的数据".into(),
        })
    }
}

impl Custody {
    /// The assessment of `[from, to]` (inclusive days) for one unit or all units
    /// (supervisors and the legal office).
    pub async fn assessment(
        &self,
        by: &Principal,
        from: Date,
        to: Date,
        unit: Option<&str>,
    ) -> Result<AssessmentReport, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        if from > to {
            return Err(AppError::Invalid("起始日期不能晚于结束日期".into()));
        }
        let unit = unit.map(str::trim).filter(|u| !u.is_empty());
        let in_unit = |u: &str| unit.is_none_or(|x| x == u);
        let (from_ms, to_ms) = self.period_ms(from, to);
        let mut facts = Facts {
            records: self
                .db
                .record_tallies_between(unit, &from.to_string(), &to.to_string())
                .await?
                .into_iter()
                .map(|r| RecordFact {
                    unit: r.agency,
                    officer: r.officer.filter(|o| !o.trim().is_empty()),
                    records: r.records,
                    late: r.late,
                })
                .collect(),
            ..Facts::default()
        };
        let evaluated = self
            .evaluate_cases_between(unit, from_ms, to_ms, |_| true)
            .await?;
        for ev in &evaluated {
            let case = &ev.case;
            for v in &ev.verdict.steps {
                let Some(step) = ev.step(&v.step_id) else {
                    continue;
                };
                let has = |pred: &dyn Fn(&compliance::Finding) -> bool| {
                    v.findings.iter().filter(|f| pred(f)).count() as u32
                };
                facts.steps.push(StepFact {
                    unit: case.agency.clone(),
                    officers: step.step.officers.clone(),
                    mandatory: step.step.checklist_row.is_some()
                        && has(&|f| f.code == codes::NOT_REQUIRED) == 0,
                    covered: has(&|f| f.level == Level::Violation && STEP_CODES.contains(&f.code))
                        == 0,
                    violations: has(&|f| f.level == Level::Violation),
                    unexplained: has(&|f| {
                        f.code == codes::UNEXPLAINED_INTERRUPTION
                            || f.code == codes::EXPLANATION_REFUSED
                    }),
                });
            }
            for f in ev.verdict.findings.iter().filter(|f| f.level != Level::Ok) {
                facts.steps.push(StepFact {
                    unit: case.agency.clone(),
                    officers: case.team.clone(),
                    mandatory: f.code == codes::STEP_MISSING,
                    covered: false,
                    violations: u32::from(f.level == Level::Violation),
                    unexplained: 0,
                });
            }
        }
        let known: HashMap<&str, &liuhen_db::CaseRow> = evaluated
            .iter()
            .map(|e| (e.case.id.as_str(), &e.case))
            .collect();
        let sheets = self.sheets_between(0, i64::MAX).await?;
        let plans = self.plans(by).await?;
        for plan in plans
            .iter()
            .filter(|p| p.plan.from <= to && p.plan.to >= from)
        {
            for id in plan.draws.iter().flat_map(|d| d.selected.iter().flatten()) {
                // The period's cases are at hand; a plan's period may reach beyond it.
                let read;
                let case = match known.get(id.as_str()) {
                    Some(c) => *c,
                    None => {
                        read = self.case(id).await?;
                        &read
                    }
                };
                if !in_unit(&case.agency) {
                    continue;
                }
                let sheet = sheets
                    .iter()
                    .find(|s| s.plan == plan.id && s.case_id == case.id);
                facts.samples.push(SampleFact {
                    unit: case.agency.clone(),
                    officers: case.team.clone(),
                    inspected: sheet.is_some(),
                    failed: sheet
                        .is_some_and(|s| s.checks.iter().any(|c| c.verdict == Verdict::Fail)),
                });
            }
        }
        for s in sheets
            .iter()
            .filter(|s| (from_ms..to_ms).contains(&s.entry.at_ms) && in_unit(&s.unit))
        {
            for f in &s.findings {
                facts.findings.push(FindingFact {
                    unit: s.unit.clone(),
                    officers: f.spec.officers.clone(),
                    consequences: f
                        .consequences
                        .iter()
                        .map(|c| (c.officer.clone(), c.code.clone()))
                        .collect(),
                });
            }
        }
        let thresholds = self
            .config
            .supervision
            .signals
            .thresholds(self.bureau_offset().seconds());
        let mut people: HashMap<String, (String, String)> = HashMap::new();
        for s in self.signals_between(&thresholds, from_ms, to_ms).await? {
            if !people.contains_key(&s.actor) {
                let who = match self.db.user_by_id(&s.actor).await? {
                    Some(u) => (u.unit.unwrap_or_default(), u.display_name),
                    None => (String::new(), s.actor.clone()),
                };
                people.insert(s.actor.clone(), who);
            }
            let (u, name) = &people[&s.actor];
            if in_unit(u) {
                facts.signals.push(SignalFact {
                    unit: u.clone(),
                    person: name.clone(),
                });
            }
        }
        Ok(AssessmentReport {
            from,
            to,
            unit: unit.map(str::to_owned),
            assessment: assess(&facts),
            consequence_kinds: self
                .config
                .supervision
                .consequences
                .iter()
                .map(|c| (c.code.clone(), c.zh.clone()))
                .collect(),
        })
    }
}
