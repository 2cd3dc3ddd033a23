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
    /// Records the person may see (issue 18: not the bureau's total).
    records: u64,
    log_entries: u64,
    /// To-dos (issue 18).
    my_late: u64,
    waiting_for_me: usize,
    /// The person's decided requests: (id, number, status label, status code).
    my_decided: Vec<(String, String, &'static str, &'static str)>,
    /// The legal office: reviews waiting in its inbox (`None`: not the legal office) and
    /// how many of them are overdue (alerted).
    reviews_pending: Option<usize>,
    reviews_overdue: usize,
}

async fn home(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, crate::ApiError>,
) -> Result<HomePage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let counts = s
        .custody
        .home_counts(&user.principal)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let log_entries = s
        .custody
        .log_size()
        .await
        .map_err(|e| PageError::new(e, t))?;
    let c = Chrome::new(t, Some(&user), "home");
    let (mut reviews_pending, mut reviews_overdue) = (None, 0);
    if c.can_legal_review {
        let items = s
            .custody
            .review_inbox(&user.principal, s.custody.now())
            .await
            .map_err(|e| PageError::new(e, t))?;
        reviews_pending = Some(items.len());
        reviews_overdue = items.iter().filter(|i| i.overdue).count();
    }
    let my_decided = counts
        .my_decided
        .iter()
        .map(|(id, number, status)| {
            (
                id.clone(),
                number.clone(),
                t.s(&format!("access.status.{}", status.code())),
                status.code(),
            )
        })
        .collect();
    Ok(HomePage {
        c,
        records: counts.records,
        my_late: counts.my_late,
        waiting_for_me: counts.waiting_for_me,
        my_decided,
        log_entries,
        reviews_pending,
        reviews_overdue,
    })
}

/// The path of the `Referer` when it is a page of this site (same host as the request),
/// and a plain absolute path (`/…`, not `//host` or `/\\host`, which browsers take as
/// another origin); else `None`. `/lang` never redirects anywhere else.
pub fn same_origin_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(axum::http::header::REFERER)?.to_str().ok()?;
    let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if !authority.eq_ignore_ascii_case(host) || authority.contains('@') {
        return None;
    }
    let path = if path.starts_with('/') { path } else { "/" };
    let bad = path.starts_with("//")
        || path.starts_with("/\\")
        || path.chars().any(|c| c.is_control() || c == '\\');
    (!bad).then(|| path.to_owned())
}

/// Switching language changes no state on the server; it only sets the `lang` cookie.
async fn switch_language(
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let lang = if code == "en" { "en" } else { "zh" };
    let back = same_origin_path(&headers).unwrap_or_else(|| "/".into());
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
