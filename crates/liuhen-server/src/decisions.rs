//! Decisions and their legal review (R5, 附件5): `/api/v1/…` as JSON and the pages in
//! [`pages`]. Every act goes through one use case of `liuhen_app::decisions`, where the
//! gate and the authorization live; these handlers only translate.

mod pages;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use liuhen_app::decisions::{
    DecisionView, InboxItem, MAX_DRAFT_BYTES, NewDecision, decision_json, round_json,
};
use liuhen_domain::decision::{ReviewOutcome, parse_yuan};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::cases::Body;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .route(
            "/api/v1/cases/{id}/decisions",
            get(api_case_decisions).post(api_create),
        )
        .route("/api/v1/decisions/{id}", get(api_show))
        .route(
            "/api/v1/decisions/{id}/draft",
            put(api_draft)
                .get(api_draft_download)
                .layer(DefaultBodyLimit::max(MAX_DRAFT_BYTES)),
        )
        .route("/api/v1/decisions/{id}/mark", post(api_mark))
        .route("/api/v1/decisions/{id}/submit", post(api_submit))
        .route("/api/v1/decisions/{id}/review", post(api_review))
        .route("/api/v1/decisions/{id}/extend", post(api_extend))
        .route("/api/v1/decisions/{id}/issue", post(api_issue))
        .route("/api/v1/decisions/{id}/serve", post(api_serve))
        .route("/api/v1/decisions/{id}/opinion.pdf", get(opinion_pdf))
        .route("/decisions/{id}/opinion.pdf", get(opinion_pdf))
        .route("/api/v1/legal-review", get(api_inbox))
        .route(
            "/api/v1/users/{id}/legal-qualification",
            put(api_qualification),
        )
}

/// A decision as drafted, from JSON or a form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewDecisionJson {
    pub kind: String,
    pub measure: String,
    pub party_type: String,
    pub party_name: String,
    /// The fine in yuan as typed ("200000", "19999.99"); only for the measure `fine`.
    pub fine_yuan: String,
    pub after_hearing: bool,
    pub summary: String,
}

impl NewDecisionJson {
    pub fn parse(&self) -> Result<NewDecision, ApiError> {
        let fine_fen = match self.fine_yuan.trim() {
            "" => 0,
            s => parse_yuan(s).ok_or_else(|| {
                ApiError::bad(
                    "invalid",
                    format!("罚款金额“{s}”格式不正确，应为元，如 200000 或 19999.99"),
                )
            })?,
        };
        Ok(NewDecision {
            kind: self
                .kind
                .parse()
                .map_err(|_| ApiError::bad("invalid", format!("未知的决定类别“{}”", self.kind)))?,
            measure: self.measure.clone(),
            party_type: self.party_type.parse().map_err(|_| {
                ApiError::bad("invalid", format!("未知的当事人类型“{}”", self.party_type))
            })?,
            party_name: self.party_name.clone(),
            fine_fen,
            after_hearing: self.after_hearing,
            summary: self.summary.clone(),
        })
    }
}

pub fn outcome(s: &str) -> Result<ReviewOutcome, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad("invalid", format!("未知的审核结论“{s}”")))
}

fn view_json(v: &DecisionView) -> Value {
    json!({
        "decision": decision_json(&v.decision),
        "case": { "id": v.case.id, "number": v.case.number, "name": v.case.name },
        "measure_name": v.measure_name,
        "legal_review_required": !v.entries.is_empty(),
        "catalog_entries": v.entries.iter().map(|(code, text)| json!({"code": code, "text": text})).collect::<Vec<_>>(),
        "rounds": v.rounds.iter().map(round_json).collect::<Vec<_>>(),
        "due_date": v.due.map(|(d, _)| d.to_string()),
        "calendar_covers_due_year": v.due.map(|(_, c)| c),
        "overdue": v.overdue,
        "compliance_report": {
            "violations": v.compliance.0,
            "warnings": v.compliance.1,
            "findings": v.compliance.2,
        },
    })
}

pub fn inbox_json(i: &InboxItem) -> Value {
    json!({
        "decision": decision_json(&i.decision),
        "case": { "id": i.case.id, "number": i.case.number, "name": i.case.name },
        "round": round_json(&i.round),
        "due_date": i.due.to_string(),
        "calendar_covers_due_year": i.calendar_covers,
        "overdue": i.overdue,
    })
}

async fn api_case_decisions(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let case = s.custody.case(&id).await?;
    s.custody
        .authorize_case(
            &user.principal,
            liuhen_domain::authz::Action::ViewCase,
            &case,
        )
        .await?;
    let list = s.custody.case_decisions(&case.id).await?;
    Ok(Json(json!({
        "decisions": list.iter().map(|d| json!({
            "decision": decision_json(d),
            "legal_review_required": s.custody.needs_review(d),
        })).collect::<Vec<_>>(),
    })))
}

async fn api_create(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<NewDecisionJson>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = b.parse()?;
    let d = s
        .custody
        .create_decision(&user.principal, &id, &new, s.custody.now())
        .await?;
    let v = s
        .custody
        .decision_view(&user.principal, &d.id, s.custody.now())
        .await?;
    Ok((StatusCode::CREATED, Json(view_json(&v))))
}

async fn api_show(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let v = s
        .custody
        .decision_view(&user.principal, &id, s.custody.now())
        .await?;
    Ok(Json(view_json(&v)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DraftQuery {
    file_name: String,
}

async fn api_draft(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let name = if q.file_name.trim().is_empty() {
        "决定书草案.bin".to_owned()
    } else {
        q.file_name
    };
    let d = s
        .custody
        .upload_draft(&user.principal, &id, &name, body.to_vec(), s.custody.now())
        .await?;
    Ok(Json(decision_json(&d)))
}

async fn api_draft_download(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, bytes) = s.custody.draft_document(&user.principal, &id).await?;
    Ok((
        [
            (
                CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/octet-stream"),
            ),
            (
                CONTENT_DISPOSITION,
                crate::disposition::content_disposition(false, &name),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonJson {
    reason: String,
}

async fn api_mark(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonJson>,
) -> Result<Json<Value>, ApiError> {
    let d = s
        .custody
        .mark_decision(&user.principal, &id, &b.reason, s.custody.now())
        .await?;
    Ok(Json(decision_json(&d)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubmitJson {
    materials: Vec<String>,
}

async fn api_submit(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<SubmitJson>,
) -> Result<Json<Value>, ApiError> {
    let r = s
        .custody
        .submit_for_review(&user.principal, &id, &b.materials, s.custody.now())
        .await?;
    Ok(Json(round_json(&r)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReviewJson {
    outcome: String,
    opinion: String,
    changes: String,
}

async fn api_review(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ReviewJson>,
) -> Result<Json<Value>, ApiError> {
    let r = s
        .custody
        .review_decision(
            &user.principal,
            &id,
            outcome(&b.outcome)?,
            &b.opinion,
            &b.changes,
            s.custody.now(),
        )
        .await?;
    Ok(Json(round_json(&r)))
}

async fn api_extend(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonJson>,
) -> Result<Json<Value>, ApiError> {
    let r = s
        .custody
        .extend_review(&user.principal, &id, &b.reason, s.custody.now())
        .await?;
    Ok(Json(round_json(&r)))
}

async fn api_issue(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = s
        .custody
        .issue_decision(&user.principal, &id, s.custody.now())
        .await?;
    Ok(Json(decision_json(&d)))
}

async fn api_serve(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = s
        .custody
        .serve_decision(&user.principal, &id, s.custody.now())
        .await?;
    Ok(Json(decision_json(&d)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoundQuery {
    round: Option<i64>,
}

async fn opinion_pdf(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RoundQuery>,
) -> Result<Response, ApiError> {
    let pdf = s.custody.opinion_pdf(&user.principal, &id, q.round).await?;
    Ok(crate::disposition::pdf(true, "法制审核意见书.pdf", pdf))
}

async fn api_inbox(State(s): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let items = s
        .custody
        .review_inbox(&user.principal, s.custody.now())
        .await?;
    Ok(Json(json!({
        "pending": items.iter().map(inbox_json).collect::<Vec<_>>(),
        "overdue": items.iter().filter(|i| i.overdue).count(),
    })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QualificationJson {
    cert_no: String,
}

async fn api_qualification(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<QualificationJson>,
) -> Result<Json<Value>, ApiError> {
    let q = s
        .custody
        .set_legal_qualification(&user.principal, &id, &b.cert_no, s.custody.now())
        .await?;
    Ok(Json(liuhen_app::decisions::qualification_json(&q)))
}
