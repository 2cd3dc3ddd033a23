//! Cases in the web UI (issue 4): list and search, create, edit; the case page with its
//! steps, linked records, compliance and history lives in [`page`]; the JSON API in
//! [`api`]. Every route calls a use case that authorizes itself (`ViewCase`, `ManageCase`;
//! `liuhen_app::case_acts`); handlers only parse and render.
//!
//! - `GET /cases`, `GET /cases/new`, `POST /cases`, `GET|POST /cases/{id}/edit`
//! - `GET /cases/{id}` and the forms on it (see [`page`])

mod api;
mod archive;
pub(crate) use api::Body;
mod dashboard;
mod forms;
mod packages;
mod page;
pub(crate) mod views;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use liuhen_app::AppError;
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::NewCase;
use liuhen_domain::case::CaseFlags;

use self::forms::{ListQuery, Pairs};
use self::views::{CaseDetail, CaseItem, Opt};
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page).post(create))
        .route("/cases/new", get(new_page))
        .route("/cases/dashboard", get(dashboard::page))
        .route("/cases/dashboard/{file}", get(dashboard::export))
        .route("/cases.csv", get(export_list))
        .route("/cases/{id}", get(page::show))
        .route("/cases/{id}/compliance", get(page::compliance))
        .route("/cases/{id}/edit", get(edit_page).post(edit))
        .route("/cases/{id}/flags", post(page::flag))
        .route("/cases/{id}/packages", post(packages::build))
        .route("/cases/{id}/packages/{package}", get(packages::image))
        .route(
            "/api/v1/cases/{id}/packages",
            get(packages::api_list).post(packages::api_build),
        )
        .route(
            "/api/v1/cases/{id}/packages/{package}/image",
            get(packages::api_image),
        )
        .route("/cases/{id}/steps", post(page::add_step))
        .route("/cases/{id}/steps/{step}/pick", get(page::pick))
        .route("/cases/{id}/steps/{step}/links", post(page::link))
        .route(
            "/cases/{id}/steps/{step}/links/{record}/unlink",
            post(page::unlink),
        )
        .route("/cases/{id}/steps/{step}/explanations", post(page::explain))
        .route("/api/v1/cases", get(api::list).post(api::create))
        .route("/api/v1/cases/{id}", get(api::show).patch(api::edit))
        .route("/api/v1/cases/{id}/history", get(api::history))
        .route("/api/v1/cases/{id}/flags", post(api::flag))
        .route("/api/v1/cases/{id}/notes", post(archive::api_note))
        .route("/api/v1/cases/{id}/reopen", post(archive::api_reopen))
        .route(
            "/api/v1/cases/{id}/reopen-request",
            post(archive::api_reopen_request),
        )
        .route("/cases/{id}/notes", post(archive::note))
        .route("/cases/{id}/reopen", post(archive::reopen))
        .route("/cases/{id}/reopen-request", post(archive::reopen_request))
        .route("/api/v1/cases/{id}/steps", post(api::add_step))
        .route(
            "/api/v1/cases/{id}/steps/{step}/proposals",
            get(api::proposals),
        )
        .route("/api/v1/cases/{id}/steps/{step}/links", post(api::link))
        .route(
            "/api/v1/cases/{id}/steps/{step}/links/{record}",
            delete(api::unlink),
        )
        .route(
            "/api/v1/cases/{id}/steps/{step}/explanations",
            post(api::explain),
        )
}

pub(crate) fn tz(s: &AppState) -> jiff::tz::TimeZone {
    s.custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Errors a person can act on are shown on the page; the rest become error pages.
fn user_message(e: AppError, t: Tr) -> Result<crate::error::Inline, PageError> {
    crate::error::inline(e, t)
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
struct CasesPage {
    c: Chrome,
    f: ListQuery,
    cases: Vec<CaseItem>,
    total: u64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    can_create: bool,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    flags: Vec<Opt>,
    error: Option<String>,
}

async fn list_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<ListQuery>,
) -> Result<CasesPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    let (found, error) = match f.filter() {
        Ok(filter) => (
            Some(
                s.custody
                    .search_cases(&user.principal, &filter, f.page(), f.size())
                    .await
                    .map_err(|e| PageError::new(e, t))?,
            ),
            None,
        ),
        Err(e) => (None, Some(user_message(e, t)?.message)),
    };
    let (cases, total, page, pages) = match &found {
        Some(p) => (
            p.cases.iter().map(|c| CaseItem::new(c, &tz, t)).collect(),
            p.total,
            p.page,
            p.pages().max(1),
        ),
        None => (Vec::new(), 0, 1, 1),
    };
    Ok(CasesPage {
        c: Chrome::new(t, Some(&user), "cases"),
        prev: (page > 1).then(|| f.with_page(page - 1)),
        next: (page < pages).then(|| f.with_page(page + 1)),
        can_create: s.custody.may_create_case(&user.principal),
        f,
        cases,
        total,
        page,
        pages,
        categories: views::categories(t),
        statuses: views::statuses(t),
        flags: views::flags(t),
        error,
    })
}

/// The create and edit form (one template).
#[derive(Template, WebTemplate)]
#[template(path = "case_form.html")]
struct CaseForm {
    c: Chrome,
    /// `None`: a new case.
    id: Option<String>,
    number: String,
    name: String,
    category: String,
    status: String,
    agency: String,
    department: String,
    /// (kind, name, code), with blank rows to fill.
    parties: Vec<(String, String, String)>,
    team: String,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    error: Option<String>,
}

impl CaseForm {
    fn from_pairs(c: Chrome, id: Option<String>, p: &Pairs, error: String) -> Self {
        let mut parties: Vec<(String, String, String)> = forms::parties(p)
            .into_iter()
            .map(|r| (r.kind, r.name, r.id_or_credit_code))
            .collect();
        pad(&mut parties);
        let t = c.t;
        Self {
            c,
            id,
            number: p.get("number"),
            name: p.get("name"),
            category: p.get("category"),
            status: p.get("status"),
            agency: p.get("agency"),
            department: p.get("department"),
            parties,
            team: p.get("team"),
            categories: views::categories(t),
            statuses: views::statuses(t),
            error: Some(error),
        }
    }
}

fn pad(parties: &mut Vec<(String, String, String)>) {
    let blanks = 3usize.saturating_sub(parties.len()).max(1);
    for _ in 0..blanks {
        parties.push(("unit".into(), String::new(), String::new()));
    }
}

async fn new_page(
    State(_s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<CaseForm, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let mut parties = Vec::new();
    pad(&mut parties);
    Ok(CaseForm {
        number: String::new(),
        name: String::new(),
        category: "penalty".into(),
        status: "open".into(),
        agency: user.unit.clone().unwrap_or_default(),
        department: user.department.clone().unwrap_or_default(),
        parties,
        team: if user.principal.has(liuhen_domain::Role::Officer) {
            user.principal.officer_name.clone()
        } else {
            String::new()
        },
        c: Chrome::new(t, Some(&user), "cases"),
        id: None,
        categories: views::categories(t),
        statuses: views::statuses(t),
        error: None,
    })
}

/// A case made by a person: of their own unit, its team accounts of that unit
/// (`Custody::create_case_as` checks and authorizes).
async fn create_case(
    s: &AppState,
    user: &CurrentUser,
    new: &NewCase,
) -> Result<liuhen_app::cases::CaseRow, AppError> {
    s.custody.create_case_as(&user.principal, new).await
}

async fn create(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let new = NewCase {
            number: p.get("number"),
            name: p.get("name"),
            category: forms::category(&p.get("category"))?,
            agency: p.get("agency"),
            department: p.get("department"),
            parties: forms::parties(&p),
            team: forms::names(&p.get("team")),
            flags: CaseFlags::default(),
        };
        create_case(&s, &user, &new).await
    }
    .await;
    match result {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}?done=created", case.id)).into_response()),
        Err(e) => {
            let shown = user_message(e, t)?;
            let c = Chrome::new(t, Some(&user), "cases");
            Ok((
                shown.status,
                CaseForm::from_pairs(c, None, &p, shown.message),
            )
                .into_response())
        }
    }
}

async fn edit_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<CaseForm, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let case = s
        .custody
        .case_to_manage(&user.principal, &id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let d = CaseDetail::new(&case, &tz(&s), t);
    let mut parties: Vec<(String, String, String)> = case
        .parties
        .iter()
        .map(|p| (p.kind.clone(), p.name.clone(), p.id_or_credit_code.clone()))
        .collect();
    pad(&mut parties);
    Ok(CaseForm {
        c: Chrome::new(t, Some(&user), "cases"),
        id: Some(case.id.clone()),
        number: case.number.clone(),
        name: case.name.clone(),
        category: d.category_code.into(),
        status: d.status_code.into(),
        agency: case.agency.clone(),
        department: case.department.clone(),
        parties,
        team: d.team_text(),
        categories: views::categories(t),
        statuses: views::statuses(t),
        error: None,
    })
}

async fn edit(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let edit = CaseEdit {
            number: Some(p.get("number")),
            name: Some(p.get("name")),
            category: Some(forms::category(&p.get("category"))?),
            agency: Some(p.get("agency")),
            department: Some(p.get("department")),
            status: Some(forms::status(&p.get("status"))?),
            parties: Some(forms::parties(&p)),
            team: Some(forms::names(&p.get("team"))),
        };
        s.custody
            .edit_case(&user.principal, &id, &edit, &p.get("reason"))
            .await
    }
    .await;
    match result {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}?done=edited", case.id)).into_response()),
        Err(e) => {
            let shown = user_message(e, t)?;
            // The form posts back to the case's id, however the path named it.
            let id = s.custody.case(&id).await.map(|c| c.id).unwrap_or(id);
            let c = Chrome::new(t, Some(&user), "cases");
            Ok((
                shown.status,
                CaseForm::from_pairs(c, Some(id), &p, shown.message),
            )
                .into_response())
        }
    }
}

/// The case list with the same filters as CSV (UTF-8 with BOM), at most 1000 cases.
async fn export_list(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<ListQuery>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let filter = f.filter().map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    let mut rows = Vec::new();
    let found = s
        .custody
        .export_cases(&user.principal, &filter, 1000, "cases.csv", "csv")
        .await
        .map_err(|e| PageError::new(e, t))?;
    {
        for c in &found {
            let item = CaseItem::new(c, &tz, t);
            rows.push(vec![
                item.number,
                item.name,
                item.category.to_owned(),
                item.parties,
                c.agency.clone(),
                item.department,
                item.team,
                item.status.to_owned(),
                item.flags.join("、"),
                item.created,
            ]);
        }
    }
    let body = liuhen_app::csv::document(
        &[
            "案件编号",
            "案件名称",
            "执法类别",
            "当事人",
            "执法机构",
            "办案部门",
            "办案人员",
            "案件状态",
            "案件标记",
            "创建时间",
        ],
        &rows,
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"liuhen-cases.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
