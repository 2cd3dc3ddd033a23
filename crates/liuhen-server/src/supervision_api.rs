//! Supervision over the JSON API (issue 20; `docs/supervision.md`). The draws themselves
//! are `/api/v1/draws` (`draws.rs`); the use cases authorize themselves.
//!
//! - `GET|POST /api/v1/supervision/plans`: the plans, newest first; make one (a `Plan`).
//! - `GET /api/v1/supervision/plans/{id}`: a plan with its draws and selections.
//! - `POST /api/v1/supervision/plans/{id}/draws`: announce one draw per unit.
//! - `POST /api/v1/supervision/plans/{id}/perform`: make the plan's draws not yet made.
//! - `GET /api/v1/supervision/plans/{id}/cases/{case}/prefill`: the three checks pre-filled.
//! - `POST /api/v1/supervision/plans/{id}/cases/{case}/sheet`: file the inspection sheet.
//! - `GET /api/v1/supervision/sheets`: every filed sheet with findings and consequences.
//! - `POST /api/v1/supervision/findings/{id}/consequences`: decide a consequence.
//! - `GET /api/v1/supervision/officers/{name}/findings`: an officer's record of findings.
//! - `GET /api/v1/supervision/assessment?from=&to=&unit=&format=json|csv&headers=zh|en`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use liuhen_app::consequences::{ConsequenceSpec, ConsequenceView};
use liuhen_app::draws::SeedPlan;
use liuhen_app::supervision::{FindingView, PlanView, SheetView};
use liuhen_domain::draw::Method;
use liuhen_domain::supervision::Plan;
use liuhen_domain::supervision::inspection::{Answer, FindingSpec};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::register::date;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/supervision/plans", get(plans).post(create))
        .route("/api/v1/supervision/plans/{id}", get(plan))
        .route("/api/v1/supervision/plans/{id}/draws", post(draws))
        .route("/api/v1/supervision/plans/{id}/perform", post(perform))
        .route(
            "/api/v1/supervision/plans/{id}/cases/{case}/prefill",
            get(prefill),
        )
        .route(
            "/api/v1/supervision/plans/{id}/cases/{case}/sheet",
            post(file),
        )
        .route("/api/v1/supervision/sheets", get(sheets))
        .route(
            "/api/v1/supervision/findings/{id}/consequences",
            post(consequence),
        )
        .route("/api/v1/supervision/officers/{name}/findings", get(officer))
        .route("/api/v1/supervision/assessment", get(assessment))
}

fn plan_json(v: &PlanView) -> Value {
    json!({
        "id": v.id,
        "created_seq": v.entry.seq,
        "created_by": v.entry.actor,
        "plan": v.plan,
        "draws": v.draws.iter().map(|d| json!({
            "unit": d.unit,
            "draw": d.draw,
            "population": d.population,
            "selected": d.selected,
        })).collect::<Vec<_>>(),
    })
}

fn consequence_json(c: &ConsequenceView) -> Value {
    json!({
        "id": c.id,
        "officer": c.officer,
        "code": c.code,
        "label_zh": c.label_zh,
        "decided_by": c.decided_by,
        "at_ms": c.at_ms,
        "reasoning": c.reasoning,
        "statement": c.statement,
    })
}

fn finding_json(f: &FindingView) -> Value {
    json!({
        "id": f.id,
        "sheet": f.sheet,
        "case_number": f.case_number,
        "unit": f.unit,
        "check": f.spec.check,
        "text": f.spec.text,
        "officers": f.spec.officers,
        "at_ms": f.at_ms,
        "consequences": f.consequences.iter().map(consequence_json).collect::<Vec<_>>(),
    })
}

fn sheet_json(s: &SheetView) -> Value {
    json!({
        "id": s.id,
        "seq": s.entry.seq,
        "filed_by": s.entry.actor,
        "at_ms": s.entry.at_ms,
        "plan": s.plan,
        "case": s.case_id,
        "case_number": s.case_number,
        "unit": s.unit,
        "team": s.team,
        "checks": s.checks,
        "findings": s.findings.iter().map(finding_json).collect::<Vec<_>>(),
    })
}

async fn plans(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let plans = s.custody.plans(&user.principal).await?;
    Ok(Json(
        json!({ "plans": plans.iter().map(plan_json).collect::<Vec<_>>() }),
    ))
}

async fn create(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let plan: Plan = ApiError::json_body(
        &bytes,
        "计划 {\"title\", \"from\", \"to\", \"units\", \"permille\", \"minimum\"}",
    )?;
    let id = s.custody.create_plan(&user.principal, &plan).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn plan(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    Ok(Json(plan_json(
        &s.custody.plan(&user.principal, &id).await?,
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DrawsBody {
    method: Option<String>,
    /// Public future random sources (RFC 3797); none: the next signed checkpoint.
    sources: Vec<String>,
    step: Option<String>,
}

async fn draws(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: DrawsBody = if bytes.is_empty() {
        DrawsBody::default()
    } else {
        ApiError::json_body(&bytes, "{\"method\": …, \"sources\": […], \"step\": …}")?
    };
    let method = match b.method.as_deref().map(str::trim) {
        None | Some("") => Method::Sha256,
        Some(m) => Method::parse(m).ok_or_else(|| {
            ApiError::bad("bad_method", "抽取方法应为 sha256、sm3 或 rfc3797-md5")
        })?,
    };
    let seed = if b.sources.is_empty() {
        SeedPlan::Checkpoint
    } else {
        SeedPlan::Sources(b.sources)
    };
    let step = b.step.filter(|s| !s.trim().is_empty());
    let made = s
        .custody
        .announce_plan_draws(&user.principal, &id, method, seed, step)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "draws": made.iter().map(|(unit, draw)| json!({ "unit": unit, "draw": draw }))
                .collect::<Vec<_>>()
        })),
    ))
}

async fn perform(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let view = s.custody.plan(&user.principal, &id).await?;
    for d in view.draws.iter().filter(|d| d.selected.is_none()) {
        s.custody
            .perform_draw(&user.principal, &d.draw, &[])
            .await?;
    }
    Ok(Json(plan_json(
        &s.custody.plan(&user.principal, &id).await?,
    )))
}

async fn prefill(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path((id, case)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let checks = s
        .custody
        .inspection_prefill(&user.principal, &id, &case)
        .await?;
    Ok(Json(json!({ "plan": id, "case": case, "checks": checks })))
}

#[derive(Debug, Deserialize)]
struct SheetBody {
    #[serde(default)]
    answers: Vec<Answer>,
    #[serde(default)]
    findings: Vec<FindingSpec>,
}

async fn file(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path((id, case)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: SheetBody = ApiError::json_body(
        &bytes,
        "{\"answers\": [{\"check\", \"verdict\", \"note\"}], \"findings\": [{\"check\", \"text\", \"officers\"}]}",
    )?;
    let sheet = s
        .custody
        .file_inspection(&user.principal, &id, &case, &b.answers, &b.findings)
        .await?;
    let filed = s
        .custody
        .sheets(&user.principal)
        .await?
        .into_iter()
        .find(|x| x.id == sheet)
        .map(|x| sheet_json(&x))
        .unwrap_or_else(|| json!({ "id": sheet }));
    Ok((StatusCode::CREATED, Json(filed)))
}

async fn sheets(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let sheets = s.custody.sheets(&user.principal).await?;
    Ok(Json(
        json!({ "sheets": sheets.iter().map(sheet_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
struct ConsequenceBody {
    officer: String,
    code: String,
    reasoning: String,
    statement: String,
}

async fn consequence(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: ConsequenceBody = ApiError::json_body(
        &bytes,
        "{\"officer\", \"code\", \"reasoning\", \"statement\"}",
    )?;
    let consequence = s
        .custody
        .decide_consequence(
            &user.principal,
            &id,
            &ConsequenceSpec {
                officer: b.officer,
                code: b.code,
                reasoning: b.reasoning,
                statement: b.statement,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": consequence, "finding": id })),
    ))
}

async fn officer(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let findings = s.custody.officer_findings(&user.principal, &name).await?;
    Ok(Json(json!({
        "officer": name,
        "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AssessmentQuery {
    from: String,
    to: String,
    unit: String,
    format: String,
    headers: String,
}

async fn assessment(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<AssessmentQuery>,
) -> Result<Response, ApiError> {
    let user = user?;
    let (Some(from), Some(to)) = (date(&q.from, "起始日期")?, date(&q.to, "结束日期")?)
    else {
        return Err(ApiError::bad(
            "bad_date",
            "请给出考评期间 from 与 to（YYYY-MM-DD）",
        ));
    };
    let english = match q.headers.as_str() {
        "" | "zh" => false,
        "en" => true,
        _ => return Err(ApiError::bad("bad_format", "headers 应为 zh 或 en")),
    };
    let report = s
        .custody
        .assessment(&user.principal, from, to, Some(q.unit.as_str()))
        .await?;
    match q.format.as_str() {
        "" | "json" => {}
        "csv" => {
            return Ok((
                [
                    (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"assessment-{from}-{to}.csv\""),
                    ),
                    (CACHE_CONTROL, "no-store".to_owned()),
                ],
                report.csv_with(english),
            )
                .into_response());
        }
        _ => return Err(ApiError::bad("bad_format", "format 应为 json 或 csv")),
    }
    let a = &report.assessment;
    let line =
        |unit: &str, officer: Option<&str>, l: &liuhen_domain::supervision::assessment::Line| {
            let mut v = serde_json::to_value(l).unwrap_or_default();
            v["unit"] = json!(unit);
            v["officer"] = json!(officer);
            v["lateness_permille"] = json!(l.lateness_permille());
            v["coverage_permille"] = json!(l.coverage_permille());
            v
        };
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "unit": report.unit,
        "total": line("", None, &a.total()),
        "units": a.by_unit.iter().map(|(u, l)| line(u, None, l)).collect::<Vec<_>>(),
        "officers": a.by_officer.iter().map(|((u, o), l)| line(u, Some(o), l)).collect::<Vec<_>>(),
        "consequence_kinds": report.consequence_kinds.iter()
            .map(|(code, zh)| json!({ "code": code, "label_zh": zh })).collect::<Vec<_>>(),
    }))
    .into_response())
}
