//! Export packages on the request page (issue 19): build one for a made copy, download
//! its disc image.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use liuhen_app::AppError;

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
    let file = std::fs::File::open(&path)
        .map_err(|_| PageError::new(AppError::NotFound(format!("package {package}")), t))?;
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
