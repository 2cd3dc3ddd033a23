use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::auth::{CurrentUser, cookie_flags};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{AppState, cookies};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(switch_language))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    records: u64,
    log_entries: u64,
}

async fn home(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, crate::ApiError>,
) -> Result<HomePage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let db = s.custody.db();
    let records = db.record_count().await.map_err(|e| PageError::new(e, t))?;
    let log_entries = db.log_size().await.map_err(|e| PageError::new(e, t))?;
    Ok(HomePage {
        c: Chrome::new(t, Some(&user), "home"),
        records,
        log_entries,
    })
}

/// Switching language changes no state on the server; it only sets the `lang` cookie.
async fn switch_language(
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let lang = if code == "en" { "en" } else { "zh" };
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".into());
    (
        StatusCode::SEE_OTHER,
        [
            (
                SET_COOKIE,
                cookies::set("lang", lang, Some(31_536_000), cookie_flags(&s, false)),
            ),
            (LOCATION, back),
        ],
    )
}
