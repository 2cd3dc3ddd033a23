//! Identity by account (issue 10.1) on the web: the page of unresolved identities
//! (`/admin/identities`: records whose officer maps to no account, case team members
//! without one, cameras the station holds), where the unit's records keeper resolves each
//! row (the use cases of `liuhen identity resolve-record|resolve-member`, logged), and the
//! police number (警号) of an account, set by the system administrator on the users page
//! or through `PUT /api/v1/users/{id}/police-number` (a session only: no API token reaches
//! `/api/v1/users…`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use liuhen_app::identity_admin::UnresolvedView;
use liuhen_app::station::registry::Held;
use liuhen_domain::RecordId;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::cases::Body;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

/// Rows shown at most per kind.
const PAGE_LIMIT: u32 = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/identities", get(page))
        .route("/admin/identities/records/{id}", post(resolve_record))
        .route(
            "/admin/identities/cases/{case}/members/{position}",
            post(resolve_member),
        )
        .route("/admin/users/{id}/police-number", post(police_form))
        .route("/api/v1/users/{id}/police-number", put(police_api))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_identities.html")]
struct IdentitiesPage {
    c: Chrome,
    view: UnresolvedView,
    held: Vec<Held>,
    error: Option<String>,
    done: bool,
}

async fn render(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    error: Option<String>,
    done: bool,
) -> Result<IdentitiesPage, PageError> {
    let e = |e| PageError::new(e, t);
    let view = s
        .custody
        .unresolved_for(&user.principal, PAGE_LIMIT)
        .await
        .map_err(e)?;
    let held = s.custody.station_held().await.map_err(e)?;
    Ok(IdentitiesPage {
        c: Chrome::new(t, Some(user), "identities"),
        view,
        held,
        error,
        done,
    })
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<IdentitiesPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render(&s, t, &user, None, q.contains_key("done")).await
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    reason: String,
}

/// After a resolution: the page again, with the refusal of a wrong input shown (400).
async fn answer(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    result: Result<(), liuhen_app::AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to("/admin/identities?done=1").into_response()),
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            Ok((
                shown.status,
                render(s, t, user, Some(shown.message), false).await?,
            )
                .into_response())
        }
    }
}

async fn resolve_record(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let Ok(id) = RecordId::parse(&id) else {
        return Err(PageError::new(
            ApiError::NotFound(format!("记录 record {id}")),
            t,
        ));
    };
    let r = s
        .custody
        .resolve_record_officer_as(&user.principal, &id, &f.username, &f.reason)
        .await;
    answer(&s, t, &user, r).await
}

async fn resolve_member(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((case, position)): Path<(String, i64)>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s
        .custody
        .resolve_team_member_as(&user.principal, &case, position, &f.username, &f.reason)
        .await;
    answer(&s, t, &user, r).await
}

#[derive(Deserialize)]
struct PoliceJson {
    #[serde(default)]
    police_number: String,
}

async fn police_form(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<PoliceJson>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .set_police_number(&user.principal, &id, &f.police_number)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/admin/users"))
}

async fn police_api(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<PoliceJson>,
) -> Result<Json<Value>, ApiError> {
    let n = s
        .custody
        .set_police_number(&user.principal, &id, &b.police_number)
        .await?;
    Ok(Json(json!({"user_id": id, "police_number": n})))
}
