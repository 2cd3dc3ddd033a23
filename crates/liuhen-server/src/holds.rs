//! Preservation holds (R3.7) in the UI: `GET /cases/{id}/holds` lists a case's holds, the
//! grounds its flags propose and, for the keeper, a form to place one;
//! `POST /cases/{id}/holds` places it; `POST /holds/{id}/lift` lifts one (approver, with a
//! reason). Who may place and who approves lifting is the hold policy (configuration);
//! a refused or invalid form re-renders the page with the message (400).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::AppError;
use liuhen_app::cases::CaseRow;
use liuhen_app::holds::HoldRow;
use liuhen_app::holds::HoldTarget;
use liuhen_domain::authz::Action;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/holds", get(page).post(place))
        .route("/holds/{id}/lift", post(lift))
}

/// One hold as shown.
pub struct HoldView {
    pub id: String,
    pub ground: String,
    pub note: String,
    pub placed: String,
    pub placed_by: String,
    pub in_force: bool,
    pub lifted: String,
    pub lift_reason: String,
}

impl HoldView {
    pub fn new(h: &HoldRow, s: &AppState) -> Self {
        let tz = s
            .custody
            .config()
            .utc_offset()
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let policy = s.custody.hold_policy();
        let when = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map(|t| crate::records::views::time(t, &tz))
                .unwrap_or_default()
        };
        HoldView {
            id: h.id.clone(),
            ground: policy
                .ground(&h.ground)
                .map_or_else(|| h.ground.clone(), |g| g.label.clone()),
            note: h.note.clone(),
            placed: when(h.placed_ms),
            placed_by: h.placed_by.clone(),
            in_force: h.in_force(),
            lifted: h.lifted_ms.map(when).unwrap_or_default(),
            lift_reason: h.lift_reason.clone().unwrap_or_default(),
        }
    }
}

pub struct GroundOpt {
    pub code: String,
    pub label: String,
    pub proposed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "holds.html")]
struct HoldsPage {
    c: Chrome,
    case_id: String,
    case_title: String,
    holds: Vec<HoldView>,
    grounds: Vec<GroundOpt>,
    proposed: Vec<String>,
    can_place: bool,
    can_lift: bool,
    /// A hold is in force and `who` keeps the case's unit: the long-term preservation
    /// package (R3.7) can be built from here.
    can_preserve: bool,
    done: Option<&'static str>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ShowQuery {
    done: String,
}

async fn viewed(s: &AppState, t: Tr, user: &CurrentUser, id: &str) -> Result<CaseRow, PageError> {
    let case = s.custody.case(id).await.map_err(|e| PageError::new(e, t))?;
    s.custody
        .authorize_case(&user.principal, Action::ViewCase, &case)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(case)
}

async fn render(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    case: &CaseRow,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<HoldsPage, PageError> {
    let err = |e| PageError::new(e, t);
    let holds = s.custody.holds_of_case(&case.id).await.map_err(err)?;
    let proposals = s.custody.hold_proposals(&case.id).await.map_err(err)?;
    let policy = s.custody.hold_policy();
    let roles = &user.principal.roles;
    Ok(HoldsPage {
        c: Chrome::new(t, Some(user), "cases"),
        case_id: case.id.clone(),
        case_title: format!("{} {}", case.number, case.name),
        holds: holds.iter().map(|h| HoldView::new(h, s)).collect(),
        grounds: policy
            .grounds
            .iter()
            .map(|g| GroundOpt {
                code: g.code.clone(),
                label: g.label.clone(),
                proposed: proposals.iter().any(|p| p.code == g.code),
            })
            .collect(),
        proposed: proposals.into_iter().map(|g| g.label).collect(),
        can_place: roles.iter().any(|r| policy.place_roles.contains(r)),
        can_lift: roles.iter().any(|r| policy.lift_roles.contains(r)),
        can_preserve: holds.iter().any(HoldRow::in_force)
            && user.principal.unit.as_deref() == Some(case.agency.as_str())
            && s.custody
                .allows_system(&user.principal, Action::HandleRequest),
        done,
        error,
    })
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<HoldsPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let case = viewed(&s, t, &user, &id).await?;
    let done = match q.done.as_str() {
        "placed" => Some("hold.done.placed"),
        "lifted" => Some("hold.done.lifted"),
        _ => None,
    };
    render(&s, t, &user, &case, done, None).await
}

/// The CSRF token (`csrf` field) is checked by the `csrf` layer for every form.
#[derive(Debug, Deserialize)]
struct PlaceForm {
    ground: String,
    #[serde(default)]
    note: String,
}

async fn finish(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    case: &CaseRow,
    result: Result<(), AppError>,
    done: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/cases/{}/holds?done={done}", case.id)).into_response())
        }
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            let page = render(s, t, user, case, None, Some(shown.message)).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

async fn place(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let case = viewed(&s, t, &user, &id).await?;
    let result = s
        .custody
        .place_hold(
            &user.principal,
            &HoldTarget::Case(case.id.clone()),
            &f.ground,
            &f.note,
        )
        .await
        .map(drop);
    finish(&s, t, &user, &case, result, "placed").await
}

#[derive(Debug, Deserialize)]
struct LiftForm {
    #[serde(default)]
    reason: String,
}

async fn lift(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<LiftForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let hold = s
        .custody
        .hold(&id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let Some(case_id) = hold.target.strip_prefix("case:") else {
        return Err(PageError::new(
            AppError::Invalid("只能在案件页面解除案件的保全标记 / not a case hold".into()),
            t,
        ));
    };
    let case = viewed(&s, t, &user, case_id).await?;
    let result = s
        .custody
        .lift_hold(&user.principal, &id, &f.reason)
        .await
        .map(drop);
    finish(&s, t, &user, &case, result, "lifted").await
}
