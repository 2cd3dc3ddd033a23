//! Misconduct signals for supervisors (R3.13), and the refusal to delete originals.
//!
//! - `GET /alerts`: signals of a period with the log entries behind each; a supervisor
//!   acknowledges one with a note (`POST /alerts/ack`).
//! - `GET /api/v1/alerts`, `POST /api/v1/alerts/ack`: the same as JSON.
//! - `DELETE /api/v1/records/{id}`: always refused (403 `originals_never_deleted`) and
//!   logged as `access.refused` with action `record.delete`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use liuhen_app::AppError;
use liuhen_app::alerts::{AlertList, AlertQuery, EVIDENCE_SHOWN};
use liuhen_app::alerts::{AuditEntry, EntryBody};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::Action;
use liuhen_domain::signals::SignalKind;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::register::{date, kind_label, urlencode};
use crate::{ApiError, AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(page))
        .route("/alerts/ack", post(ack_form))
        .route("/api/v1/alerts", get(api_list))
        .route("/api/v1/alerts/ack", post(api_ack))
        .route("/api/v1/records/{id}", delete(delete_record))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Params {
    from: String,
    to: String,
    kind: String,
    all: String,
    acked: String,
    page: String,
}

impl Params {
    fn query(&self) -> Result<AlertQuery, ApiError> {
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(
                SignalKind::parse(k).ok_or_else(|| ApiError::bad("bad_kind", "未知的预警类型"))?,
            ),
        };
        Ok(AlertQuery {
            from: date(&self.from, "起始日期")?,
            to: date(&self.to, "结束日期")?,
            kind,
            all: matches!(self.all.trim(), "1" | "true" | "on"),
            page: match self.page.trim() {
                "" => 1,
                p => p
                    .parse()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| ApiError::bad("bad_number", "页码应为正整数"))?,
            },
        })
    }
}

struct EntryView {
    seq: u64,
    time: String,
    action: String,
    subject: String,
    details: String,
}

struct AlertView {
    key: String,
    kind: &'static str,
    who: String,
    first: String,
    last: String,
    detail: String,
    evidence: Vec<EntryView>,
    evidence_total: usize,
    context: Vec<EntryView>,
    acked: Option<(String, String, String)>,
}

use crate::chrome::Opt as KindOption;

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
struct Page {
    c: Chrome,
    f: Params,
    kinds: Vec<KindOption>,
    alerts: Vec<AlertView>,
    from: String,
    to: String,
    can_ack: bool,
    audit_links: bool,
    /// Query string to come back to after an acknowledgement.
    back: String,
    acked_now: bool,
    total: usize,
    page: u32,
    pages: u32,
}

impl Page {
    fn page_link(&self, page: u32) -> String {
        crate::chrome::page_href("/alerts", &self.back, page)
    }
}

fn kind_key(k: SignalKind) -> String {
    format!("alerts.kind.{}", k.code())
}

/// A short, readable form of an entry's details.
fn summary(e: &AuditEntry) -> String {
    let details = EntryBody::parse(&e.body)
        .map(|b| b.details.to_string())
        .unwrap_or_default();
    let mut s: String = details.chars().take(240).collect();
    if details.chars().count() > 240 {
        s.push('…');
    }
    s
}

fn entry_view(s: &AppState, t: Tr, e: &AuditEntry, names: &HashMap<String, String>) -> EntryView {
    let label = AuditAction::parse(&e.action).map_or("", |a| t.label(a));
    let actor = names
        .get(&e.actor)
        .cloned()
        .unwrap_or_else(|| e.actor.clone());
    EntryView {
        seq: e.seq,
        time: s.custody.local_time(e.at_ms),
        action: format!("{label} {} · {actor}", e.action),
        subject: e.subject.clone().unwrap_or_default(),
        details: summary(e),
    }
}

/// Reasons and refused actions with a label in the catalog (`alerts.reason.<code>`).
const REASONS: &[&str] = &[
    "outside_scope",
    "outside_grant",
    "no_grant",
    "grant_expired",
    "grant_revoked",
    "grant_unknown",
    "grant_other_user",
    "record_not_granted",
    "before_grant",
    "record.delete",
];

fn detail_text(t: Tr, kind: SignalKind, detail: &str) -> String {
    match kind {
        SignalKind::RepeatedRefusals | SignalKind::BulkTakeaway => {
            format!("{} {detail}", t.s("alerts.d.burst"))
        }
        SignalKind::ReviewOverdue => {
            let mut parts = detail.split(" · ");
            let (case, round, due) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            format!(
                "{case}，{} {round}，{} {due}",
                t.s("alerts.d.review_round"),
                t.s("alerts.d.review_due")
            )
        }
        _ => detail
            .split(',')
            .map(|code| {
                if REASONS.contains(&code) {
                    t.s(&format!("alerts.reason.{code}")).to_owned()
                } else if liuhen_domain::register::kind(code).is_some() {
                    kind_label(code, t.lang)
                } else {
                    code.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("、"),
    }
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<Params>,
) -> Result<Page, PageError> {
    let e = |e| PageError::new(e, t);
    let user = user.map_err(e)?;
    let q = f.query().map_err(e)?;
    let list: AlertList = s
        .custody
        .alerts(&user.principal, &q)
        .await
        .map_err(|x| PageError::new(x, t))?;
    let names = actor_names(&s, &list)
        .await
        .map_err(|x| PageError::new(x, t))?;
    let view = |seqs: &[u64]| -> Vec<EntryView> {
        seqs.iter()
            .filter_map(|q| list.entries.get(q))
            .map(|e| entry_view(&s, t, e, &names))
            .collect()
    };
    let alerts = list
        .alerts
        .iter()
        .map(|a| AlertView {
            key: a.key.clone(),
            kind: t.s(&kind_key(a.signal.kind)),
            who: a.actor_name.clone(),
            first: s.custody.local_time(a.signal.first_ms),
            last: s.custody.local_time(a.signal.last_ms),
            detail: detail_text(t, a.signal.kind, &a.signal.detail),
            evidence: view(&a.signal.evidence[..a.signal.evidence.len().min(EVIDENCE_SHOWN)]),
            evidence_total: a.signal.evidence.len(),
            context: view(&a.signal.context),
            acked: a.ack.as_ref().map(|k| {
                (
                    a.acked_by_name.clone().unwrap_or_default(),
                    s.custody.local_time(k.acked_ms),
                    k.note.clone(),
                )
            }),
        })
        .collect();
    let kinds = SignalKind::ALL
        .iter()
        .map(|k| KindOption {
            code: k.code(),
            label: t.s(&kind_key(*k)),
        })
        .collect();
    let back = [
        ("from", &f.from),
        ("to", &f.to),
        ("kind", &f.kind),
        ("all", &f.all),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
    .collect::<Vec<_>>()
    .join("&");
    Ok(Page {
        can_ack: s
            .custody
            .allows_system(&user.principal, Action::AcknowledgeAlert),
        audit_links: s
            .custody
            .allows_system(&user.principal, Action::ViewAuditLog),
        c: Chrome::new(t, Some(&user), "alerts"),
        acked_now: f.acked == "1",
        f,
        kinds,
        alerts,
        from: list.from.to_string(),
        to: list.to.to_string(),
        back,
        total: list.total,
        page: list.page,
        pages: list.pages,
    })
}

async fn actor_names(s: &AppState, list: &AlertList) -> Result<HashMap<String, String>, AppError> {
    let mut actors: Vec<String> = list.entries.values().map(|e| e.actor.clone()).collect();
    actors.sort();
    actors.dedup();
    s.custody.display_names(&actors).await
}

#[derive(Deserialize)]
struct AckForm {
    key: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

async fn ack_form(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<AckForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .acknowledge_alert(&user.principal, &f.key, &f.note)
        .await
        .map_err(|e| PageError::new(e, t))?;
    // Only our own query string goes back into the redirect.
    let back: String = f
        .back
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "=&%-_.".contains(*c))
        .collect();
    let to = if back.is_empty() {
        "/alerts?acked=1".to_owned()
    } else {
        format!("/alerts?{back}&acked=1")
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Serialize)]
pub struct ApiEntry {
    seq: u64,
    at: String,
    actor: String,
    action: String,
    subject: Option<String>,
}

#[derive(Serialize)]
pub struct ApiAlert {
    key: String,
    kind: &'static str,
    actor: String,
    actor_name: String,
    first_at: String,
    last_at: String,
    detail: String,
    evidence: Vec<u64>,
    context: Vec<u64>,
    entries: Vec<ApiEntry>,
    acknowledged: Option<ApiAck>,
}

#[derive(Serialize)]
pub struct ApiAck {
    by: String,
    at: String,
    note: String,
    entry_seq: u64,
}

#[derive(Serialize)]
pub struct ApiAlerts {
    from: String,
    to: String,
    total: usize,
    page: u32,
    pages: u32,
    alerts: Vec<ApiAlert>,
}

fn ts(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

async fn api_list(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<Params>,
) -> Result<Json<ApiAlerts>, ApiError> {
    let user = user?;
    let list = s.custody.alerts(&user.principal, &f.query()?).await?;
    let alerts = list
        .alerts
        .iter()
        .map(|a| ApiAlert {
            key: a.key.clone(),
            kind: a.signal.kind.code(),
            actor: a.signal.actor.clone(),
            actor_name: a.actor_name.clone(),
            first_at: ts(a.signal.first_ms),
            last_at: ts(a.signal.last_ms),
            detail: a.signal.detail.clone(),
            evidence: a.signal.evidence.clone(),
            context: a.signal.context.clone(),
            entries: a
                .signal
                .evidence
                .iter()
                .chain(&a.signal.context)
                .filter_map(|q| list.entries.get(q))
                .map(|e| ApiEntry {
                    seq: e.seq,
                    at: ts(e.at_ms),
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    subject: e.subject.clone(),
                })
                .collect(),
            acknowledged: a.ack.as_ref().map(|k| ApiAck {
                by: k.acked_by.clone(),
                at: ts(k.acked_ms),
                note: k.note.clone(),
                entry_seq: k.entry_seq,
            }),
        })
        .collect();
    Ok(Json(ApiAlerts {
        from: list.from.to_string(),
        to: list.to.to_string(),
        total: list.total,
        page: list.page,
        pages: list.pages,
        alerts,
    }))
}

#[derive(Deserialize)]
struct AckBody {
    key: String,
    note: String,
}

async fn api_ack(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let user = user?;
    let b: AckBody = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad("bad_body", "请求体应为 JSON：{\"key\": …, \"note\": …}"))?;
    s.custody
        .acknowledge_alert(&user.principal, &b.key, &b.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_record(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> ApiError {
    match user {
        Ok(user) => s
            .custody
            .refuse_record_delete(&user.principal, &id)
            .await
            .into(),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_both_labels() {
        let catalog = crate::i18n::load().unwrap();
        for r in REASONS {
            assert!(catalog.contains_key(&format!("alerts.reason.{r}")), "{r}");
        }
        for k in SignalKind::ALL {
            assert!(catalog.contains_key(&kind_key(k)), "{k:?}");
        }
    }
}
