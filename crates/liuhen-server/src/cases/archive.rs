//! An archived case file (R4.7): notes appended to it and its reopening (a reasoned
//! request, then an approval or a decline by a reopening role, never the requester), as
//! forms on the case page and as `POST /api/v1/cases/{id}/notes`, `…/reopen-request` and
//! `…/reopen`.

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use liuhen_app::cases::case_json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::Body;
use super::forms::Pairs;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiNote {
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiReopenRequest {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiReopen {
    reason: String,
    /// Decline the pending request instead of approving it.
    #[serde(default)]
    decline: bool,
}

/// Appends a note (the case team or a keeper: whoever may manage the case).
pub async fn api_note(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiNote>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let case = s
        .custody
        .append_case_note_as(&user.principal, &id, &b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "case": case.id }))))
}

/// Asks for an archived case to be reopened, with a reason (the case team, keepers).
pub async fn api_reopen_request(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiReopenRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let r = s
        .custody
        .request_reopen(&user.principal, &id, &b.reason)
        .await?;
    let case = s.custody.case(&id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "case": case.id, "request": r.seq, "reason": r.reason })),
    ))
}

/// Approves (or declines) the pending request to reopen an archived case: a role named
/// in `[cases] reopen_roles` of the case's unit, not the requester, with a reason.
pub async fn api_reopen(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiReopen>,
) -> Result<Json<Value>, ApiError> {
    let case = s
        .custody
        .reopen_case(&user.principal, &id, !b.decline, &b.reason)
        .await?;
    Ok(Json(case_json(&case)))
}

pub async fn note(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let result = s
        .custody
        .append_case_note_as(&user.principal, &id, &Pairs(p).get("note"))
        .await
        .map(drop);
    super::page::finish(&s, t, &user, &id, result, "noted", "#archived").await
}

pub async fn reopen(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let approve = p.get("decision") != "decline";
    let result = s
        .custody
        .reopen_case(&user.principal, &id, approve, &p.get("reason"))
        .await
        .map(drop);
    let done = if approve {
        "reopened"
    } else {
        "reopen_declined"
    };
    super::page::finish(&s, t, &user, &id, result, done, "").await
}

pub async fn reopen_request(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let result = s
        .custody
        .request_reopen(&user.principal, &id, &Pairs(p).get("reason"))
        .await
        .map(drop);
    super::page::finish(&s, t, &user, &id, result, "reopen_requested", "#archived").await
}
