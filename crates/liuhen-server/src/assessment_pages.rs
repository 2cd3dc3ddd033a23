//! The annual assessment page (年度考评, issue 20): `GET /supervision/assessment?from=&to=
//! &unit=` with server-rendered SVG bar charts, and the same figures as CSV
//! (`format=csv`, `headers=en` for English headers) or PDF through the one PDF engine (`format=pdf`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::register::date;
use crate::{ApiError, AppState, PageError};

/// The page's error from any error of the layers below.
fn pe<E: Into<ApiError>>(t: Tr) -> impl Fn(E) -> PageError {
    move |x| PageError::new(x, t)
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/supervision/assessment", get(page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Params {
    from: String,
    to: String,
    unit: String,
    format: String,
    /// CSV header language: `zh` (default) or `en`.
    headers: String,
}

/// One bar of a chart: label, value as shown, and its length in SVG units.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub width: u32,
}

pub struct Chart {
    pub title: &'static str,
    pub height: u32,
    pub bars: Vec<Bar>,
}

/// Longest bar (SVG units; the value is written after it) and height of one row (label
/// line above its bar).
const BAR_MAX: u64 = 320;
const ROW: u32 = 34;

/// A horizontal bar chart; `max` is the value of a full bar (at least 1).
fn chart(title: &'static str, rows: Vec<(String, u64, String)>, max: u64) -> Chart {
    let max = max.max(1);
    let bars: Vec<Bar> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, v, shown))| Bar {
            label,
            value: shown,
            y: i as u32 * ROW,
            width: (v.min(max) * BAR_MAX / max) as u32,
        })
        .collect();
    Chart {
        title,
        height: (bars.len() as u32).max(1) * ROW,
        bars,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment.html")]
struct Page {
    c: Chrome,
    from: String,
    to: String,
    unit: String,
    query: String,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    charts: Vec<Chart>,
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let user = user.map_err(pe(t))?;
    let year = s
        .custody
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .year();
    let from = date(&q.from, "起始日期")
        .map_err(pe(t))?
        .unwrap_or_else(|| jiff::civil::date(year, 1, 1));
    let to = date(&q.to, "结束日期")
        .map_err(pe(t))?
        .unwrap_or_else(|| jiff::civil::date(year, 12, 31));
    let report = s
        .custody
        .assessment(&user.principal, from, to, Some(q.unit.as_str()))
        .await
        .map_err(pe(t))?;
    let file = format!("assessment-{from}-{to}");
    let download = |ctype: &str, ext: &str, bytes: Vec<u8>| {
        (
            [
                (CONTENT_TYPE, ctype.to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}.{ext}\""),
                ),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response()
    };
    match q.format.as_str() {
        "csv" => {
            let english = q.headers == "en";
            return Ok(download(
                "text/csv; charset=utf-8",
                "csv",
                report.csv_with(english),
            ));
        }
        "pdf" => {
            let bureau = s.custody.config().bureau.name.clone();
            return Ok(download("application/pdf", "pdf", report.pdf(&bureau)));
        }
        _ => {}
    }
    let a = &report.assessment;
    let units: Vec<_> = a.by_unit.iter().collect();
    let mut officers: Vec<_> = a.by_officer.iter().collect();
    officers.sort_by(|x, y| {
        (y.1.violations + y.1.findings)
            .cmp(&(x.1.violations + x.1.findings))
            .then(x.0.cmp(y.0))
    });
    officers.truncate(10);
    let charts = vec![
        chart(
            "assessment.chart.lateness",
            units
                .iter()
                .map(|(u, l)| {
                    let p = l.lateness_permille();
                    ((*u).clone(), p, format!("{}.{}%", p / 10, p % 10))
                })
                .collect(),
            1000,
        ),
        chart(
            "assessment.chart.coverage",
            units
                .iter()
                .map(|(u, l)| {
                    let p = l.coverage_permille();
                    ((*u).clone(), p, format!("{}.{}%", p / 10, p % 10))
                })
                .collect(),
            1000,
        ),
        chart(
            "assessment.chart.officers",
            officers
                .iter()
                .map(|((u, o), l)| {
                    let v = l.violations + l.findings;
                    (format!("{o}（{u}）"), v, v.to_string())
                })
                .collect(),
            officers
                .iter()
                .map(|(_, l)| l.violations + l.findings)
                .max()
                .unwrap_or(1),
        ),
    ];
    let query = format!("from={from}&to={to}&unit={}", urlencoding(&q.unit));
    Ok(Page {
        c: Chrome::new(t, Some(&user), "supervision"),
        from: from.to_string(),
        to: to.to_string(),
        unit: q.unit.clone(),
        query,
        header: liuhen_app::assessment::HEADER.to_vec(),
        rows: report.rows(),
        charts,
    }
    .into_response())
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
