//! Export packages on the request page (issue 19): build one for a made copy, download
//! its disc image; the disc-burn record form's page (participants confirm, the keeper
//! prints it and attaches the signed scan), for a copy request's package
//! (`/access/requests/{id}/packages/{package}/burn…`) and a case's own
//! (`/cases/{id}/packages/{package}/burn…`; no scan yet).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use liuhen_app::AppError;
use liuhen_app::package::burn::Owner;

use super::after;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

/// Builds the export package of the made copy (and its disc image) on the server.
pub(super) async fn build(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s
        .custody
        .export_package_stored(&user.principal, &user.display_name, &id)
        .await;
    after(&s, t, &user, &id, r).await
}

/// The disc image of a package, for burning.
pub(super) async fn image(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let path = s
        .custody
        .package_image(&user.principal, &id, &package)
        .await
        .map_err(|e| PageError::new(e, t))?;
    iso_response(&path, &package).map_err(|e| PageError::new(e, t))
}

/// A package's disc image at `path` as a download (`liuhen-<package>.iso`), streamed.
pub(crate) fn iso_response(path: &std::path::Path, package: &str) -> Result<Response, AppError> {
    let file =
        std::fs::File::open(path).map_err(|_| AppError::NotFound(format!("package {package}")))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let body = axum::body::Body::new(crate::playback::stream_reader(Box::new(file)));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/x-iso9660-image"),
    );
    h.insert(axum::http::header::CONTENT_LENGTH, len.into());
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&format!("attachment; filename=\"liuhen-{package}.iso\""))
    {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// One line of the burn form's people.
pub(super) struct PersonLine {
    pub name: String,
    pub role: &'static str,
    pub confirmed: String,
}

/// One attached scan.
pub(super) struct ScanLine {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub at: String,
}

#[derive(askama::Template, askama_web::WebTemplate)]
#[template(path = "burn_form.html")]
pub(super) struct BurnPage {
    c: crate::chrome::Chrome,
    /// The package's URL (`…/packages/{package}`); the form's routes are under it.
    base: String,
    /// The owner's page (request or case).
    back: String,
    /// The scans' API (`…/packages/{package}/scan`), for a copy request's package.
    scans_api: Option<String>,
    package: String,
    people: Vec<PersonLine>,
    scans: Vec<ScanLine>,
    keeper: bool,
    may_confirm: bool,
    confirmed: String,
    error: Option<String>,
}

fn urls(owner: Owner<'_>, package: &str) -> (String, String) {
    let back = match owner {
        Owner::Request(id) => format!("/access/requests/{id}"),
        Owner::Case(id) => format!("/cases/{id}"),
    };
    (format!("{back}/packages/{package}"), back)
}

async fn render_burn(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    owner: Owner<'_>,
    package: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let sheet = s
        .custody
        .burn_sheet(&user.principal, owner, package)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = super::views::tz(s);
    let when = |ms: Option<i64>| ms.map(|ms| super::views::when(ms, &tz)).unwrap_or_default();
    let (base, back) = urls(owner, package);
    Ok(BurnPage {
        c: crate::chrome::Chrome::new(t, Some(user), "access"),
        scans_api: match owner {
            Owner::Request(id) => Some(format!(
                "/api/v1/access/requests/{id}/packages/{package}/scan"
            )),
            Owner::Case(_) => None,
        },
        base,
        back,
        package: sheet.package.clone(),
        people: sheet
            .people
            .iter()
            .map(|p| PersonLine {
                name: p.name.clone(),
                role: p.role,
                confirmed: when(p.confirmed_ms),
            })
            .collect(),
        scans: sheet
            .scans
            .iter()
            .map(|x| ScanLine {
                name: x.name.clone(),
                sha256: x.sha256.clone(),
                size: x.size,
                at: when(Some(x.at_ms)),
            })
            .collect(),
        keeper: sheet.keeper,
        may_confirm: sheet
            .mine
            .as_ref()
            .is_some_and(|m| m.confirmed_ms.is_none()),
        confirmed: when(sheet.mine.and_then(|m| m.confirmed_ms)),
        error,
    }
    .into_response())
}

/// The disc-burn record form of a copy's package: its people and their confirmations,
/// the scans; a participant confirms here, a keeper prints the form and attaches the scan.
pub(super) async fn burn_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render_burn(&s, t, &user, Owner::Request(&id), &package, None).await
}

/// The disc-burn record form of a case's own package.
pub(super) async fn case_burn_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render_burn(&s, t, &user, Owner::Case(&id), &package, None).await
}

/// A participant confirms the form (logged with name and time).
async fn confirm(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    owner: Owner<'_>,
    package: &str,
) -> Result<Response, PageError> {
    let r = s
        .custody
        .confirm_burn_form(&user.principal, &user.display_name, owner, package)
        .await;
    match r {
        Ok(_) => Ok(
            axum::response::Redirect::to(&format!("{}/burn", urls(owner, package).0))
                .into_response(),
        ),
        Err(e) => {
            let m = super::flash(e, t)?;
            render_burn(s, t, user, owner, package, Some(m)).await
        }
    }
}

/// A participant confirms a copy's package's form.
pub(super) async fn burn_confirm(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    confirm(&s, t, &user, Owner::Request(&id), &package).await
}

/// A participant confirms a case's own package's form.
pub(super) async fn case_burn_confirm(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    confirm(&s, t, &user, Owner::Case(&id), &package).await
}

async fn pdf(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    owner: Owner<'_>,
    package: &str,
) -> Result<Response, PageError> {
    let pdf = s
        .custody
        .burn_form_pdf(&user.principal, owner, package)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(crate::disposition::pdf(true, "burn-form.pdf", pdf))
}

/// A case's own package's form as a PDF, for printing and signing by hand.
pub(super) async fn case_burn_pdf(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    pdf(&s, t, &user, Owner::Case(&id), &package).await
}

/// The form as a PDF with the confirmations so far, for printing and signing by hand.
pub(super) async fn burn_pdf(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    pdf(&s, t, &user, Owner::Request(&id), &package).await
}
