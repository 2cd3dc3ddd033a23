//! The pages of the random draws (R6.4): `GET /draws` (announced draws and the form to
//! announce one), `POST /draws`, `GET /draws/{id}` (announcement, result, whether it
//! recomputes, print link) and `POST /draws/{id}/perform`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::draws::{DrawSpec, SeedPlan};
use liuhen_domain::authz::{Action, Target};
use liuhen_domain::draw::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::register::date;
use crate::{ApiError, AppState, PageError};

const KINDS: [&str; 5] = ["records", "cases", "officers", "inspectors", "targets"];
const SHOWN: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/draws", get(list).post(announce))
        .route("/draws/{id}", get(detail))
        .route("/draws/{id}/perform", post(perform))
}

use crate::chrome::Opt as KindOption;

struct Row {
    id: String,
    when: String,
    purpose: String,
    kind: String,
    population: usize,
    count: u64,
    made: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "draws.html")]
struct ListPage {
    c: Chrome,
    draws: Vec<Row>,
    kinds: Vec<KindOption>,
    methods: Vec<&'static str>,
}

struct ResultView {
    seq: u64,
    at: String,
    by: String,
    seed: String,
    selected: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "draw.html")]
struct DetailPage {
    c: Chrome,
    id: String,
    purpose: String,
    kind: String,
    population: usize,
    count: u64,
    method: String,
    announced_seq: u64,
    announced_at: String,
    announced_by: String,
    sources: Vec<String>,
    result: Option<ResultView>,
    verified: bool,
    problems: Vec<String>,
}

fn kind_label(t: Tr, code: &str) -> String {
    if KINDS.contains(&code) {
        t.s(&format!("draws.kind.{code}")).to_owned()
    } else {
        code.to_owned()
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn list(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<ListPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let draws = s
        .custody
        .recent_draws(&user.principal, SHOWN)
        .await
        .map_err(|e| PageError::new(e, t))?
        .into_iter()
        .map(|(e, d, made)| Row {
            id: text(&d["draw"]),
            when: s.custody.local_time(e.at_ms),
            purpose: text(&d["purpose"]),
            kind: kind_label(t, d["kind"].as_str().unwrap_or_default()),
            population: d["population"].as_array().map_or(0, Vec::len),
            count: d["count"].as_u64().unwrap_or(0),
            made,
        })
        .collect();
    Ok(ListPage {
        c: Chrome::new(t, Some(&user), "draws"),
        draws,
        kinds: KINDS
            .iter()
            .map(|k| KindOption {
                code: k,
                label: t.s(&format!("draws.kind.{k}")),
            })
            .collect(),
        methods: Method::ALL.iter().map(|m| m.code()).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnnounceForm {
    purpose: String,
    kind: String,
    population: String,
    records_of: String,
    from: String,
    to: String,
    permille: String,
    minimum: String,
    method: String,
    sources: String,
    step: String,
}

async fn announce(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<AnnounceForm>,
) -> Result<Response, PageError> {
    let e = |e| PageError::new(e, t);
    let user = user.map_err(e)?;
    let number = |v: &str, what: &str| -> Result<u64, PageError> {
        match v.trim() {
            "" => Ok(0),
            n => n.parse().map_err(|_| {
                PageError::new(
                    ApiError::bad("bad_number", format!("{what}应为非负整数")),
                    t,
                )
            }),
        }
    };
    let permille = number(&f.permille, "抽取比例")?;
    let minimum = number(&f.minimum, "最少抽取数量")?;
    let method = Method::parse(f.method.trim()).unwrap_or(Method::Sha256);
    let population = if f.records_of.trim().is_empty() {
        lines(&f.population)
    } else {
        let from = date(&f.from, "起始日期").map_err(e)?;
        let to = date(&f.to, "结束日期").map_err(e)?;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(PageError::new(
                ApiError::bad("bad_date", "按执法机构抽取记录时请填写起止日期"),
                t,
            ));
        };
        s.custody
            .records_population(&user.principal, &f.records_of, from, to)
            .await
            .map_err(|x| PageError::new(x, t))?
    };
    let sources = lines(&f.sources);
    let spec = DrawSpec {
        purpose: f.purpose,
        kind: if KINDS.contains(&f.kind.trim()) {
            f.kind.trim().to_owned()
        } else {
            "records".into()
        },
        population,
        method,
        permille: u32::try_from(permille).unwrap_or(u32::MAX),
        minimum: usize::try_from(minimum).unwrap_or(usize::MAX),
        seed: if sources.is_empty() {
            SeedPlan::Checkpoint
        } else {
            SeedPlan::Sources(sources)
        },
        step: Some(f.step.trim().to_owned()).filter(|s| !s.is_empty()),
        plan: None,
    };
    let id = s
        .custody
        .announce_draw(&user.principal, &spec)
        .await
        .map_err(|x| PageError::new(x, t))?;
    Ok(Redirect::to(&format!("/draws/{id}")).into_response())
}

async fn detail(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<DetailPage, PageError> {
    let e = |e| PageError::new(e, t);
    let user = user.map_err(e)?;
    // The same authorization as the list (supervisors and the legal office).
    s.custody
        .authorize(&user.principal, Action::RunDraw, Target::System, None)
        .await
        .map_err(|x| PageError::new(x, t))?;
    let view = s
        .custody
        .draw(&id)
        .await
        .map_err(|x| PageError::new(x, t))?;
    let name = |actor: String| {
        let s = s.clone();
        async move {
            s.custody
                .user(&actor)
                .await
                .map(|u| u.display_name)
                .unwrap_or(actor)
        }
    };
    let a = &view.announcement;
    let (verified, problems) = if view.performed.is_some() {
        let check = s
            .custody
            .verify_draw(&id)
            .await
            .map_err(|x| PageError::new(x, t))?;
        (check.ok, check.problems)
    } else {
        (false, Vec::new())
    };
    let result = match &view.performed {
        None => None,
        Some((entry, p)) => Some(ResultView {
            seq: entry.seq,
            at: s.custody.local_time(entry.at_ms),
            by: name(entry.actor.clone()).await,
            seed: match p["seed"]["kind"].as_str() {
                Some("checkpoint") => {
                    format!("{} / {}", p["seed"]["tree_size"], text(&p["seed"]["root"]))
                }
                _ => p["seed"]["values"].to_string(),
            },
            selected: serde_json::from_value(p["selected"].clone()).unwrap_or_default(),
        }),
    };
    Ok(DetailPage {
        c: Chrome::new(t, Some(&user), "draws"),
        purpose: text(&a["purpose"]),
        kind: kind_label(t, a["kind"].as_str().unwrap_or_default()),
        population: a["population"].as_array().map_or(0, Vec::len),
        count: a["count"].as_u64().unwrap_or(0),
        method: text(&a["method"]),
        announced_seq: view.announced.seq,
        announced_at: s.custody.local_time(view.announced.at_ms),
        announced_by: name(view.announced.actor.clone()).await,
        sources: serde_json::from_value(a["seed"]["sources"].clone()).unwrap_or_default(),
        result,
        verified,
        problems,
        id,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PerformForm {
    values: String,
}

async fn perform(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<PerformForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .perform_draw(&user.principal, &id, &lines(&f.values))
        .await
        .map_err(|x| PageError::new(x, t))?;
    Ok(Redirect::to(&format!("/draws/{id}")).into_response())
}
