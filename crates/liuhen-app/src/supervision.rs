//! Supervision (issue 20, R3.12–R3.14): plans, the sample drawn with the one draw
//! mechanism (`draws`), inspection sheets with the three checks of 附件3 第十六条
//! pre-filled from what the system knows, findings naming the officers responsible, and
//! consequences (第十八条). Like draws, everything lives in the log: `supervision.planned`,
//! `supervision.inspected`, `supervision.consequence` entries are the plans, sheets and
//! consequences (no table to drift from them). See `docs/supervision.md`.

use std::collections::BTreeSet;

use liuhen_db::{AuditEntry, CaseRow, EntryBody, NewEntry};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::draw::Method;
use liuhen_domain::supervision::Plan;
use liuhen_domain::supervision::inspection::{
    self, Answer, CustodyFacts, FindingSpec, Prefill, Settled,
};
use liuhen_domain::{AuditAction, RecordId};
use serde_json::{Value, json};

use crate::consequences::ConsequenceView;
use crate::draws::{DrawSpec, SeedPlan};
use crate::{AppError, Custody};

/// A plan as the log tells it, with the draws made for it.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub id: String,
    pub entry: AuditEntry,
    pub plan: Plan,
    /// (unit, draw id, selected case ids once made).
    pub draws: Vec<PlanDraw>,
}

#[derive(Debug, Clone)]
pub struct PlanDraw {
    pub unit: String,
    pub draw: String,
    pub population: usize,
    pub selected: Option<Vec<String>>,
}

/// A filed inspection sheet.
#[derive(Debug, Clone)]
pub struct SheetView {
    pub id: String,
    pub entry: AuditEntry,
    pub plan: String,
    pub case_id: String,
    pub case_number: String,
    pub unit: String,
    pub team: Vec<String>,
    pub checks: Vec<Settled>,
    pub findings: Vec<FindingView>,
}

/// A finding of a sheet, with the consequences decided on it.
#[derive(Debug, Clone)]
pub struct FindingView {
    pub id: String,
    pub sheet: String,
    pub case_number: String,
    pub unit: String,
    pub spec: FindingSpec,
    pub at_ms: i64,
    pub consequences: Vec<ConsequenceView>,
}

pub(crate) fn details(e: &AuditEntry) -> Result<Value, AppError> {
    EntryBody::parse(&e.body)
        .map(|b| b.details)
        .map_err(|err| AppError::Invalid(format!("日志条目 {} 无法解析：{err}", e.seq)))
}

impl Custody {
    /// `[from, to]` (inclusive days, the bureau's calendar) as `[from_ms, to_ms)`.
    pub(crate) fn period_ms(&self, from: jiff::civil::Date, to: jiff::civil::Date) -> (i64, i64) {
        let offset = self.bureau_offset();
        let start = |d: jiff::civil::Date| {
            offset
                .to_timestamp(d.to_datetime(jiff::civil::time(0, 0, 0, 0)))
                .map_or(0, |t| t.as_millisecond())
        };
        let next = to.tomorrow().unwrap_or(to);
        (start(from), start(next))
    }

    /// Makes a supervision plan (supervisors and the legal office). Returns its id.
    pub async fn create_plan(&self, by: &Principal, plan: &Plan) -> Result<String, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let mut plan = plan.clone();
        plan.title = plan.title.trim().to_owned();
        plan.units = plan.units.iter().map(|u| u.trim().to_owned()).collect();
        plan.validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: by.user_id.clone(),
                action: AuditAction::SupervisionPlanned,
                subject: Some(format!("plan:{id}")),
                details: json!({ "plan": id, "spec": plan }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every plan, newest first.
    pub async fn plans(&self, by: &Principal) -> Result<Vec<PlanView>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let entries = self
            .db
            .entries_of_action_between(AuditAction::SupervisionPlanned.as_str(), 0, i64::MAX)
            .await?;
        let mut out = Vec::new();
        for e in entries.into_iter().rev() {
            let d = details(&e)?;
            if let Some(id) = d["plan"].as_str() {
                out.push(self.plan_view(id.to_owned(), e, &d).await?);
            }
        }
        Ok(out)
    }

    /// One plan with its draws.
    pub async fn plan(&self, by: &Principal, id: &str) -> Result<PlanView, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let e = self
            .db
            .entries_for(&format!("plan:{id}"))
            .await?
            .into_iter()
            .find(|e| e.action == AuditAction::SupervisionPlanned.as_str())
            .ok_or_else(|| AppError::NotFound(format!("plan {id}")))?;
        let d = details(&e)?;
        self.plan_view(id.to_owned(), e, &d).await
    }

    async fn plan_view(
        &self,
        id: String,
        entry: AuditEntry,
        d: &Value,
    ) -> Result<PlanView, AppError> {
        let plan: Plan = serde_json::from_value(d["spec"].clone())
            .map_err(|e| AppError::Invalid(format!("计划 {id} 的日志条目无法读取：{e}")))?;
        let mut draws = Vec::new();
        for a in self
            .db
            .entries_of_action_between(AuditAction::DrawAnnounced.as_str(), entry.at_ms, i64::MAX)
            .await?
        {
            let ad = details(&a)?;
            if ad["plan"].as_str() != Some(id.as_str()) {
                continue;
            }
            let draw = ad["draw"].as_str().unwrap_or_default().to_owned();
            let view = self.draw(&draw).await?;
            draws.push(PlanDraw {
                unit: plan_unit_of(&ad).unwrap_or_default(),
                population: ad["population"].as_array().map_or(0, Vec::len),
                selected: view
                    .performed
                    .and_then(|(_, p)| serde_json::from_value(p["selected"].clone()).ok()),
                draw,
            });
        }
        Ok(PlanView {
            id,
            entry,
            plan,
            draws,
        })
    }

    /// The cases of a plan's unit in its period and scope, by id: the population.
    pub async fn plan_population(&self, plan: &Plan, unit: &str) -> Result<Vec<CaseRow>, AppError> {
        let (from, to) = self.period_ms(plan.from, plan.to);
        Ok(self
            .db
            .cases_created_between(Some(unit), from, to)
            .await?
            .into_iter()
            .filter(|c| plan.covers(&c.department, &c.team))
            .collect())
    }

    /// Announces one draw per unit of the plan (its proportion, the plan's minimum), over
    /// the unit's cases of the period in scope. Units without cases are skipped. Returns
    /// (unit, draw id).
    pub async fn announce_plan_draws(
        &self,
        by: &Principal,
        plan_id: &str,
        method: Method,
        seed: SeedPlan,
        step: Option<String>,
    ) -> Result<Vec<(String, String)>, AppError> {
        let view = self.plan(by, plan_id).await?;
        if !view.draws.is_empty() {
            return Err(AppError::Invalid(
                "该计划已经公布过抽取，不能再次公布".into(),
            ));
        }
        let mut out = Vec::new();
        for unit in &view.plan.units {
            let population: Vec<String> = self
                .plan_population(&view.plan, unit)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
            if population.is_empty() {
                continue;
            }
            let id = self
                .announce_draw(
                    by,
                    &DrawSpec {
                        purpose: format!("{}（{unit}）", view.plan.title),
                        kind: "cases".into(),
                        population,
                        method,
                        permille: view.plan.permille_of(unit),
                        minimum: view.plan.minimum,
                        seed: seed.clone(),
                        step: step.clone(),
                        plan: Some(plan_id.to_owned()),
                    },
                )
                .await?;
            out.push((unit.clone(), id));
        }
        if out.is_empty() {
            return Err(AppError::Invalid("计划范围内没有案件可供抽取".into()));
        }
        Ok(out)
    }

    /// The cases a plan's performed draws selected.
    pub async fn sampled_cases(
        &self,
        by: &Principal,
        plan_id: &str,
    ) -> Result<Vec<String>, AppError> {
        let view = self.plan(by, plan_id).await?;
        Ok(view
            .draws
            .into_iter()
            .flat_map(|d| d.selected.unwrap_or_default())
            .collect())
    }

    /// The three checks of a case pre-filled: compliance verdicts (steps, continuity with
    /// the explanations), lateness of its records, misconduct signals touching its records
    /// within the plan's period and refused uses of them.
    pub async fn inspection_prefill(
        &self,
        by: &Principal,
        plan_id: &str,
        case_id: &str,
    ) -> Result<[Prefill; 3], AppError> {
        let view = self.plan(by, plan_id).await?;
        let case = self.case(case_id).await?;
        let verdict = self.case_compliance(&case.id).await?;
        let steps = self.db.steps_of_case(&case.id).await?;
        let names: Vec<(String, String)> = steps
            .iter()
            .map(|s| (s.step.id.clone(), s.step.name.clone()))
            .collect();
        let mut records = BTreeSet::new();
        for s in &steps {
            for link in self.db.step_records(&s.step.id).await? {
                records.insert(link.record_id.as_str().to_owned());
            }
        }
        let mut custody = CustodyFacts::default();
        for id in &records {
            let rid = RecordId::parse(id).map_err(|e| AppError::Invalid(e.to_string()))?;
            let r = self.record(&rid).await?;
            if r.late {
                let hours = r.lateness_ms.unwrap_or(0) / 3_600_000;
                custody.late_records.push(format!(
                    "{}（{}，存储距录制结束 {hours} 小时）",
                    r.original_name, r.id
                ));
            }
            for e in self.db.entries_for(&format!("record:{id}")).await? {
                if e.action == AuditAction::AccessRefused.as_str() {
                    let d = details(&e)?;
                    custody.refusals.push(format!(
                        "{} {}：{}（{}）",
                        self.local_time(e.at_ms),
                        r.original_name,
                        d["action"].as_str().unwrap_or(""),
                        d["reason"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        let (from, to) = self.period_ms(view.plan.from, view.plan.to);
        let thresholds = self
            .config
            .supervision
            .signals
            .thresholds(self.bureau_offset().seconds());
        for s in self.signals_between(&thresholds, from, to).await? {
            let evidence = self.db.entries_by_seq(&s.evidence).await?;
            let touches = evidence.iter().any(|e| {
                e.subject
                    .as_deref()
                    .and_then(|x| x.strip_prefix("record:"))
                    .is_some_and(|r| records.contains(r))
            });
            if touches {
                custody.signals.push(format!(
                    "{}（{}，{}）",
                    s.kind.code(),
                    self.local_time(s.first_ms),
                    s.detail
                ));
            }
        }
        Ok(inspection::prefill(&verdict, &names, &custody))
    }

    /// Files the inspection sheet of a sampled case: the checks as confirmed or overridden
    /// (with notes) and the findings naming the officers responsible. One sheet per case
    /// and plan.
    pub async fn file_inspection(
        &self,
        by: &Principal,
        plan_id: &str,
        case_id: &str,
        answers: &[Answer],
        findings: &[FindingSpec],
    ) -> Result<String, AppError> {
        let case = self.case(case_id).await?;
        if !self.sampled_cases(by, plan_id).await?.contains(&case.id) {
            return Err(AppError::Invalid(format!(
                "案件 {} 不在该计划已实施的抽取结果中",
                case.number
            )));
        }
        if self
            .sheets(by)
            .await?
            .iter()
            .any(|s| s.plan == plan_id && s.case_id == case.id)
        {
            return Err(AppError::Invalid(format!(
                "案件 {} 在该计划中已填写检查表",
                case.number
            )));
        }
        let prefill = self.inspection_prefill(by, plan_id, &case.id).await?;
        let settled = inspection::settle(&prefill, answers, findings)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let id = uuid::Uuid::now_v7().to_string();
        let findings: Vec<Value> = findings
            .iter()
            .map(|f| {
                let officers: Vec<String> = f
                    .officers
                    .iter()
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect();
                json!({
                    "id": uuid::Uuid::now_v7().to_string(),
                    "check": f.check,
                    "text": f.text.trim(),
                    "officers": officers,
                })
            })
            .collect();
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: by.user_id.clone(),
                action: AuditAction::InspectionFiled,
                subject: Some(format!("case:{}", case.id)),
                details: json!({
                    "sheet": id,
                    "plan": plan_id,
                    "case": case.id,
                    "case_number": case.number,
                    "unit": case.agency,
                    "team": case.team,
                    "checks": settled,
                    "findings": findings,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every filed sheet, oldest first, with consequences on their findings.
    pub async fn sheets(&self, by: &Principal) -> Result<Vec<SheetView>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        self.sheets_between(0, i64::MAX).await
    }

    /// Sheets filed within `[from_ms, to_ms)`; no authorization (callers authorize).
    pub(crate) async fn sheets_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SheetView>, AppError> {
        let consequences = self.consequences_between(0, i64::MAX).await?;
        let mut out = Vec::new();
        for e in self
            .db
            .entries_of_action_between(AuditAction::InspectionFiled.as_str(), from_ms, to_ms)
            .await?
        {
            let d = details(&e)?;
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            let sheet = s("sheet");
            let findings = d["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| {
                    let id = f["id"].as_str()?.to_owned();
                    let spec: FindingSpec = serde_json::from_value(f.clone()).ok()?;
                    Some(FindingView {
                        consequences: consequences
                            .iter()
                            .filter(|(fid, _)| *fid == id)
                            .map(|(_, c)| c.clone())
                            .collect(),
                        id,
                        sheet: sheet.clone(),
                        case_number: s("case_number"),
                        unit: s("unit"),
                        spec,
                        at_ms: e.at_ms,
                    })
                })
                .collect();
            out.push(SheetView {
                id: sheet.clone(),
                plan: s("plan"),
                case_id: s("case"),
                case_number: s("case_number"),
                unit: s("unit"),
                team: serde_json::from_value(d["team"].clone()).unwrap_or_default(),
                checks: serde_json::from_value(d["checks"].clone()).unwrap_or_default(),
                findings,
                entry: e,
            });
        }
        Ok(out)
    }
}

/// A plan's draw names its unit in the purpose's last parentheses: `标题（甲局）`.
fn plan_unit_of(a: &Value) -> Option<String> {
    let p = a["purpose"].as_str()?;
    let start = p.rfind('（')?;
    Some(
        p[start + '（'.len_utf8()..]
            .trim_end_matches('）')
            .to_owned(),
    )
}
