//! Record list, search and record pages (R3.2, R6.1), and their JSON API.
//!
//! - `GET /records`: the search form and the results; with `HX-Request` only the results
//!   (htmx swaps them in); without JavaScript the form is a plain GET.
//! - `GET /records/{id}`: every field, digests, lateness, retention, the player and the
//!   record's own audit trail. Viewing is authorized and logged.
//! - `POST /records/{id}/classification`: the records keeper's reasoned change.
//! - `GET /api/v1/records`, `GET /api/v1/records/{id}`: the same as JSON.

mod api;
pub(crate) mod params;
mod retention;
pub(crate) mod views;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::records::ClassificationChange;
use liuhen_app::search::Channel;
use liuhen_domain::RecordId;
use serde::Deserialize;

use self::params::Params;
use self::views::{Detail, Results, TrailRow};
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::playback::PlayerView;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/records", get(list_page))
        .route("/records/{id}", get(record_page))
        .route("/records/{id}/classification", post(reclassify))
        .route("/api/v1/records", get(api::list))
        .route("/api/v1/records/{id}", get(api::show))
}

pub(crate) fn parse_id(id: &str) -> Result<RecordId, ApiError> {
    RecordId::parse(id).map_err(|_| ApiError::NotFound(format!("record {id}")))
}

fn tz(s: &AppState) -> jiff::tz::TimeZone {
    s.custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

#[derive(Template, WebTemplate)]
#[template(path = "records.html")]
struct RecordsPage {
    c: Chrome,
    f: Params,
    res: Results,
}

#[derive(Template, WebTemplate)]
#[template(path = "records_results.html")]
struct RecordsResults {
    c: Chrome,
    res: Results,
}

async fn list_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    headers: HeaderMap,
    Query(f): Query<Params>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let req = f.request().map_err(|e| PageError::new(e, t))?;
    let found = s
        .custody
        .search_records(&user.principal, &req)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let res = Results::new(&found, &f, &tz(&s), t);
    let c = Chrome::new(t, Some(&user), "records");
    // htmx asks for the results only (but a history restore wants the whole page).
    let partial =
        headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request");
    Ok(if partial {
        RecordsResults { c, res }.into_response()
    } else {
        RecordsPage { c, f, res }.into_response()
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "record.html")]
struct RecordPage {
    c: Chrome,
    r: Detail,
    trail: Vec<TrailRow>,
    can_edit: bool,
    player: PlayerView,
    /// Whether the viewer may set confidentiality labels (keeper, security administrator).
    can_label: bool,
    /// Outcome of a classification change just made: "saved" or an error message.
    saved: bool,
    edit_error: Option<String>,
    /// The reviewer sheet (R2.3, R2.4).
    review: crate::reviews::Sheet,
    /// How long the record is kept and why (R2.10, R3.5).
    ret: retention::RetentionView,
    /// Preservation holds on the record or its cases (R3.7).
    holds: Vec<crate::holds::HoldView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordPageQuery {
    saved: String,
    error: String,
    reviewed: String,
}

async fn record_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Query(q): Query<RecordPageQuery>,
) -> Result<RecordPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let id = parse_id(&id).map_err(|e| PageError::new(e, t))?;
    let view = s
        .custody
        .view_record(&user.principal, &id, Channel::Web)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    let r = Detail::new(&view.record, &tz, t);
    let ret = s
        .custody
        .record_retention(&view.record.id)
        .await
        .map(|x| retention::RetentionView::new(&x, t))
        .map_err(|e| PageError::new(e, t))?;
    let holds = s
        .custody
        .holds_of_record(&view.record.id)
        .await
        .map_err(|e| PageError::new(e, t))?
        .iter()
        .map(|h| crate::holds::HoldView::new(h, &s))
        .collect();
    let player = crate::playback::player_view(&s, &view.record, &user, t).await;
    let can_label = match s.custody.record_facts(&user.principal, &view.record).await {
        Ok(f) => s.custody.allows(
            &user.principal,
            liuhen_domain::authz::Action::LabelRecord,
            &f,
        ),
        Err(_) => false,
    };
    let edit_error = match q.error.as_str() {
        "" => None,
        "reason" => Some(t.s("record.edit.reason_required").to_owned()),
        "unchanged" => Some(t.s("record.edit.unchanged").to_owned()),
        _ => Some(t.s("record.edit.failed").to_owned()),
    };
    Ok(RecordPage {
        c: Chrome::new(t, Some(&user), "records"),
        trail: view
            .trail
            .iter()
            .rev()
            .map(|e| TrailRow::new(e, &tz, t))
            .collect(),
        r,
        can_edit: view.can_edit,
        can_label,
        player,
        saved: q.saved == "1",
        edit_error,
        review: crate::reviews::sheet(&s, &user, &view.record, &q.reviewed, &tz, t)
            .await
            .map_err(|e| PageError::new(e, t))?,
        ret,
        holds,
    })
}

/// The CSRF token (`csrf` field) is checked by the `csrf` layer for every form.
#[derive(Debug, Deserialize)]
struct ReclassifyForm {
    agency: String,
    device: String,
    officer: String,
    case_name: String,
    party: String,
    /// 摄录人员; absent leaves it as it is.
    #[serde(default)]
    camera_operator: Option<String>,
    reason: String,
}

async fn reclassify(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(form): Form<ReclassifyForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let id = parse_id(&id).map_err(|e| PageError::new(e, t))?;
    let back = format!("/records/{id}");
    if form.reason.trim().is_empty() {
        return Ok(Redirect::to(&format!("{back}?error=reason")).into_response());
    }
    let change = ClassificationChange {
        agency: Some(form.agency),
        device: Some(form.device),
        officer: Some(form.officer),
        case_name: Some(form.case_name),
        party: Some(form.party),
        camera_operator: form.camera_operator,
    };
    match s
        .custody
        .reclassify(&user.principal, &id, &change, &form.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{back}?saved=1")).into_response()),
        Err(e) => {
            crate::error::inline(e, t)?.input_only()?;
            Ok(Redirect::to(&format!("{back}?error=unchanged")).into_response())
        }
    }
}
