//! The pages of supervision (issue 20): `GET /supervision` (plans and the form to make
//! one), `POST /supervision/plans`, `GET /supervision/plans/{id}` (its draws and sampled
//! cases), `POST …/draw` (announce one draw per unit), `POST …/perform` (make them),
//! `GET|POST /supervision/plans/{id}/cases/{case}` (the inspection sheet),
//! `POST /supervision/findings/{id}/consequence` and `GET /supervision/officer?name=`
//! (an officer's findings). Handlers are thin: the use cases authorize themselves.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::consequences::ConsequenceSpec;
use liuhen_app::draws::SeedPlan;
use liuhen_app::supervision::{FindingView, PlanView, SheetView};
use liuhen_domain::draw::Method;
use liuhen_domain::supervision::Plan;
use liuhen_domain::supervision::inspection::{Answer, Check, FindingSpec, Prefill, Verdict};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::{Lang, Tr};
use crate::register::date;
use crate::{ApiError, AppState, PageError};

/// The page's error from any error of the layers below.
fn pe<E: Into<ApiError>>(t: Tr) -> impl Fn(E) -> PageError {
    move |x| PageError::new(x, t)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision", get(list))
        .route("/supervision/plans", post(create))
        .route("/supervision/plans/{id}", get(detail))
        .route("/supervision/plans/{id}/draw", post(draw))
        .route("/supervision/plans/{id}/perform", post(perform))
        .route(
            "/supervision/plans/{id}/cases/{case}",
            get(sheet).post(file),
        )
        .route("/supervision/findings/{id}/consequence", post(consequence))
        .route("/supervision/officer", get(officer))
}

fn names(s: &str) -> Vec<String> {
    s.split(['\n', ',', '，', '、'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn bad(t: Tr, code: &'static str, msg: impl Into<String>) -> PageError {
    PageError::new(ApiError::bad(code, msg), t)
}

struct PlanRow {
    id: String,
    when: String,
    title: String,
    period: String,
    units: String,
    draws: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision.html")]
struct ListPage {
    c: Chrome,
    plans: Vec<PlanRow>,
}

async fn list(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<ListPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let plans = s
        .custody
        .plans(&user.principal)
        .await
        .map_err(|e| PageError::new(e, t))?
        .into_iter()
        .map(|p| PlanRow {
            when: s.custody.local_time(p.entry.at_ms),
            title: p.plan.title,
            period: format!("{} — {}", p.plan.from, p.plan.to),
            units: p.plan.units.join("、"),
            draws: p.draws.len(),
            id: p.id,
        })
        .collect();
    Ok(ListPage {
        c: Chrome::new(t, Some(&user), "supervision"),
        plans,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PlanForm {
    title: String,
    from: String,
    to: String,
    units: String,
    departments: String,
    officers: String,
    permille: String,
    /// One `单位=‰` per line.
    unit_permille: String,
    minimum: String,
}

async fn create(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<PlanForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(pe(t))?;
    let (Some(from), Some(to)) = (
        date(&f.from, "起始日期").map_err(pe(t))?,
        date(&f.to, "结束日期").map_err(pe(t))?,
    ) else {
        return Err(bad(t, "bad_date", "请填写计划期间的起止日期"));
    };
    let number = |v: &str, what: &str| -> Result<u32, PageError> {
        v.trim()
            .parse()
            .map_err(|_| bad(t, "bad_number", format!("{what}应为非负整数")))
    };
    let mut by_unit = BTreeMap::new();
    for line in f.unit_permille.lines().filter(|l| !l.trim().is_empty()) {
        let Some((unit, p)) = line.split_once(['=', '＝']) else {
            return Err(bad(
                t,
                "bad_number",
                format!("单位比例“{line}”应写作 单位=千分比"),
            ));
        };
        by_unit.insert(unit.trim().to_owned(), number(p, "单位比例")?);
    }
    let plan = Plan {
        title: f.title,
        from,
        to,
        units: names(&f.units),
        departments: names(&f.departments),
        officers: names(&f.officers),
        permille: number(&f.permille, "抽查比例")?,
        permille_by_unit: by_unit,
        minimum: number(&f.minimum, "最少抽查数量")? as usize,
    };
    let id = s
        .custody
        .create_plan(&user.principal, &plan)
        .await
        .map_err(pe(t))?;
    Ok(Redirect::to(&format!("/supervision/plans/{id}")).into_response())
}

struct DrawRow {
    unit: String,
    draw: String,
    population: usize,
    made: bool,
}

struct SampleRow {
    case_id: String,
    number: String,
    unit: String,
    team: String,
    filed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision_plan.html")]
struct PlanPage {
    c: Chrome,
    id: String,
    plan: Plan,
    scope: String,
    draws: Vec<DrawRow>,
    pending: bool,
    samples: Vec<SampleRow>,
}

async fn detail(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<PlanPage, PageError> {
    let user = user.map_err(pe(t))?;
    let PlanView { plan, draws, .. } = s.custody.plan(&user.principal, &id).await.map_err(pe(t))?;
    let sheets = s.custody.sheets(&user.principal).await.map_err(pe(t))?;
    let mut samples = Vec::new();
    for case_id in draws.iter().flat_map(|d| d.selected.iter().flatten()) {
        let case = s.custody.case(case_id).await.map_err(pe(t))?;
        samples.push(SampleRow {
            filed: sheets.iter().any(|x| x.plan == id && x.case_id == case.id),
            case_id: case.id,
            number: case.number,
            unit: case.agency,
            team: case.team.join("、"),
        });
    }
    let mut scope = Vec::new();
    if !plan.departments.is_empty() {
        scope.push(format!("办案部门：{}", plan.departments.join("、")));
    }
    if !plan.officers.is_empty() {
        scope.push(format!("执法人员：{}", plan.officers.join("、")));
    }
    Ok(PlanPage {
        c: Chrome::new(t, Some(&user), "supervision"),
        scope: scope.join("；"),
        pending: draws.iter().any(|d| d.selected.is_none()),
        draws: draws
            .into_iter()
            .map(|d| DrawRow {
                made: d.selected.is_some(),
                unit: d.unit,
                draw: d.draw,
                population: d.population,
            })
            .collect(),
        samples,
        plan,
        id,
    })
}

async fn draw(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .announce_plan_draws(
            &user.principal,
            &id,
            Method::Sha256,
            SeedPlan::Checkpoint,
            None,
        )
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to(&format!("/supervision/plans/{id}")).into_response())
}

async fn perform(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(pe(t))?;
    let view = s.custody.plan(&user.principal, &id).await.map_err(pe(t))?;
    for d in view.draws.iter().filter(|d| d.selected.is_none()) {
        s.custody
            .perform_draw(&user.principal, &d.draw, &[])
            .await
            .map_err(pe(t))?;
    }
    Ok(Redirect::to(&format!("/supervision/plans/{id}")).into_response())
}

struct CheckRow {
    code: &'static str,
    label: &'static str,
    prefill: &'static str,
    fail: bool,
    basis: Vec<String>,
}

struct FiledCheck {
    label: &'static str,
    prefill: &'static str,
    verdict: &'static str,
    fail: bool,
    overridden: bool,
    note: String,
}

struct ConsequenceOption {
    code: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision_sheet.html")]
struct SheetPage {
    c: Chrome,
    plan: String,
    case_id: String,
    number: String,
    team: Vec<String>,
    checks: Vec<CheckRow>,
    filed: Option<SheetView>,
    filed_checks: Vec<FiledCheck>,
    kinds: Vec<ConsequenceOption>,
}

async fn sheet(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((plan, case_id)): Path<(String, String)>,
) -> Result<SheetPage, PageError> {
    let user = user.map_err(pe(t))?;
    let prefill: [Prefill; 3] = s
        .custody
        .inspection_prefill(&user.principal, &plan, &case_id)
        .await
        .map_err(pe(t))?;
    let case = s.custody.case(&case_id).await.map_err(pe(t))?;
    let filed = s
        .custody
        .sheets(&user.principal)
        .await
        .map_err(pe(t))?
        .into_iter()
        .find(|x| x.plan == plan && x.case_id == case.id);
    let label = |k: &str, code: &str| t.s(&format!("supervision.{k}.{code}"));
    let filed_checks = filed
        .iter()
        .flat_map(|f| &f.checks)
        .map(|k| FiledCheck {
            label: label("check", k.check.code()),
            prefill: label("verdict", k.prefill.code()),
            verdict: label("verdict", k.verdict.code()),
            fail: k.verdict == Verdict::Fail,
            overridden: k.overridden,
            note: k.note.clone(),
        })
        .collect();
    Ok(SheetPage {
        c: Chrome::new(t, Some(&user), "supervision"),
        filed_checks,
        checks: prefill
            .into_iter()
            .map(|p| CheckRow {
                code: p.check.code(),
                label: t.s(&format!("supervision.check.{}", p.check.code())),
                prefill: t.s(&format!("supervision.verdict.{}", p.verdict.code())),
                fail: p.verdict == Verdict::Fail,
                basis: p.basis,
            })
            .collect(),
        kinds: s
            .custody
            .config()
            .supervision
            .consequences
            .iter()
            .map(|k| ConsequenceOption {
                code: k.code.clone(),
                label: if t.lang == Lang::En {
                    k.en.clone()
                } else {
                    k.zh.clone()
                },
            })
            .collect(),
        number: case.number,
        team: case.team,
        case_id: case.id,
        filed,
        plan,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SheetForm {
    steps: String,
    steps_note: String,
    continuity: String,
    continuity_note: String,
    custody: String,
    custody_note: String,
    finding_check: String,
    finding_text: String,
    finding_officers: String,
}

async fn file(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((plan, case_id)): Path<(String, String)>,
    Form(f): Form<SheetForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let answer = |check: Check, v: &str, note: &str| Answer {
        check,
        verdict: Verdict::parse(v.trim()),
        note: note.to_owned(),
    };
    let answers = [
        answer(Check::Steps, &f.steps, &f.steps_note),
        answer(Check::Continuity, &f.continuity, &f.continuity_note),
        answer(Check::Custody, &f.custody, &f.custody_note),
    ];
    let mut findings = Vec::new();
    if !f.finding_text.trim().is_empty() {
        let check = Check::parse(f.finding_check.trim())
            .ok_or_else(|| bad(t, "bad_request", "请选择问题所属的检查项"))?;
        findings.push(FindingSpec {
            check,
            text: f.finding_text,
            officers: names(&f.finding_officers),
        });
    }
    s.custody
        .file_inspection(&user.principal, &plan, &case_id, &answers, &findings)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to(&format!("/supervision/plans/{plan}/cases/{case_id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConsequenceForm {
    officer: String,
    code: String,
    reasoning: String,
    statement: String,
    back: String,
}

async fn consequence(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<ConsequenceForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .decide_consequence(
            &user.principal,
            &id,
            &ConsequenceSpec {
                officer: f.officer,
                code: f.code,
                reasoning: f.reasoning,
                statement: f.statement,
            },
        )
        .await
        .map_err(|e| PageError::new(e, t))?;
    // Back to the sheet (a local path only).
    let back = if f.back.starts_with("/supervision/") && !f.back.contains("//") {
        f.back
    } else {
        "/supervision".to_owned()
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OfficerQuery {
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision_officer.html")]
struct OfficerPage {
    c: Chrome,
    name: String,
    findings: Vec<(FindingView, String)>,
}

async fn officer(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<OfficerQuery>,
) -> Result<OfficerPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let name = match q.name.trim() {
        "" => user.principal.officer_name.clone(),
        n => n.to_owned(),
    };
    let findings = s
        .custody
        .officer_findings(&user.principal, &name)
        .await
        .map_err(|e| PageError::new(e, t))?
        .into_iter()
        .map(|f| {
            let at = s.custody.local_time(f.at_ms);
            (f, at)
        })
        .collect();
    Ok(OfficerPage {
        c: Chrome::new(t, Some(&user), "supervision"),
        name,
        findings,
    })
}
