//! The pages of decisions and legal review: a case's decisions with the drafting form,
//! a decision's page (draft, catalog entries, compliance report, submission, review
//! rounds with their opinions and time limits, issue and serve), and the legal office's
//! inbox with overdue reviews.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use liuhen_app::AppError;
use liuhen_app::decisions::{DecisionRow, DecisionView};
use liuhen_domain::authz::Action;
use liuhen_domain::decision::{
    DecisionKind, DecisionStatus, PartyType, ReviewOutcome, format_yuan,
};

use super::NewDecisionJson;
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/decisions", get(case_decisions).post(create))
        .route("/decisions/{id}", get(show))
        .route("/decisions/{id}/{op}", post(act))
        .route("/legal-review", get(inbox))
        .route("/admin/users/{id}/legal-qualification", post(qualify))
}

fn tz(s: &AppState) -> jiff::tz::TimeZone {
    s.custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

fn when(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Errors a person can act on are shown on the page; the rest become error pages.
fn flash(e: AppError, t: Tr) -> Result<String, PageError> {
    Ok(crate::error::inline(e, t)?.message)
}

pub struct Line {
    pub id: String,
    pub kind: &'static str,
    pub measure: String,
    pub party: String,
    pub fine: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub needs_review: bool,
}

fn line(s: &AppState, t: Tr, d: &DecisionRow) -> Line {
    let catalog = s.custody.decision_catalog();
    Line {
        id: d.id.clone(),
        kind: t.label(d.kind),
        measure: catalog
            .measure_name(d.kind, &d.measure)
            .unwrap_or(&d.measure)
            .to_owned(),
        party: format!("{}（{}）", d.party_name, t.label(d.party_type)),
        fine: if d.measure == "fine" {
            format!("¥{}", format_yuan(d.fine_fen))
        } else {
            String::new()
        },
        status: t.label(d.status),
        status_code: d.status.code(),
        needs_review: s.custody.needs_review(d),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "case_decisions.html")]
struct CaseDecisionsPage {
    c: Chrome,
    case_id: String,
    case_title: String,
    lines: Vec<Line>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
    parties: Vec<(&'static str, &'static str)>,
    /// (kind code, measure code, name) of every measure of the catalog.
    measures: Vec<(&'static str, String, String)>,
    f: NewDecisionJson,
    error: Option<String>,
}

async fn case_page(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    id: &str,
    f: NewDecisionJson,
    error: Option<String>,
) -> Result<CaseDecisionsPage, PageError> {
    let err = |e| PageError::new(e, t);
    let case = s.custody.case(id).await.map_err(err)?;
    s.custody
        .authorize_case(&user.principal, Action::ViewCase, &case)
        .await
        .map_err(err)?;
    let list = s.custody.case_decisions(&case.id).await.map_err(err)?;
    let can_manage = liuhen_domain::authz::decide(
        s.custody.policy(),
        &user.principal,
        Action::ManageCase,
        liuhen_domain::authz::Target::Case(liuhen_app::case_work::case_scope(
            &case,
            &liuhen_app::case_work::team_ids(&case),
        )),
    ) == liuhen_domain::authz::Decision::Allow;
    let catalog = s.custody.decision_catalog();
    let measures = catalog
        .measures
        .iter()
        .flat_map(|(k, m)| {
            m.iter()
                .map(|(code, name)| (k.code(), code.clone(), name.clone()))
        })
        .collect();
    Ok(CaseDecisionsPage {
        case_title: format!("{} {}", case.number, case.name),
        case_id: case.id.clone(),
        lines: list.iter().map(|d| line(s, t, d)).collect(),
        can_manage,
        kinds: DecisionKind::ALL
            .iter()
            .map(|k| (k.code(), t.label(*k)))
            .collect(),
        parties: PartyType::ALL
            .iter()
            .map(|p| (p.code(), t.label(*p)))
            .collect(),
        measures,
        f,
        error,
        c: Chrome::new(t, Some(user), "cases"),
    })
}

async fn case_decisions(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<CaseDecisionsPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    case_page(&s, t, &user, &id, NewDecisionJson::default(), None).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct NewForm {
    kind: String,
    measure: String,
    party_type: String,
    party_name: String,
    fine_yuan: String,
    after_hearing: String,
    summary: String,
}

async fn create(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<NewForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let j = NewDecisionJson {
        kind: f.kind,
        measure: f.measure,
        party_type: f.party_type,
        party_name: f.party_name,
        fine_yuan: f.fine_yuan,
        after_hearing: f.after_hearing == "1",
        summary: f.summary,
    };
    let result = match j.parse() {
        Ok(new) => s
            .custody
            .create_decision(&user.principal, &id, &new, s.custody.now())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/decisions/{}", d.id)).into_response()),
        Err(ApiError::BadRequest { message, .. }) => {
            Ok(case_page(&s, t, &user, &id, j, Some(message))
                .await?
                .into_response())
        }
        Err(e) => Err(PageError::new(e, t)),
    }
}

pub struct RoundLine {
    pub round: i64,
    pub submitted_by: String,
    pub submitted_at: String,
    pub materials: String,
    pub due: String,
    pub extend_reason: String,
    pub decided: bool,
    pub outcome_code: &'static str,
    pub outcome: &'static str,
    pub opinion: String,
    pub changes: String,
    pub reviewer: String,
    pub cert: String,
    pub reviewed_at: String,
    pub draft_sha256: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decision.html")]
struct DecisionPage {
    c: Chrome,
    d: Line,
    case_id: String,
    case_title: String,
    summary: String,
    after_hearing: bool,
    marked_reason: String,
    draft_name: String,
    draft_sha256: String,
    draft_version: i64,
    entries: Vec<String>,
    violations: usize,
    warnings: usize,
    findings: Vec<String>,
    rounds: Vec<RoundLine>,
    due: String,
    due_uncovered: bool,
    overdue: bool,
    materials: Vec<(String, String, bool, bool)>,
    outcomes: Vec<(&'static str, &'static str)>,
    can_upload: bool,
    can_mark: bool,
    can_submit: bool,
    can_issue: bool,
    can_serve: bool,
    can_decide: bool,
    can_extend: bool,
    /// The decision's log entries: (seq, time, actor, action).
    history: Vec<(u64, String, String, String)>,
    error: Option<String>,
}

async fn names(
    s: &AppState,
    v: &DecisionView,
    history: &[liuhen_app::decisions::AuditEntry],
) -> HashMap<String, String> {
    let mut who: Vec<String> = v
        .rounds
        .iter()
        .flat_map(|r| [r.submitted_by.clone(), r.reviewer.clone()])
        .chain(history.iter().map(|e| e.actor.clone()))
        .filter(|x| !x.is_empty())
        .collect();
    who.sort();
    who.dedup();
    s.custody.display_names(&who).await.unwrap_or_default()
}

async fn decision_page(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    id: &str,
    error: Option<String>,
) -> Result<DecisionPage, PageError> {
    let v = s
        .custody
        .decision_view(&user.principal, id, s.custody.now())
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = tz(s);
    let entries = s
        .custody
        .decision_history(id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let names = names(s, &v, &entries).await;
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_owned());
    let catalog = s.custody.decision_catalog();
    let material_name = |code: &str| {
        catalog
            .materials
            .iter()
            .find(|m| m.code == code)
            .map_or_else(|| code.to_owned(), |m| m.name.clone())
    };
    let d = &v.decision;
    let status = d.status;
    let pending = v.rounds.last().filter(|r| r.outcome.is_none());
    let rounds = v
        .rounds
        .iter()
        .map(|r| RoundLine {
            round: r.round,
            submitted_by: name(&r.submitted_by),
            submitted_at: when(r.submitted_ms, &tz),
            materials: r
                .materials
                .iter()
                .map(|m| material_name(m))
                .collect::<Vec<_>>()
                .join("、"),
            due: r.due_date.clone(),
            extend_reason: r.extend_reason.clone(),
            decided: r.outcome.is_some(),
            outcome_code: r.outcome.map_or("", ReviewOutcome::code),
            outcome: r.outcome.map_or("", |o| t.label(o)),
            opinion: r.opinion.clone(),
            changes: r.changes.clone(),
            reviewer: if r.reviewer.is_empty() {
                String::new()
            } else {
                name(&r.reviewer)
            },
            cert: r.reviewer_cert.clone(),
            reviewed_at: if r.reviewed_ms > 0 {
                when(r.reviewed_ms, &tz)
            } else {
                String::new()
            },
            draft_sha256: r.draft_sha256.clone(),
        })
        .collect::<Vec<_>>();
    let draftable = matches!(status, DecisionStatus::Draft | DecisionStatus::Reviewed);
    Ok(DecisionPage {
        d: line(s, t, d),
        case_id: v.case.id.clone(),
        case_title: format!("{} {}", v.case.number, v.case.name),
        summary: d.summary.clone(),
        after_hearing: d.after_hearing,
        marked_reason: d.marked_reason.clone(),
        draft_name: d.draft_name.clone(),
        draft_sha256: d.draft_sha256.clone(),
        draft_version: d.draft_version,
        entries: v.entries.iter().map(|(_, text)| text.clone()).collect(),
        violations: v.compliance.0,
        warnings: v.compliance.1,
        findings: v.compliance.2.clone(),
        rounds,
        due: v.due.map(|(x, _)| x.to_string()).unwrap_or_default(),
        due_uncovered: v.due.is_some_and(|(_, covered)| !covered),
        overdue: v.overdue,
        materials: catalog
            .materials
            .iter()
            .map(|m| (m.code.clone(), m.name.clone(), m.required, m.system))
            .collect(),
        outcomes: ReviewOutcome::ALL
            .iter()
            .map(|o| (o.code(), t.label(*o)))
            .collect(),
        can_upload: v.can_manage && draftable,
        can_mark: v.can_manage
            && status == DecisionStatus::Draft
            && d.marked_reason.is_empty()
            && catalog.markable(d.kind),
        can_submit: v.can_manage && status == DecisionStatus::Draft && !v.entries.is_empty(),
        can_issue: v.can_manage && draftable,
        can_serve: v.can_manage && status == DecisionStatus::Issued,
        can_decide: v.can_review && status == DecisionStatus::UnderReview,
        can_extend: v.can_review && pending.is_some_and(|r| r.extend_reason.is_empty()),
        history: entries
            .iter()
            .map(|e| {
                let action = liuhen_domain::AuditAction::parse(&e.action)
                    .map_or_else(|| e.action.clone(), |a| t.label(a).to_owned());
                (e.seq, when(e.at_ms, &tz), name(&e.actor), action)
            })
            .collect(),
        error,
        c: Chrome::new(t, Some(user), "cases"),
    })
}

async fn show(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<DecisionPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    decision_page(&s, t, &user, &id, None).await
}

async fn act(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, op)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let c = &s.custody;
    let p = &user.principal;
    let now = s.custody.now();
    let result: Result<(), AppError> = match op.as_str() {
        "mark" => c.mark_decision(p, &id, &get("reason"), now).await.map(drop),
        "submit" => {
            let ticked: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k == "material")
                .map(|(_, v)| v.clone())
                .collect();
            c.submit_for_review(p, &id, &ticked, now).await.map(drop)
        }
        "review" => match super::outcome(&get("outcome")) {
            Ok(o) => c
                .review_decision(p, &id, o, &get("opinion"), &get("changes"), now)
                .await
                .map(drop),
            Err(_) => Err(AppError::Invalid("请选择审核结论".into())),
        },
        "extend" => c.extend_review(p, &id, &get("reason"), now).await.map(drop),
        "issue" => c.issue_decision(p, &id, now).await.map(drop),
        "serve" => c.serve_decision(p, &id, now).await.map(drop),
        _ => Err(AppError::NotFound(format!("action {op}"))),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/decisions/{id}")).into_response()),
        Err(e) => {
            let message = flash(e, t)?;
            Ok(decision_page(&s, t, &user, &id, Some(message))
                .await?
                .into_response())
        }
    }
}

pub struct InboxLine {
    pub id: String,
    pub case_title: String,
    pub measure: String,
    pub party: String,
    pub fine: String,
    pub round: i64,
    pub submitted: String,
    pub due: String,
    pub due_uncovered: bool,
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "legal_review.html")]
struct InboxPage {
    c: Chrome,
    lines: Vec<InboxLine>,
    overdue: usize,
}

async fn inbox(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<InboxPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let items = s
        .custody
        .review_inbox(&user.principal, s.custody.now())
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    let lines: Vec<InboxLine> = items
        .iter()
        .map(|i| {
            let l = line(&s, t, &i.decision);
            InboxLine {
                id: l.id,
                case_title: format!("{} {}", i.case.number, i.case.name),
                measure: l.measure,
                party: l.party,
                fine: l.fine,
                round: i.round.round,
                submitted: when(i.round.submitted_ms, &tz),
                due: i.due.to_string(),
                due_uncovered: !i.calendar_covers,
                overdue: i.overdue,
            }
        })
        .collect();
    Ok(InboxPage {
        overdue: lines.iter().filter(|l| l.overdue).count(),
        lines,
        c: Chrome::new(t, Some(&user), "legal_review"),
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct QualifyForm {
    cert_no: String,
}

/// The administrator records a legal-office account's certificate (`/admin/users`).
async fn qualify(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<QualifyForm>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .set_legal_qualification(&user.principal, &id, &f.cert_no, s.custody.now())
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/admin/users"))
}
