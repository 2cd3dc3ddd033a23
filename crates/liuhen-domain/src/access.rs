//! The access policy as data (R2.8, R2.11, R3.9, R4.2–R4.10): which role may do what on
//! which records without a grant, who decides each approval step, the steps of each kind
//! of request, confidentiality labels, outside requesters and their papers, the fee
//! schedule. The default ships in `access/default.toml`; a bureau may load its own text,
//! which [`Policy::parse`] validates with errors naming the entry (Chinese and English).
//! [`crate::authz::decide`] evaluates it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use serde::Deserialize;

use crate::authz::Action;
use crate::org::Role;

pub const DEFAULT_POLICY: &str = include_str!("access/default.toml");

/// Where a rule applies, relative to the principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Recorded by the principal (officer name).
    Own,
    /// The principal is on the team of a case the record belongs to.
    Team,
    /// A case of the record is handled by the principal's department, in his unit.
    Department,
    /// The record's agency is the principal's unit.
    Unit,
    Any,
}

impl Scope {
    const ALL: [Scope; 5] = [
        Self::Own,
        Self::Team,
        Self::Department,
        Self::Unit,
        Self::Any,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Team => "team",
            Self::Department => "department",
            Self::Unit => "unit",
            Self::Any => "any",
        }
    }
}

/// Which case states a rule covers (R4.9: open cases follow the case team's rules).
/// Ordered from narrowest to widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseCond {
    /// The record belongs to at least one case and all its cases are archived.
    Archived,
    /// No case of the record is still open (a record of no case qualifies).
    ArchivedOrNone,
    Any,
}

impl CaseCond {
    const ALL: [CaseCond; 3] = [Self::Archived, Self::ArchivedOrNone, Self::Any];
    pub fn code(self) -> &'static str {
        match self {
            Self::Archived => "archived",
            Self::ArchivedOrNone => "archived_or_none",
            Self::Any => "any",
        }
    }

    /// `cases`: the archived state of each case the record belongs to.
    pub fn holds(self, archived: impl Iterator<Item = bool> + Clone) -> bool {
        let any_case = archived.clone().next().is_some();
        let all_archived = archived.clone().all(|a| a);
        match self {
            Self::Any => true,
            Self::ArchivedOrNone => all_archived,
            Self::Archived => any_case && all_archived,
        }
    }
}

/// One approval step of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// 案件承办处室同意 (R2.8)
    Consent,
    /// 政策法规处审核 (R3.9)
    LegalReview,
    /// 主管执法工作领导批准 (R3.9)
    LeaderApproval,
    /// 分管领导批准 (R4.6)
    DeputyApproval,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Self::Consent,
        Self::LegalReview,
        Self::LeaderApproval,
        Self::DeputyApproval,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::LegalReview => "legal_review",
            Self::LeaderApproval => "leader_approval",
            Self::DeputyApproval => "deputy_approval",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Consent => "案件承办部门同意",
            Self::LegalReview => "法制部门审核",
            Self::LeaderApproval => "主管执法工作领导批准",
            Self::DeputyApproval => "分管领导批准",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// The kinds of flows a request can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flow {
    View,
    Copy,
    Loan,
    OutsideView,
    OutsideCopy,
    Reconsideration,
}

impl Flow {
    pub const ALL: [Flow; 6] = [
        Self::View,
        Self::Copy,
        Self::Loan,
        Self::OutsideView,
        Self::OutsideCopy,
        Self::Reconsideration,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Copy => "copy",
            Self::Loan => "loan",
            Self::OutsideView => "outside_view",
            Self::OutsideCopy => "outside_copy",
            Self::Reconsideration => "reconsideration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub roles: Vec<Role>,
    pub actions: Vec<Action>,
    pub scope: Scope,
    pub cases: CaseCond,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelDef {
    pub code: String,
    pub name: String,
    pub cleared_roles: Vec<Role>,
    pub grantable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideType {
    pub code: String,
    pub name: String,
    /// Paper codes, in the order they are checked.
    pub papers: Vec<String>,
    pub conclusive_only: bool,
    /// May requisition case files (调卷, R4.6): courts and reconsideration bodies.
    pub requisition: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSchedule {
    pub per_disc_cents: i64,
    pub per_page_cents: i64,
}

impl FeeSchedule {
    /// R4.10: viewing is free; a copy costs its discs and printed pages.
    pub fn copy_fee(&self, discs: u32, pages: u32) -> i64 {
        self.per_disc_cents * i64::from(discs) + self.per_page_cents * i64::from(pages)
    }
}

/// The validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub view_grant: SignedDuration,
    pub approval_valid: SignedDuration,
    pub loan_max: SignedDuration,
    pub steps: BTreeMap<Step, Vec<Role>>,
    pub flows: BTreeMap<Flow, Vec<Step>>,
    pub rules: Vec<Rule>,
    pub system: BTreeMap<Action, Vec<Role>>,
    pub labels: Vec<LabelDef>,
    /// Paper code → its name.
    pub papers: BTreeMap<String, String>,
    pub outside: Vec<OutsideType>,
    pub fees: FeeSchedule,
    /// Roles that see every case of their unit, ongoing and archived (`[cases] unit_wide`;
    /// R3.12, 附件3 第十六条: supervision checks ongoing work too). The records of those
    /// cases they may view, play or review are the `[[rules]]`'.
    pub unit_case_viewers: Vec<Role>,
    /// Roles that manage every case of their unit (`[cases] unit_managers`; shipped: the
    /// records keeper).
    pub unit_case_managers: Vec<Role>,
    /// Roles that see and manage the cases whose team holds their account (`[cases] team`;
    /// shipped: officers and camera operators).
    pub case_team_roles: Vec<Role>,
    /// Roles that see the cases handled by their department (`[cases] department`;
    /// shipped: the case-handling department).
    pub case_department_roles: Vec<Role>,
    /// Who reads and acknowledges the misconduct signals and runs random draws
    /// (`[supervision]`).
    pub supervision: SupervisionRoles,
    /// Formats of the human numbers (文号) of requests and packages (`[numbers]`).
    pub numbers: crate::numbering::Numbering,
}

/// The supervision role lists of the access policy (`[supervision]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionRoles {
    /// Read the misconduct signals (R3.13): `alerts_view`.
    pub view_alerts: Vec<Role>,
    /// Acknowledge a signal: `alerts_acknowledge`.
    pub acknowledge_alerts: Vec<Role>,
    /// Announce and perform random draws (R6.4): `draws_run`.
    pub run_draws: Vec<Role>,
}

impl Default for SupervisionRoles {
    /// The shipped lists (a policy without `[supervision]`).
    fn default() -> Self {
        Self {
            view_alerts: vec![Role::Supervisor, Role::AuditAdmin],
            acknowledge_alerts: vec![Role::Supervisor],
            run_draws: vec![Role::Supervisor, Role::LegalOffice],
        }
    }
}

/// The unit-wide case viewers of a policy without `[cases]` (the shipped list).
pub const DEFAULT_UNIT_CASE_VIEWERS: [Role; 6] = [
    Role::RecordsKeeper,
    Role::LegalOffice,
    Role::Supervisor,
    Role::EnforcementLeader,
    Role::DeputyHead,
    Role::DepartmentHead,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("查阅规则配置错误：{zh} / access policy: {en}")]
pub struct PolicyError {
    pub zh: String,
    pub en: String,
}

fn err(zh: impl Into<String>, en: impl Into<String>) -> PolicyError {
    PolicyError {
        zh: zh.into(),
        en: en.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    view_grant: String,
    approval_valid: String,
    loan_max: String,
    steps: BTreeMap<String, Vec<String>>,
    flows: BTreeMap<String, Vec<String>>,
    rules: Vec<RawRule>,
    system: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    labels: Vec<RawLabel>,
    papers: BTreeMap<String, String>,
    outside: Vec<RawOutside>,
    fees: RawFees,
    #[serde(default)]
    cases: Option<RawCases>,
    #[serde(default)]
    supervision: Option<RawSupervision>,
    #[serde(default)]
    numbers: crate::numbering::RawNumbering,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCases {
    unit_wide: Vec<String>,
    #[serde(default)]
    unit_managers: Option<Vec<String>>,
    #[serde(default)]
    team: Option<Vec<String>>,
    #[serde(default)]
    department: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupervision {
    alerts_view: Vec<String>,
    alerts_acknowledge: Vec<String>,
    draws_run: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    roles: Vec<String>,
    actions: Vec<String>,
    scope: String,
    cases: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    code: String,
    name: String,
    cleared_roles: Vec<String>,
    grantable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutside {
    code: String,
    name: String,
    papers: Vec<String>,
    conclusive_only: bool,
    #[serde(default)]
    requisition: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFees {
    per_disc_cents: i64,
    per_page_cents: i64,
}

fn duration(field: &str, s: &str) -> Result<SignedDuration, PolicyError> {
    let d: SignedDuration = s.trim().parse().map_err(|e| {
        err(
            format!("{field} 不是有效的时长（例如 \"72h\"、\"168h\"）：{s:?}"),
            format!("{field} is not a duration like \"72h\" or \"168h\": {s:?} ({e})"),
        )
    })?;
    if d <= SignedDuration::ZERO {
        return Err(err(
            format!("{field} 必须大于零"),
            format!("{field} must be positive"),
        ));
    }
    Ok(d)
}

/// A `[cases]` role list: absent, the shipped one; empty, nobody.
fn case_roles(
    given: Option<&[String]>,
    context: &str,
    shipped: &[Role],
) -> Result<Vec<Role>, PolicyError> {
    match given {
        None => Ok(shipped.to_vec()),
        Some([]) => Ok(Vec::new()),
        Some(codes) => roles(context, codes),
    }
}

fn roles(context: &str, codes: &[String]) -> Result<Vec<Role>, PolicyError> {
    if codes.is_empty() {
        return Err(err(
            format!("{context}：角色列表不能为空"),
            format!("{context}: the role list is empty"),
        ));
    }
    codes
        .iter()
        .map(|c| {
            c.parse::<Role>().map_err(|_| {
                err(
                    format!("{context}：未知角色 {c:?}"),
                    format!("{context}: unknown role {c:?}"),
                )
            })
        })
        .collect()
}

fn action(context: &str, code: &str) -> Result<Action, PolicyError> {
    Action::parse(code).ok_or_else(|| {
        err(
            format!("{context}：未知操作 {code:?}"),
            format!("{context}: unknown action {code:?}"),
        )
    })
}

impl Policy {
    /// The shipped default.
    pub fn default_shipped() -> Policy {
        Self::parse(DEFAULT_POLICY).expect("the shipped access policy is valid")
    }

    /// Parses and validates a policy text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text)
            .map_err(|e| err(format!("TOML 格式错误：{e}"), format!("bad TOML: {e}")))?;
        let mut steps = BTreeMap::new();
        for (code, rs) in &raw.steps {
            let step = Step::parse(code).ok_or_else(|| {
                err(
                    format!("steps：未知审批环节 {code:?}"),
                    format!("steps: unknown step {code:?}"),
                )
            })?;
            steps.insert(step, roles(&format!("steps.{code}"), rs)?);
        }
        let mut flows = BTreeMap::new();
        for (code, ss) in &raw.flows {
            let flow = Flow::ALL
                .into_iter()
                .find(|f| f.code() == code)
                .ok_or_else(|| {
                    err(
                        format!("flows：未知申请类型 {code:?}"),
                        format!("flows: unknown flow {code:?}"),
                    )
                })?;
            if ss.is_empty() {
                return Err(err(
                    format!("flows.{code}：至少需要一个审批环节"),
                    format!("flows.{code}: needs at least one step"),
                ));
            }
            let mut list = Vec::new();
            for s in ss {
                let step = Step::parse(s).ok_or_else(|| {
                    err(
                        format!("flows.{code}：未知审批环节 {s:?}"),
                        format!("flows.{code}: unknown step {s:?}"),
                    )
                })?;
                if !steps.contains_key(&step) {
                    return Err(err(
                        format!("flows.{code}：环节 {s} 未在 steps 中指定审批角色"),
                        format!("flows.{code}: step {s} has no roles in [steps]"),
                    ));
                }
                if list.contains(&step) {
                    return Err(err(
                        format!("flows.{code}：环节 {s} 重复"),
                        format!("flows.{code}: step {s} appears twice"),
                    ));
                }
                list.push(step);
            }
            flows.insert(flow, list);
        }
        if let Some(f) = Flow::ALL.into_iter().find(|f| !flows.contains_key(f)) {
            return Err(err(
                format!("flows：缺少 {} 的审批流程", f.code()),
                format!("flows: {} is missing", f.code()),
            ));
        }
        let mut rules = Vec::new();
        for (i, r) in raw.rules.iter().enumerate() {
            let ctx = format!("rules[{}]", i + 1);
            let actions = r
                .actions
                .iter()
                .map(|a| action(&ctx, a))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(a) = actions.iter().find(|a| a.is_system()) {
                return Err(err(
                    format!("{ctx}：{} 不是针对记录的操作，应写在 [system]", a.code()),
                    format!(
                        "{ctx}: {} is not a record action; put it in [system]",
                        a.code()
                    ),
                ));
            }
            let scope = Scope::ALL
                .into_iter()
                .find(|s| s.code() == r.scope)
                .ok_or_else(|| {
                    err(
                        format!(
                            "{ctx}：未知范围 {:?}（own/team/department/unit/any）",
                            r.scope
                        ),
                        format!("{ctx}: unknown scope {:?}", r.scope),
                    )
                })?;
            let cases = CaseCond::ALL
                .into_iter()
                .find(|c| c.code() == r.cases)
                .ok_or_else(|| {
                    err(
                        format!(
                            "{ctx}：未知案件条件 {:?}（any/archived_or_none/archived）",
                            r.cases
                        ),
                        format!("{ctx}: unknown cases condition {:?}", r.cases),
                    )
                })?;
            rules.push(Rule {
                roles: roles(&ctx, &r.roles)?,
                actions,
                scope,
                cases,
            });
        }
        let mut system = BTreeMap::new();
        for (code, rs) in &raw.system {
            let a = action("system", code)?;
            if !a.is_system() {
                return Err(err(
                    format!("system：{code} 是针对记录的操作，应写在 [[rules]]"),
                    format!("system: {code} is a record action; put it in [[rules]]"),
                ));
            }
            system.insert(a, roles(&format!("system.{code}"), rs)?);
        }
        let mut labels: Vec<LabelDef> = Vec::new();
        for l in &raw.labels {
            if labels.iter().any(|x| x.code == l.code) || l.code.trim().is_empty() {
                return Err(err(
                    format!("labels：密级标识代码 {:?} 为空或重复", l.code),
                    format!("labels: label code {:?} is empty or repeated", l.code),
                ));
            }
            labels.push(LabelDef {
                code: l.code.clone(),
                name: l.name.clone(),
                cleared_roles: roles(&format!("labels.{}", l.code), &l.cleared_roles)?,
                grantable: l.grantable,
            });
        }
        let mut outside: Vec<OutsideType> = Vec::new();
        for o in &raw.outside {
            if outside.iter().any(|x| x.code == o.code) || o.code == "internal" {
                return Err(err(
                    format!("outside：申请人类型 {:?} 重复或保留", o.code),
                    format!("outside: requester type {:?} repeated or reserved", o.code),
                ));
            }
            if let Some(p) = o.papers.iter().find(|p| !raw.papers.contains_key(*p)) {
                return Err(err(
                    format!("outside.{}：未在 [papers] 中定义的材料 {p:?}", o.code),
                    format!("outside.{}: paper {p:?} is not defined in [papers]", o.code),
                ));
            }
            if o.papers.is_empty() {
                return Err(err(
                    format!("outside.{}：至少需要一项材料", o.code),
                    format!("outside.{}: needs at least one paper", o.code),
                ));
            }
            outside.push(OutsideType {
                code: o.code.clone(),
                name: o.name.clone(),
                papers: o.papers.clone(),
                conclusive_only: o.conclusive_only,
                requisition: o.requisition,
            });
        }
        if raw.fees.per_disc_cents < 0 || raw.fees.per_page_cents < 0 {
            return Err(err(
                "fees：收费标准不能为负数",
                "fees: amounts cannot be negative",
            ));
        }
        Ok(Policy {
            view_grant: duration("view_grant", &raw.view_grant)?,
            approval_valid: duration("approval_valid", &raw.approval_valid)?,
            loan_max: duration("loan_max", &raw.loan_max)?,
            steps,
            flows,
            rules,
            system,
            labels,
            papers: raw.papers,
            outside,
            fees: FeeSchedule {
                per_disc_cents: raw.fees.per_disc_cents,
                per_page_cents: raw.fees.per_page_cents,
            },
            unit_case_viewers: match &raw.cases {
                None => DEFAULT_UNIT_CASE_VIEWERS.to_vec(),
                Some(c) if c.unit_wide.is_empty() => Vec::new(),
                Some(c) => roles("cases.unit_wide", &c.unit_wide)?,
            },
            unit_case_managers: case_roles(
                raw.cases.as_ref().and_then(|c| c.unit_managers.as_deref()),
                "cases.unit_managers",
                &[Role::RecordsKeeper],
            )?,
            case_team_roles: case_roles(
                raw.cases.as_ref().and_then(|c| c.team.as_deref()),
                "cases.team",
                &[Role::Officer, Role::CameraOperator],
            )?,
            case_department_roles: case_roles(
                raw.cases.as_ref().and_then(|c| c.department.as_deref()),
                "cases.department",
                &[Role::CaseDepartment],
            )?,
            supervision: match &raw.supervision {
                None => SupervisionRoles::default(),
                Some(s) => SupervisionRoles {
                    view_alerts: roles("supervision.alerts_view", &s.alerts_view)?,
                    acknowledge_alerts: roles(
                        "supervision.alerts_acknowledge",
                        &s.alerts_acknowledge,
                    )?,
                    run_draws: roles("supervision.draws_run", &s.draws_run)?,
                },
            },
            numbers: crate::numbering::Numbering::parse(&raw.numbers)
                .map_err(|e| err(format!("文号格式错误：{e}"), e))?,
        })
    }

    pub fn label(&self, code: &str) -> Option<&LabelDef> {
        self.labels.iter().find(|l| l.code == code)
    }

    pub fn outside_type(&self, code: &str) -> Option<&OutsideType> {
        self.outside.iter().find(|o| o.code == code)
    }

    pub fn flow(&self, f: Flow) -> &[Step] {
        self.flows.get(&f).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn step_roles(&self, s: Step) -> &[Role] {
        self.steps.get(&s).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The papers of an outside requester type not among `attached`.
    pub fn missing_papers<'a>(&'a self, kind: &str, attached: &BTreeSet<String>) -> Vec<&'a str> {
        self.outside_type(kind)
            .map(|t| {
                t.papers
                    .iter()
                    .filter(|p| !attached.contains(*p))
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
