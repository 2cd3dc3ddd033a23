//! The reviewer sheet on the record page (R2.3, R2.4): the 8 focus items and the opening
//! statement, each with the current verdict, who ticked it and when; a supervisor, the
//! legal office or the unit's records keeper ticks them (`POST /records/{id}/review`).

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use jiff::tz::TimeZone;
use liuhen_app::AppError;
use liuhen_app::reviews::Tick;
use liuhen_domain::Record;
use liuhen_domain::review::{ReviewItem, ReviewVerdict};

use crate::auth::CurrentUser;
use crate::cases::views::Opt;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::records::views::time;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/records/{id}/review", post(review))
        .route(
            "/api/v1/records/{id}/review",
            axum::routing::get(api_sheet).post(api_review),
        )
}

/// Reading the sheet needs the right to see the record (refusals are logged).
async fn viewable(s: &AppState, user: &CurrentUser, id: &str) -> Result<Record, ApiError> {
    let id = crate::records::parse_id(id)?;
    let record = s.custody.record(&id).await?;
    s.custody
        .authorize_record(
            &user.principal,
            liuhen_domain::authz::Action::ViewRecord,
            &record,
        )
        .await?;
    Ok(record)
}

async fn api_sheet(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let record = viewable(&s, &user, &id).await?;
    let ticks = s.custody.reviews(&record.id).await?;
    let lists = s.custody.config().lists();
    Ok(axum::Json(serde_json::json!({
        "record_id": record.id.as_str(),
        "can_review": s.custody.may_review(&user.principal, &record.id).await?,
        "items": lists.review_items.iter().map(|item| {
            let t = ticks.iter().find(|t| t.item.code() == item.code);
            serde_json::json!({
                "item": item.code,
                "label": item.zh,
                "rule": item.rule,
                "verdict": t.map(|t| t.verdict.code()),
                "note": t.map(|t| t.note.clone()),
                "reviewed_by": t.map(|t| t.reviewed_by.clone()),
                "reviewed_at": t.map(|t| t.reviewed_at.to_string()),
            })
        }).collect::<Vec<_>>(),
    })))
}

#[derive(serde::Deserialize)]
struct ApiTick {
    item: String,
    verdict: String,
    #[serde(default)]
    note: String,
}

#[derive(serde::Deserialize)]
struct ApiReview {
    items: Vec<ApiTick>,
}

async fn api_review(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    crate::cases::Body(b): crate::cases::Body<ApiReview>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let id = crate::records::parse_id(&id)?;
    let mut ticks = Vec::new();
    for t in b.items {
        ticks.push(Tick {
            item: ReviewItem::from_code(&t.item),
            verdict: t.verdict.parse().map_err(
                |e: liuhen_domain::review::UnknownReviewVerdict| {
                    ApiError::bad("invalid", e.to_string())
                },
            )?,
            note: t.note,
        });
    }
    let changed = s
        .custody
        .review_record(&user.principal, &id, &ticks)
        .await?;
    Ok(axum::Json(serde_json::json!({ "changed": changed })))
}

pub struct Line {
    pub code: String,
    pub label: String,
    pub rule: String,
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    pub class: &'static str,
    pub note: String,
    pub by: String,
    pub at: String,
}

#[derive(Default)]
pub struct Sheet {
    pub lines: Vec<Line>,
    pub can_review: bool,
    pub verdicts: Vec<Opt>,
    /// "1" after a save, "error" after a refused one.
    pub outcome: String,
}

pub async fn sheet(
    s: &AppState,
    user: &CurrentUser,
    record: &Record,
    outcome: &str,
    tz: &TimeZone,
    t: Tr,
) -> Result<Sheet, AppError> {
    let ticks = s.custody.reviews(&record.id).await?;
    let who: Vec<String> = ticks.iter().map(|t| t.reviewed_by.clone()).collect();
    let names = s.custody.display_names(&who).await?;
    let lines = s
        .custody
        .config()
        .lists()
        .review_items
        .iter()
        .map(|item| {
            let tick = ticks.iter().find(|t| t.item.code() == item.code);
            Line {
                code: item.code.clone(),
                label: match t.lang {
                    crate::i18n::Lang::En => item.en.clone(),
                    crate::i18n::Lang::Zh => item.zh.clone(),
                },
                rule: item.rule.clone(),
                verdict: tick.map_or("", |t| t.verdict.code()),
                verdict_label: tick.map_or(t.s("review_verdict.none"), |k| t.label(k.verdict)),
                class: match tick.map(|t| t.verdict) {
                    Some(ReviewVerdict::Met) => "ok",
                    Some(ReviewVerdict::Deficient) => "bad",
                    _ => "",
                },
                note: tick.map(|t| t.note.clone()).unwrap_or_default(),
                by: tick
                    .map(|t| {
                        names
                            .get(&t.reviewed_by)
                            .cloned()
                            .unwrap_or_else(|| t.reviewed_by.clone())
                    })
                    .unwrap_or_default(),
                at: tick.map(|t| time(t.reviewed_at, tz)).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Sheet {
        lines,
        can_review: s.custody.may_review(&user.principal, &record.id).await?,
        verdicts: ReviewVerdict::ALL
            .iter()
            .map(|v| Opt {
                code: v.code(),
                label: t.label(*v),
            })
            .collect(),
        outcome: outcome.to_owned(),
    })
}

async fn review(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let id = crate::records::parse_id(&id).map_err(|e| PageError::new(e, t))?;
    let get = |k: String| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut ticks = Vec::new();
    for line in s.custody.config().lists().review_items {
        let item = line.item();
        let v = get(format!("v_{}", item.code()));
        if v.is_empty() {
            continue;
        }
        let verdict = v
            .parse::<ReviewVerdict>()
            .map_err(|e| PageError::new(AppError::Invalid(e.to_string()), t))?;
        ticks.push(Tick {
            note: get(format!("n_{}", item.code())),
            item,
            verdict,
        });
    }
    let back = format!("/records/{id}");
    match s.custody.review_record(&user.principal, &id, &ticks).await {
        Ok(_) => Ok(Redirect::to(&format!("{back}?reviewed=1#review")).into_response()),
        Err(e) => {
            crate::error::inline(e, t)?.input_only()?;
            Ok(Redirect::to(&format!("{back}?reviewed=error#review")).into_response())
        }
    }
}
