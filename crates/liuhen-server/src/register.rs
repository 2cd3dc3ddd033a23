//! The access register (查阅登记簿, R4.1).
//!
//! - `GET /register`: search form, one page of rows, links to each row's log entry and
//!   record, export links. Reading it is authorized and logged.
//! - `GET /api/v1/register`: the same as JSON.
//! - `GET /api/v1/register/export?format=csv|pdf`: the whole filtered register as CSV
//!   (UTF-8 with BOM) or a printable PDF; logged with the file's SHA-256.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use liuhen_app::register::RegisterRow;
use liuhen_app::register::{ExportFormat, RegisterPage, RegisterQuery};
use liuhen_domain::register::{REGISTER_KINDS, kind as register_kind, yuan};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::{Lang, Tr};
use crate::{ApiError, AppState, PageError};

/// How often the server brings the register's read model up to the log's head, so that a
/// page rarely has more than a few seconds of the log to catch up on.
pub const REGISTER_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

pub async fn background(custody: liuhen_app::Custody) {
    let mut tick = tokio::time::interval(REGISTER_SYNC_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = custody.sync_register().await {
            tracing::error!(error = %liuhen_app::error_chain(&e), "register projection failed");
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(page))
        .route("/api/v1/register", get(api_list))
        .route("/api/v1/register/export", get(export))
}

/// The search form as it arrives; empty means "any".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Params {
    pub from: String,
    pub to: String,
    pub kind: String,
    pub person: String,
    pub record: String,
    pub case: String,
    pub q: String,
    pub page: String,
    pub format: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub(crate) fn date(s: &str, what: &str) -> Result<Option<jiff::civil::Date>, ApiError> {
    opt(s)
        .map(|s| {
            s.parse().map_err(|_| {
                ApiError::bad(
                    "bad_date",
                    format!("{what}格式不正确，应为 年-月-日，例如 2026-03-01"),
                )
            })
        })
        .transpose()
}

impl Params {
    fn query(&self) -> Result<RegisterQuery, ApiError> {
        let page = match self.page.trim() {
            "" => 1,
            p => p
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| ApiError::bad("bad_number", "页码应为正整数"))?,
        };
        Ok(RegisterQuery {
            from: date(&self.from, "起始日期")?,
            to: date(&self.to, "结束日期")?,
            kinds: opt(&self.kind).into_iter().collect(),
            person: opt(&self.person),
            record: opt(&self.record),
            case: opt(&self.case),
            text: opt(&self.q),
            page,
        })
    }

    /// The query string of this search (without page and format).
    fn query_string(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("kind", &self.kind),
            ("person", &self.person),
            ("record", &self.record),
            ("case", &self.case),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub(crate) use crate::records::params::encode as urlencode;

pub(crate) use crate::chrome::Opt as KindOption;

pub(crate) fn kind_label(code: &str, lang: Lang) -> String {
    match (register_kind(code), lang) {
        (Some(k), Lang::Zh) => k.label_zh.to_owned(),
        (Some(k), Lang::En) => k.label_en.to_owned(),
        (None, _) => code.to_owned(),
    }
}

struct RowView {
    seq: u64,
    time: String,
    kind: String,
    who: String,
    unit: String,
    approved_by: String,
    record_id: String,
    record_name: String,
    case_name: String,
    party: String,
    device: String,
    purpose: String,
    fee: String,
    receipt_no: String,
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
struct Page {
    c: Chrome,
    f: Params,
    kinds: Vec<KindOption>,
    rows: Vec<RowView>,
    total: u64,
    page: u32,
    pages: u32,
    /// Query string of the search, for paging and export links.
    qs: String,
    /// The audit page links to entries (only its readers get the link).
    audit_links: bool,
}

impl Page {
    fn page_link(&self, page: u32) -> String {
        crate::chrome::page_href("/register", &self.qs, page)
    }

    fn export_link(&self, format: &str) -> String {
        if self.qs.is_empty() {
            format!("/api/v1/register/export?format={format}")
        } else {
            format!("/api/v1/register/export?{}&format={format}", self.qs)
        }
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
    let found = s
        .custody
        .register(&user.principal, &q)
        .await
        .map_err(|x| PageError::new(x, t))?;
    let rows = found
        .rows
        .iter()
        .map(|r| RowView {
            seq: r.seq,
            time: s.custody.local_time(r.at_ms),
            kind: kind_label(&r.kind, t.lang),
            who: r.actor_name.clone(),
            unit: r.actor_unit.clone().unwrap_or_default(),
            approved_by: r.approved_by.clone().unwrap_or_default(),
            record_id: r.record_id.clone(),
            record_name: r.record_name.clone().unwrap_or_default(),
            case_name: r.case_name.clone().unwrap_or_default(),
            party: r.party.clone().unwrap_or_default(),
            device: r.device.clone().unwrap_or_default(),
            purpose: r.purpose.clone().unwrap_or_default(),
            fee: r.fee_cents.map(yuan).unwrap_or_default(),
            receipt_no: r.receipt_no.clone().unwrap_or_default(),
            note: r.note.clone().unwrap_or_default(),
        })
        .collect();
    let kinds = REGISTER_KINDS
        .iter()
        .map(|k| KindOption {
            code: k.code,
            label: if t.lang == Lang::Zh {
                k.label_zh
            } else {
                k.label_en
            },
        })
        .collect();
    Ok(Page {
        audit_links: s
            .custody
            .allows_system(&user.principal, liuhen_domain::authz::Action::ViewAuditLog),
        c: Chrome::new(t, Some(&user), "register"),
        qs: f.query_string(),
        f,
        kinds,
        rows,
        total: found.total,
        page: found.page,
        pages: found.pages,
    })
}

/// One row of the register as the API gives it.
#[derive(Serialize)]
pub struct ApiRow {
    seq: u64,
    at: String,
    at_local: String,
    kind: String,
    kind_label: String,
    actor: String,
    actor_name: String,
    actor_unit: Option<String>,
    requester_type: Option<String>,
    approved_by: Option<String>,
    record_id: Option<String>,
    record_name: Option<String>,
    case_name: Option<String>,
    party: Option<String>,
    device: Option<String>,
    purpose: Option<String>,
    request_id: Option<String>,
    grant_id: Option<String>,
    fee_cents: Option<i64>,
    receipt_no: Option<String>,
    note: Option<String>,
}

#[derive(Serialize)]
pub struct ApiPage {
    rows: Vec<ApiRow>,
    total: u64,
    page: u32,
    pages: u32,
    per_page: u32,
}

fn api_row(s: &AppState, r: RegisterRow) -> ApiRow {
    ApiRow {
        seq: r.seq,
        at: jiff::Timestamp::from_millisecond(r.at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        at_local: s.custody.local_time(r.at_ms),
        kind_label: kind_label(&r.kind, Lang::Zh),
        kind: r.kind,
        actor: r.actor,
        actor_name: r.actor_name,
        actor_unit: r.actor_unit,
        requester_type: r.requester_type,
        approved_by: r.approved_by,
        record_id: Some(r.record_id).filter(|s| !s.is_empty()),
        record_name: r.record_name,
        case_name: r.case_name,
        party: r.party,
        device: r.device,
        purpose: r.purpose,
        request_id: r.request_id,
        grant_id: r.grant_id,
        fee_cents: r.fee_cents,
        receipt_no: r.receipt_no,
        note: r.note,
    }
}

async fn api_list(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<Params>,
) -> Result<Json<ApiPage>, ApiError> {
    let user = user?;
    let q = f.query()?;
    let RegisterPage {
        rows,
        total,
        page,
        pages,
        per_page,
    } = s.custody.register(&user.principal, &q).await?;
    Ok(Json(ApiPage {
        rows: rows.into_iter().map(|r| api_row(&s, r)).collect(),
        total,
        page,
        pages,
        per_page,
    }))
}

async fn export(
    State(s): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<Params>,
) -> Result<Response, ApiError> {
    let user = user?;
    let q = f.query()?;
    let format = match f.format.trim() {
        "csv" => ExportFormat::Csv,
        "pdf" => ExportFormat::Pdf,
        _ => return Err(ApiError::bad("bad_format", "导出格式应为 csv 或 pdf")),
    };
    let out = s
        .custody
        .export_register(&user.principal, &q, format)
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", out.filename);
    Ok((
        [
            (CONTENT_TYPE, out.content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        out.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_keep_the_search() {
        let p = Params {
            from: "2026-03-01".into(),
            q: "化工 厂&x".into(),
            ..Default::default()
        };
        assert_eq!(
            p.query_string(),
            "from=2026-03-01&q=%E5%8C%96%E5%B7%A5%20%E5%8E%82%26x"
        );
        assert!(
            Params {
                page: "0".into(),
                ..Default::default()
            }
            .query()
            .is_err()
        );
        assert!(
            Params {
                from: "3/1".into(),
                ..Default::default()
            }
            .query()
            .is_err()
        );
    }
}
