//! The case page (`GET /cases/{id}`): fields, flags, steps with their verdicts, linked
//! records, interruptions, and history; and the forms posted from it. A refused or invalid
//! form re-renders the page with the message (400); a done one redirects back (303).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_app::AppError;
use liuhen_app::case_work::CaseDossier;
use liuhen_app::cases::CaseFlag;
use liuhen_app::search::SearchRequest;
use liuhen_domain::RecordId;
use liuhen_domain::case::Explanation;
use serde::Deserialize;

use super::forms::{Pairs, StepInput};
use super::views::{self, CaseDetail, EventView, PickView, RowOpt, StepView, Summary};
use super::{tz, user_message};
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    c: Chrome,
    d: CaseDetail,
    summary: Summary,
    steps: Vec<StepView>,
    events: Vec<EventView>,
    can_manage: bool,
    archived: bool,
    can_note: bool,
    can_reopen: bool,
    can_request_reopen: bool,
    /// The pending request to reopen: (requester's name, reason).
    reopen_request: Option<(String, String)>,
    /// The policy lets this user label cases (link to the case's labels).
    can_label: bool,
    rows: Vec<RowOpt>,
    reasons: Vec<views::ReasonOpt>,
    done: Option<&'static str>,
    error: Option<String>,
    /// Export packages of the case: its copy requests' and its own (issue 19).
    packages: Vec<crate::access_pages::PackageView>,
    /// A records keeper of the case's unit (builds preservation and transfer packages).
    can_keep: bool,
}

pub fn case_page(
    c: Chrome,
    dossier: &CaseDossier,
    list: &liuhen_domain::checklist::Checklist,
    tz: &jiff::tz::TimeZone,
) -> CasePage {
    let t = c.t;
    let steps = dossier
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let explained: Vec<RecordId> = dossier.explanations[i]
                .iter()
                .map(|e| e.explanation.resumed_record.clone())
                .collect();
            StepView::new(
                s,
                dossier
                    .verdict
                    .steps
                    .iter()
                    .find(|v| v.step_id == s.step.id),
                &dossier.links[i],
                &explained,
                list,
                tz,
                t,
            )
        })
        .collect();
    CasePage {
        c,
        d: CaseDetail::new(&dossier.case, tz, t),
        summary: Summary::new(&dossier.verdict, t),
        steps,
        events: dossier
            .events
            .iter()
            .rev()
            .map(|e| EventView::new(e, tz, t))
            .collect(),
        can_manage: dossier.can_manage,
        archived: dossier.case.status == liuhen_domain::case::CaseStatus::Archived,
        can_note: dossier.can_note,
        can_reopen: dossier.can_reopen,
        can_request_reopen: dossier.can_request_reopen,
        reopen_request: dossier.reopen_request.as_ref().map(|r| {
            let name = dossier
                .events
                .iter()
                .find(|e| e.seq == r.seq)
                .and_then(|e| e.actor_name.clone())
                .unwrap_or_else(|| r.requested_by.clone());
            (name, r.reason.clone())
        }),
        can_label: false,
        rows: views::checklist_rows(list, t),
        reasons: Vec::new(),
        done: None,
        error: None,
        packages: Vec::new(),
        can_keep: false,
    }
}

/// The compliance of a case on its own (printable): the verdict of every step explained.
#[derive(Template, WebTemplate)]
#[template(path = "case_compliance.html")]
pub struct CompliancePage {
    c: Chrome,
    d: CaseDetail,
    summary: Summary,
    steps: Vec<StepView>,
    checked: String,
}

pub async fn compliance(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<CompliancePage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let page = render(&s, t, &user, &id, None, None).await?;
    Ok(CompliancePage {
        c: page.c,
        d: page.d,
        summary: page.summary,
        steps: page.steps,
        checked: crate::records::views::time(s.custody.now(), &tz(&s)),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    done: String,
}

fn done_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "case.done.created",
        "edited" => "case.done.edited",
        "flag" => "case.done.flag",
        "noted" => "case.done.noted",
        "reopened" => "case.done.reopened",
        "reopen_requested" => "case.done.reopen_requested",
        "reopen_declined" => "case.done.reopen_declined",
        "step" => "case.done.step",
        "linked" => "case.done.linked",
        "unlinked" => "case.done.unlinked",
        "explained" => "case.done.explained",
        "package" => "case.done.package",
        _ => return None,
    })
}

async fn render(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    id: &str,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<CasePage, PageError> {
    let dossier = s
        .custody
        .case_dossier(&user.principal, id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let mut page = case_page(
        Chrome::new(t, Some(user), "cases"),
        &dossier,
        &s.custody.config().checklist(),
        &tz(s),
    );
    page.reasons = views::reasons(&s.custody.config().lists(), t);
    page.done = done;
    page.error = error;
    page.packages = s
        .custody
        .case_packages(&dossier.case.id)
        .await
        .map_err(|e| PageError::new(e, t))?
        .iter()
        .map(|p| crate::access_pages::PackageView::new(s, p))
        .collect();
    page.can_keep = user.principal.unit.as_deref() == Some(dossier.case.agency.as_str())
        && s.custody
            .allows_system(&user.principal, liuhen_domain::authz::Action::HandleRequest);
    page.can_label = s
        .custody
        .allows_system(&user.principal, liuhen_domain::authz::Action::LabelCase);
    Ok(page)
}

pub async fn show(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<CasePage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render(&s, t, &user, &id, done_key(&q.done), None).await
}

/// Redirects after success, re-renders with the message after invalid input. `case` is the
/// case as the path named it (id or number).
pub(super) async fn finish(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    case: &str,
    result: Result<(), AppError>,
    done: &str,
    anchor: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => {
            let case = liuhen_domain::uri::encode(case);
            Ok(Redirect::to(&format!("/cases/{case}?done={done}{anchor}")).into_response())
        }
        Err(e) => {
            let shown = user_message(e, t)?;
            let page = render(s, t, user, case, None, Some(shown.message)).await?;
            Ok((shown.status, page).into_response())
        }
    }
}

pub async fn flag(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let flag: CaseFlag = p.get("flag").parse()?;
        let value = p.get("value") == "1";
        s.custody
            .set_case_flag_as(&user.principal, &id, flag, value, &p.get("reason"))
            .await
            .map(|_| ())
    }
    .await;
    finish(&s, t, &user, &id, result, "flag", "#flags").await
}

pub async fn add_step(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let new = StepInput::from_pairs(&p).into_new_step(&tz(&s))?;
        s.custody
            .add_step_as(&user.principal, &id, &new)
            .await
            .map(|_| ())
    }
    .await;
    finish(&s, t, &user, &id, result, "step", "#steps").await
}

/// The fragment of a step on the case page.
fn step_anchor(step: &str) -> String {
    format!("#step-{}", liuhen_domain::uri::encode(step.trim()))
}

fn parse_record(s: &str) -> Result<RecordId, AppError> {
    RecordId::parse(s.trim()).map_err(|_| {
        AppError::Invalid(format!(
            "记录编号 {:?} 无效（应为记录的 UUID） / invalid record id",
            s.trim()
        ))
    })
}

pub async fn link(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, step)): Path<(String, String)>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let rid = parse_record(&p.get("record_id"))?;
        s.custody
            .link_record_as(&user.principal, &id, &step, &rid)
            .await
            .map(|_| ())
    }
    .await;
    let anchor = step_anchor(&step);
    finish(&s, t, &user, &id, result, "linked", &anchor).await
}

pub async fn unlink(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, step, record)): Path<(String, String, String)>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let rid = parse_record(&record)?;
        s.custody
            .unlink_record_as(&user.principal, &id, &step, &rid, &p.get("reason"))
            .await
    }
    .await;
    let anchor = step_anchor(&step);
    finish(&s, t, &user, &id, result, "unlinked", &anchor).await
}

pub async fn explain(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, step)): Path<(String, String)>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let e = explanation(
            &p.get("resumed_record"),
            &p.get("reason"),
            &p.get("text"),
            &p.get("offset"),
        )?;
        s.custody
            .explain_interruption_as(&user.principal, &id, &step, &e)
            .await
            .map(|_| ())
    }
    .await;
    let anchor = step_anchor(&step);
    finish(&s, t, &user, &id, result, "explained", &anchor).await
}

/// An explanation from its parts as a form or a JSON body gives them. `offset`: seconds,
/// or `MM:SS` / `HH:MM:SS`.
pub fn explanation(
    record: &str,
    reason: &str,
    text: &str,
    offset: &str,
) -> Result<Explanation, AppError> {
    let offset = offset.trim();
    let secs = offset
        .split(':')
        .try_fold(0u32, |acc, part| {
            part.trim()
                .parse::<u32>()
                .ok()
                .and_then(|v| acc.checked_mul(60)?.checked_add(v))
        })
        .filter(|_| !offset.is_empty() && offset.split(':').count() <= 3)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "语音说明位置 {offset:?} 无效，应为秒数或 分:秒 / the position must be seconds or MM:SS"
            ))
        })?;
    Ok(Explanation {
        resumed_record: parse_record(record)?,
        reason: liuhen_domain::case::InterruptionReason::from_code(reason),
        text: text.trim().to_owned(),
        spoken_at_offset_s: secs,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "case_pick.html")]
pub struct PickPage {
    c: Chrome,
    case_id: String,
    number: String,
    step_id: String,
    step_name: String,
    window: String,
    q: String,
    proposals: Vec<PickView>,
    found: Vec<PickView>,
    searched: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickQuery {
    q: String,
}

/// The record picker: the proposals for the step, and a free search over the records the
/// user may see (the record search of `/records`).
pub async fn pick(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<PickQuery>,
) -> Result<PickPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    let (case, st, proposals) = s
        .custody
        .propose_links(&user.principal, &id, &step)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let text = q.q.trim().to_owned();
    let found = if text.is_empty() {
        Vec::new()
    } else {
        let req = SearchRequest {
            text: Some(text.clone()),
            page: 1,
            page_size: 50,
            ..SearchRequest::default()
        };
        s.custody
            .search_records(&user.principal, &req)
            .await
            .map_err(|e| PageError::new(e, t))?
            .records
            .iter()
            .map(|r| PickView::new(r, None, &tz))
            .collect()
    };
    Ok(PickPage {
        c: Chrome::new(t, Some(&user), "cases"),
        case_id: case.id.clone(),
        number: case.number.clone(),
        step_id: st.step.id.clone(),
        step_name: st.step.name.clone(),
        window: format!(
            "{} – {}",
            crate::records::views::time(st.step.window.0, &tz),
            crate::records::views::time(st.step.window.1, &tz)
        ),
        proposals: proposals
            .iter()
            .map(|(p, r)| PickView::new(r, Some(p), &tz))
            .collect(),
        searched: !text.is_empty(),
        found,
        q: text,
    })
}
