//! `GET /health`: the health page for signed-in users — storage writes (the same state as
//! `/healthz`), the log's size, and the last full fixity pass (R6.2) with the next one due.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::records::views::time;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/health", get(page))
}

struct PassRow {
    finished: String,
    originals: u64,
    failed: u64,
    bytes: u64,
    next_due: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "health.html")]
struct HealthPage {
    c: Chrome,
    fault: Option<String>,
    blob_store: &'static str,
    log_entries: u64,
    last: Option<PassRow>,
    every_days: u32,
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<HealthPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let c = &s.custody;
    let tz = c.config().utc_offset().unwrap_or(jiff::tz::TimeZone::UTC);
    let log_entries = c.log_size().await.map_err(|e| PageError::new(e, t))?;
    let last = c
        .fixity_last_pass()
        .await
        .map_err(|e| PageError::new(e, t))?
        .map(|p| PassRow {
            finished: time(p.finished, &tz),
            originals: p.originals,
            failed: p.failed,
            bytes: p.bytes,
            next_due: time(p.next_due, &tz),
        });
    Ok(HealthPage {
        c: Chrome::new(t, Some(&user), "home"),
        fault: c.write_fault().map(|f| f.message),
        blob_store: c.blobs().kind(),
        log_entries,
        last,
        every_days: c.config().fixity.every_days,
    })
}
