//! Reproducible random draws (R6.4) over the JSON API; the algorithm and the log entries are
//! specified in `docs/draws.md`.
//!
//! - `POST /api/v1/draws`: announce (population, proportion, method, seed plan).
//! - `GET /api/v1/draws/{id}`: the announcement and, once made, the result, from the log.
//! - `POST /api/v1/draws/{id}/perform`: make it (values of the announced public sources, if any).
//! - `GET /api/v1/draws/{id}/verify`: recompute it from the log.
//! - `GET /api/v1/draws/{id}/pdf`: the printable record.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use liuhen_app::draws::{DrawCheck, DrawSpec, SeedPlan};
use liuhen_domain::authz::{Action, Target};
use liuhen_domain::draw::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/draws", post(announce))
        .route("/api/v1/draws/{id}", get(show))
        .route("/api/v1/draws/{id}/perform", post(perform))
        .route("/api/v1/draws/{id}/verify", get(verify))
        .route("/api/v1/draws/{id}/pdf", get(pdf))
}

#[derive(Debug, Deserialize)]
struct AnnounceBody {
    purpose: String,
    #[serde(default = "records")]
    kind: String,
    population: Vec<String>,
    #[serde(default)]
    method: Option<String>,
    permille: u32,
    #[serde(default)]
    minimum: usize,
    /// Public future random sources (RFC 3797); none: the next signed checkpoint.
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    step: Option<String>,
}

fn records() -> String {
    "records".into()
}

#[derive(Debug, Default, Deserialize)]
struct PerformBody {
    #[serde(default)]
    values: Vec<String>,
}

async fn announce(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user?;
    let b: AnnounceBody = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad(
            "bad_body",
            "请求体应为 JSON：{\"purpose\": …, \"population\": […], \"permille\": …}",
        )
    })?;
    let method = match b.method.as_deref().map(str::trim) {
        None | Some("") => Method::Sha256,
        Some(m) => Method::parse(m).ok_or_else(|| {
            ApiError::bad("bad_method", "抽取方法应为 sha256、sm3 或 rfc3797-md5")
        })?,
    };
    let spec = DrawSpec {
        purpose: b.purpose,
        kind: b.kind,
        population: b.population,
        method,
        permille: b.permille,
        minimum: b.minimum,
        seed: if b.sources.is_empty() {
            SeedPlan::Checkpoint
        } else {
            SeedPlan::Sources(b.sources)
        },
        step: b.step.filter(|s| !s.trim().is_empty()),
        plan: None,
    };
    let id = s.custody.announce_draw(&user.principal, &spec).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn show(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    s.custody
        .authorize(&user.principal, Action::RunDraw, Target::System, None)
        .await?;
    let view = s.custody.draw(&id).await?;
    Ok(Json(json!({
        "id": id,
        "announced_seq": view.announced.seq,
        "announcement": view.announcement,
        "performed_seq": view.performed.as_ref().map(|(e, _)| e.seq),
        "result": view.performed.map(|(_, d)| d),
    })))
}

async fn perform(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let user = user?;
    let b: PerformBody = if body.is_empty() {
        PerformBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::bad("bad_body", "请求体应为 JSON：{\"values\": [\"9319\", …]}")
        })?
    };
    let selected = s
        .custody
        .perform_draw(&user.principal, &id, &b.values)
        .await?;
    Ok(Json(json!({ "id": id, "selected": selected })))
}

async fn verify(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Json<DrawCheck>, ApiError> {
    let user = user?;
    s.custody
        .authorize(&user.principal, Action::RunDraw, Target::System, None)
        .await?;
    Ok(Json(s.custody.verify_draw(&id).await?))
}

async fn pdf(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = user?;
    let bytes = s.custody.draw_pdf(&user.principal, &id).await?;
    Ok(crate::disposition::pdf(
        false,
        &format!("draw-{id}.pdf"),
        bytes,
    ))
}
