//! Holds and disposal over the JSON API (issue 12; `docs/retention.md`):
//!
//! - `GET|POST /api/v1/records/{id}/holds`, `GET|POST /api/v1/cases/{id}/holds`: list the
//!   holds on a record (its own and its cases') or a case; place one (`ground`, `note`).
//! - `POST /api/v1/holds/{id}/lift`: the approver lifts a hold (`reason`).
//! - `GET /api/v1/disposal/due`: the records due for the disposal list.
//! - `GET|POST /api/v1/disposal/lists`: the lists; draw one up (`note`, `items`).
//! - `GET /api/v1/disposal/lists/{id}`, `POST …/decisions` (`decision`, `reason`),
//!   `POST …/execute`, `GET …/certificate.pdf` (销毁记录).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use liuhen_app::disposal_list::{DisposalList, DraftItem};
use liuhen_app::holds::{HoldRow, HoldTarget};
use liuhen_domain::approval::StepDecision;
use liuhen_domain::authz::Action;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/records/{id}/holds",
            get(record_holds).post(place_on_record),
        )
        .route(
            "/api/v1/cases/{id}/holds",
            get(case_holds).post(place_on_case),
        )
        .route("/api/v1/holds/{id}/lift", post(lift))
        .route("/api/v1/disposal/due", get(due))
        .route("/api/v1/disposal/lists", get(lists).post(draft))
        .route("/api/v1/disposal/lists/{id}", get(show))
        .route("/api/v1/disposal/lists/{id}/decisions", post(decide))
        .route("/api/v1/disposal/lists/{id}/execute", post(execute))
        .route(
            "/api/v1/disposal/lists/{id}/certificate.pdf",
            get(certificate),
        )
}

fn hold_json(h: &HoldRow) -> Value {
    json!({
        "id": h.id,
        "target": h.target,
        "ground": h.ground,
        "note": h.note,
        "placed_ms": h.placed_ms,
        "placed_by": h.placed_by,
        "in_force": h.in_force(),
        "lifted_ms": h.lifted_ms,
        "lifted_by": h.lifted_by,
        "lift_reason": h.lift_reason,
    })
}

fn list_json(l: &DisposalList) -> Value {
    json!({
        "id": l.row.id,
        "status": l.status.code(),
        "note": l.row.note,
        "drafted_ms": l.row.drafted_ms,
        "drafted_by": l.row.drafted_by,
        "chain": l.chain.iter().map(|r| r.code()).collect::<Vec<_>>(),
        "next_step": l.next_step().map(|(i, r)| json!({ "step": i, "role": r.code() })),
        "items": l.items.iter().map(|i| json!({
            "record_id": i.record_id,
            "appraisal": i.appraisal,
        })).collect::<Vec<_>>(),
        "decisions": l.decisions.iter().map(|d| json!({
            "step": d.step,
            "role": d.role.code(),
            "approver_id": d.approver_id,
            "decision": d.decision.code(),
            "reason": d.reason,
            "decided_ms": d.decided_ms,
        })).collect::<Vec<_>>(),
        "executed_ms": l.row.executed_ms,
        "executed_by": l.row.executed_by,
    })
}

async fn viewable_record(
    s: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<liuhen_domain::RecordId, ApiError> {
    let id = crate::records::parse_id(id)?;
    let record = s.custody.record(&id).await?;
    s.custody
        .authorize_record(&user.principal, Action::ViewRecord, &record)
        .await?;
    Ok(id)
}

async fn viewable_case(s: &AppState, user: &CurrentUser, id: &str) -> Result<String, ApiError> {
    let case = s.custody.case(id).await?;
    s.custody
        .authorize_case(&user.principal, Action::ViewCase, &case)
        .await?;
    Ok(case.id)
}

async fn record_holds(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let id = viewable_record(&s, &user, &id).await?;
    let holds = s.custody.holds_of_record(&id).await?;
    Ok(Json(
        json!({ "holds": holds.iter().map(hold_json).collect::<Vec<_>>() }),
    ))
}

async fn case_holds(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let id = viewable_case(&s, &user, &id).await?;
    let holds = s.custody.holds_of_case(&id).await?;
    let proposed = s.custody.hold_proposals(&id).await?;
    Ok(Json(json!({
        "holds": holds.iter().map(hold_json).collect::<Vec<_>>(),
        "proposed_grounds": proposed.iter().map(|g| g.code.as_str()).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct PlaceBody {
    ground: String,
    #[serde(default)]
    note: String,
}

const PLACE_SHAPE: &str = "{\"ground\": …, \"note\": …}";

async fn place_on_record(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: PlaceBody = ApiError::json_body(&bytes, PLACE_SHAPE)?;
    let id = viewable_record(&s, &user, &id).await?;
    let h = s
        .custody
        .place_hold(&user.principal, &HoldTarget::Record(id), &b.ground, &b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(hold_json(&h))))
}

async fn place_on_case(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: PlaceBody = ApiError::json_body(&bytes, PLACE_SHAPE)?;
    let id = viewable_case(&s, &user, &id).await?;
    let h = s
        .custody
        .place_hold(&user.principal, &HoldTarget::Case(id), &b.ground, &b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(hold_json(&h))))
}

#[derive(Deserialize)]
struct ReasonBody {
    reason: String,
}

async fn lift(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let b: ReasonBody = ApiError::json_body(&bytes, "{\"reason\": …}")?;
    let h = s.custody.lift_hold(&user.principal, &id, &b.reason).await?;
    Ok(Json(hold_json(&h)))
}

async fn due(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let due = s.custody.disposal_due(&user.principal).await?;
    Ok(Json(json!({
        "records": due.iter().map(|d| json!({
            "record_id": d.record.id.as_str(),
            "original_name": d.record.original_name,
            "retain_until": d.record.retain_until.to_string(),
            "cases": d.cases,
        })).collect::<Vec<_>>(),
    })))
}

async fn lists(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let lists = s.custody.disposal_lists(&user.principal).await?;
    Ok(Json(
        json!({ "lists": lists.iter().map(list_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct DraftBody {
    #[serde(default)]
    note: String,
    items: Vec<DraftItemBody>,
}

#[derive(Deserialize)]
struct DraftItemBody {
    record_id: String,
    appraisal: String,
}

async fn draft(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: DraftBody = ApiError::json_body(
        &bytes,
        "{\"note\": …, \"items\": [{\"record_id\": …, \"appraisal\": …}]}",
    )?;
    let mut items = Vec::with_capacity(b.items.len());
    for i in b.items {
        items.push(DraftItem {
            record: crate::records::parse_id(&i.record_id)?,
            appraisal: i.appraisal,
        });
    }
    let list = s
        .custody
        .draft_disposal_list(&user.principal, &b.note, &items)
        .await?;
    Ok((StatusCode::CREATED, Json(list_json(&list))))
}

async fn show(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    s.custody.disposal_lists_allowed(&user.principal).await?;
    Ok(Json(list_json(&s.custody.disposal_list(&id).await?)))
}

#[derive(Deserialize)]
struct DecideBody {
    decision: String,
    reason: String,
}

async fn decide(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let b: DecideBody = ApiError::json_body(
        &bytes,
        "{\"decision\": \"approve\"|\"reject\", \"reason\": …}",
    )?;
    let decision = StepDecision::parse(b.decision.trim())
        .ok_or_else(|| ApiError::bad("bad_decision", "decision 应为 approve 或 reject"))?;
    let list = s
        .custody
        .decide_disposal_list(&user.principal, &id, decision, &b.reason)
        .await?;
    Ok(Json(list_json(&list)))
}

async fn execute(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let done = s
        .custody
        .execute_disposal_list(&user.principal, &id)
        .await?;
    Ok(Json(json!({
        "id": id,
        "disposed": done.disposed.iter().map(|t| json!({
            "record_id": t.record_id,
            "sha256": t.sha256,
            "sm3": t.sm3,
        })).collect::<Vec<_>>(),
        "withheld": done.withheld.iter().map(|(r, why)| json!({
            "record_id": r,
            "reason": why,
        })).collect::<Vec<_>>(),
    })))
}

async fn certificate(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = user?;
    let bytes = s.custody.disposal_certificate(&user.principal, &id).await?;
    Ok(crate::disposition::pdf(
        false,
        &format!("disposal-{id}.pdf"),
        bytes,
    ))
}
