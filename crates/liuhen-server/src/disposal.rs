//! `GET /disposal`: the draft disposal list (销毁清册, R6.3) for the roles of
//! `retention.disposal_roles`: records whose retention has ended, with no hold in force and
//! no open case. Read-only: drawing up, approving and executing a list are the JSON API's
//! (`disposal_api`).

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
    Router::new().route("/disposal", get(page))
}

struct DueRow {
    id: String,
    name: String,
    officer: String,
    stored: String,
    retain_until: String,
    cases: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "disposal.html")]
struct DisposalPage {
    c: Chrome,
    checked: String,
    rows: Vec<DueRow>,
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<DisposalPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let due = s
        .custody
        .disposal_due(&user.principal)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = s
        .custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(DisposalPage {
        c: Chrome::new(t, Some(&user), "records"),
        checked: time(s.custody.now(), &tz),
        rows: due
            .iter()
            .map(|d| DueRow {
                id: d.record.id.to_string(),
                name: d.record.original_name.clone(),
                officer: d.record.classification.officer.clone().unwrap_or_default(),
                stored: time(d.record.stored_at, &tz),
                retain_until: time(d.record.retain_until, &tz),
                cases: d.cases.join("、"),
            })
            .collect(),
    })
}
