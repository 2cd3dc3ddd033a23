//! `/api/v1/cases…`: the same use cases and authorization as the pages, as JSON. These
//! types are the wire format.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use liuhen_app::case_work::{CaseDossier, CaseEdit};
use liuhen_app::cases::{CaseFlag, NewCase, PartyRow, case_json};
use liuhen_domain::RecordId;
use liuhen_domain::case::CaseFlags;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::forms::{self, ListQuery, StepInput};
use super::tz;
use crate::auth::CurrentUser;
use crate::{ApiError, AppState};

/// A JSON body whose rejection is an API error (`bad_body`), like every other error.
pub struct Body<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::bad(
                "bad_body",
                format!("请求体应为符合说明的 JSON：{}", e.body_text()),
            )),
        }
    }
}

#[derive(Serialize)]
pub struct ApiCasePage {
    cases: Vec<Value>,
    total: u64,
    page: u32,
    page_size: u32,
    pages: u32,
}

pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<ApiCasePage>, ApiError> {
    let found = s
        .custody
        .search_cases(&user.principal, &q.filter()?, q.page(), q.size())
        .await?;
    Ok(Json(ApiCasePage {
        cases: found.cases.iter().map(case_json).collect(),
        total: found.total,
        page: found.page,
        page_size: found.page_size,
        pages: found.pages(),
    }))
}

#[derive(Deserialize)]
pub struct ApiParty {
    kind: String,
    name: String,
    id_or_credit_code: String,
}

fn parties(p: Vec<ApiParty>) -> Vec<PartyRow> {
    p.into_iter()
        .map(|p| PartyRow {
            kind: p.kind,
            name: p.name,
            id_or_credit_code: p.id_or_credit_code,
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ApiNewCase {
    number: String,
    name: String,
    category: String,
    /// Defaults to the caller's unit.
    agency: Option<String>,
    department: String,
    #[serde(default)]
    parties: Vec<ApiParty>,
    team: Vec<String>,
}

pub async fn create(
    State(s): State<AppState>,
    user: CurrentUser,
    Body(b): Body<ApiNewCase>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = NewCase {
        number: b.number,
        name: b.name,
        category: forms::category(&b.category)?,
        agency: b.agency.or_else(|| user.unit.clone()).unwrap_or_default(),
        department: b.department,
        parties: parties(b.parties),
        team: b.team,
        flags: CaseFlags::default(),
    };
    let case = super::create_case(&s, &user, &new).await?;
    Ok((StatusCode::CREATED, Json(case_json(&case))))
}

fn dossier_json(d: &CaseDossier) -> Value {
    let steps: Vec<Value> = d
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = &s.step;
            let v = d.verdict.steps.iter().find(|v| v.step_id == st.id);
            json!({
                "id": st.id,
                "checklist_row": st.checklist_row,
                "name": st.name,
                "start": st.window.0.to_string(),
                "end": st.window.1.to_string(),
                "place": st.place,
                "officers": st.officers,
                "on_site": st.on_site,
                "disputed": st.disputed,
                "level": v.map(|v| v.level.code()),
                "full_process": v.is_some_and(|v| v.full_process),
                "findings": v.map(|v| v.findings.iter().map(|f| json!({
                    "level": f.level.code(),
                    "rule": f.rule,
                    "code": f.code,
                    "message": f.message_zh,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "interruptions": v.map(|v| v.interruptions.iter().map(|i| json!({
                    "officer": i.officer,
                    "device": i.device,
                    "before": i.before.as_str(),
                    "after": i.after.as_str(),
                    "gap_start": i.gap_start.to_string(),
                    "gap_end": i.gap_end.to_string(),
                    "explained": d.explanations[i_step(d, &st.id)].iter()
                        .any(|e| e.explanation.resumed_record == i.after),
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "records": d.links[i].iter().map(|(l, r)| json!({
                    "record_id": r.id.as_str(),
                    "original_name": r.original_name,
                    "kind": r.kind.as_str(),
                    "linked_at": l.linked_at.to_string(),
                    "linked_by": l.linked_by,
                })).collect::<Vec<_>>(),
                "explanations": d.explanations[i].iter().map(|e| json!({
                    "resumed_record": e.explanation.resumed_record.as_str(),
                    "reason": e.explanation.reason.code(),
                    "text": e.explanation.text,
                    "spoken_at_offset_s": e.explanation.spoken_at_offset_s,
                    "explained_at": e.explained_at.to_string(),
                    "explained_by": e.explained_by,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "case": case_json(&d.case),
        "compliance": {
            "level": d.verdict.level.code(),
            "violations": d.verdict.violations(),
            "warnings": d.verdict.warnings(),
            "unexplained_interruptions": d.verdict.unexplained_interruptions(),
            "findings": d.verdict.findings.iter().map(|f| json!({
                "level": f.level.code(),
                "rule": f.rule,
                "code": f.code,
                "message": f.message_zh,
            })).collect::<Vec<_>>(),
        },
        "steps": steps,
        "can_manage": d.can_manage,
        "can_note": d.can_note,
        "can_reopen": d.can_reopen,
        "can_request_reopen": d.can_request_reopen,
        "reopen_request": d.reopen_request.as_ref().map(|r| json!({
            "request": r.seq,
            "requested_by": r.requested_by,
            "reason": r.reason,
        })),
    })
}

fn i_step(d: &CaseDossier, step_id: &str) -> usize {
    d.steps
        .iter()
        .position(|s| s.step.id == step_id)
        .unwrap_or_default()
}

pub async fn show(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = s.custody.case_dossier(&user.principal, &id).await?;
    Ok(Json(dossier_json(&d)))
}

pub async fn history(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let events = s.custody.case_events_for(&user.principal, &id).await?;
    Ok(Json(json!({
        "events": events.iter().map(|e| json!({
            "seq": e.seq,
            "at": e.at.to_string(),
            "actor": e.actor_id,
            "actor_name": e.actor_name,
            "action": e.action_code,
            "label": e.action.map(|a| a.label_zh()),
            "summary": e.summary_zh,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub struct ApiEdit {
    number: Option<String>,
    name: Option<String>,
    category: Option<String>,
    agency: Option<String>,
    department: Option<String>,
    status: Option<String>,
    parties: Option<Vec<ApiParty>>,
    team: Option<Vec<String>>,
    #[serde(default)]
    reason: String,
}

pub async fn edit(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiEdit>,
) -> Result<Json<Value>, ApiError> {
    let edit = CaseEdit {
        number: b.number,
        name: b.name,
        category: b.category.as_deref().map(forms::category).transpose()?,
        agency: b.agency,
        department: b.department,
        status: b.status.as_deref().map(forms::status).transpose()?,
        parties: b.parties.map(parties),
        team: b.team,
    };
    let case = s
        .custody
        .edit_case(&user.principal, &id, &edit, &b.reason)
        .await?;
    Ok(Json(case_json(&case)))
}

#[derive(Deserialize)]
pub struct ApiFlag {
    flag: String,
    value: bool,
    reason: String,
}

pub async fn flag(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiFlag>,
) -> Result<Json<Value>, ApiError> {
    let flag: CaseFlag = b.flag.parse()?;
    let case = s
        .custody
        .set_case_flag_as(&user.principal, &id, flag, b.value, &b.reason)
        .await?;
    Ok(Json(case_json(&case)))
}

pub async fn add_step(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<StepInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = b.into_new_step(&tz(&s))?;
    let st = s.custody.add_step_as(&user.principal, &id, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": st.step.id,
            "case_id": st.case_id,
            "checklist_row": st.step.checklist_row,
            "name": st.step.name,
            "start": st.step.window.0.to_string(),
            "end": st.step.window.1.to_string(),
            "place": st.step.place,
            "officers": st.step.officers,
            "on_site": st.step.on_site,
            "disputed": st.step.disputed,
        })),
    ))
}

pub async fn proposals(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, step)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, _, found) = s.custody.propose_links(&user.principal, &id, &step).await?;
    Ok(Json(json!({
        "proposals": found.iter().map(|(p, r)| json!({
            "record_id": r.id.as_str(),
            "original_name": r.original_name,
            "officer": r.classification.officer,
            "device": r.classification.device,
            "score": p.score,
            "overlap_seconds": p.overlap.as_secs(),
            "officer_matches": p.officer_matches,
            "device_matches": p.device_matches,
            "reasons": p.reasons_zh,
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub struct ApiLink {
    record_id: String,
}

fn record_id(s: &str) -> Result<RecordId, ApiError> {
    RecordId::parse(s.trim()).map_err(|_| ApiError::bad("invalid", "记录编号无效（应为 UUID）"))
}

pub async fn link(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, step)): Path<(String, String)>,
    Body(b): Body<ApiLink>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let rid = record_id(&b.record_id)?;
    let l = s
        .custody
        .link_record_as(&user.principal, &id, &step, &rid)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "step_id": l.step_id,
            "record_id": l.record_id.as_str(),
            "linked_at": l.linked_at.to_string(),
            "linked_by": l.linked_by,
        })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonQuery {
    reason: String,
}

pub async fn unlink(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, step, record)): Path<(String, String, String)>,
    Query(q): Query<ReasonQuery>,
) -> Result<StatusCode, ApiError> {
    let rid = record_id(&record)?;
    s.custody
        .unlink_record_as(&user.principal, &id, &step, &rid, &q.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ApiExplain {
    resumed_record: String,
    reason: String,
    #[serde(default)]
    text: String,
    spoken_at_offset_s: u32,
}

pub async fn explain(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, step)): Path<(String, String)>,
    Body(b): Body<ApiExplain>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let e = super::page::explanation(
        &b.resumed_record,
        &b.reason,
        &b.text,
        &b.spoken_at_offset_s.to_string(),
    )?;
    let row = s
        .custody
        .explain_interruption_as(&user.principal, &id, &step, &e)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "step_id": row.step_id,
            "resumed_record": row.explanation.resumed_record.as_str(),
            "reason": row.explanation.reason.code(),
            "text": row.explanation.text,
            "spoken_at_offset_s": row.explanation.spoken_at_offset_s,
            "explained_at": row.explained_at.to_string(),
            "explained_by": row.explained_by,
        })),
    ))
}
