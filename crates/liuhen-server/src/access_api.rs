//! JSON API of access control (issue 5) under `/api/v1/access`, labels on records and
//! cases, and the download of an original. Handlers are thin: one use case each.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use liuhen_app::access::{
    CopyStatement, LabelTarget, NewRequest, OutsideRequester, PaperUpload, RequestDetail,
    StepAttempt,
};
use liuhen_domain::access::Step;
use liuhen_domain::approval::{RequestKind, StepDecision};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::records::parse_id;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/access/policy", get(policy))
        .route("/api/v1/access/requests", get(list).post(file))
        .route("/api/v1/access/requests/{id}", get(show))
        .route("/api/v1/access/requests/{id}/decisions", post(decide))
        .route("/api/v1/access/requests/{id}/copies", post(copy))
        .route("/api/v1/access/requests/{id}/fee", post(fee))
        .route("/api/v1/access/requests/{id}/loan", post(loan))
        .route("/api/v1/access/requests/{id}/return", post(return_loan))
        .route("/api/v1/access/requests/{id}/visits", post(visit))
        .route(
            "/api/v1/access/requests/{id}/papers/{paper}",
            put(paper).get(paper_scan),
        )
        .route(
            "/api/v1/access/requests/{id}/packages/{package}/scan",
            put(burn_scan),
        )
        .route(
            "/api/v1/access/requests/{id}/packages/{package}/scan/{sha256}",
            get(burn_scan_file),
        )
        .route("/api/v1/access/grants", get(grants))
        .route("/api/v1/access/grants/{id}/revoke", post(revoke))
        .route("/api/v1/access/loans", get(loans))
        .route("/api/v1/records/{id}/labels", post(label_record))
        .route("/api/v1/cases/{id}/labels", post(label_case))
        .route("/api/v1/records/{id}/original", get(original))
}

fn bad_json<T: serde::de::DeserializeOwned>(body: &Bytes, shape: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "bad_json",
            format!("请求内容格式不正确（应为 {shape}）：{e}"),
        )
    })
}

/// The tail of every request handler: the request as the caller now sees it.
async fn detail(s: &AppState, user: &CurrentUser, id: &str) -> Result<Json<Value>, ApiError> {
    let d = s.custody.request_detail(&user.principal, id).await?;
    Ok(Json(detail_json(&d)))
}

pub(crate) fn detail_json(d: &RequestDetail) -> Value {
    let r = &d.request;
    json!({
        "id": r.id,
        "number": r.number,
        "kind": r.kind,
        "outside_action": r.outside_action,
        "status": d.status.code(),
        "flow": d.flow.iter().map(|s| s.code()).collect::<Vec<_>>(),
        "next_step": d.next_step.map(Step::code),
        "basis": r.basis,
        "records": r.records,
        "case": r.case_id,
        "department": r.department,
        "agency": r.agency,
        "purpose": r.purpose,
        "legal_basis": r.legal_basis,
        "requester": {
            "user": r.filed_by,
            "name": r.requester_name,
            "type": r.requester_type,
            "unit": r.requester_unit,
        },
        "discs": r.discs,
        "pages": r.pages,
        "due_ms": r.due_ms,
        "filed_ms": r.filed_ms,
        "fee_cents": r.fee_cents,
        "receipt_no": r.receipt_no,
        "paid_ms": r.paid_ms,
        "approvals": d.approvals.iter().map(|a| json!({
            "step": a.step,
            "decision": a.decision,
            "approver": a.approver_name,
            "comment": a.comment,
            "decided_ms": a.decided_ms,
        })).collect::<Vec<_>>(),
        "papers": d.papers.iter().map(|p| json!({
            "paper": p.paper,
            "sha256": p.sha256,
            "file_name": p.file_name,
            "size_bytes": p.size_bytes,
        })).collect::<Vec<_>>(),
        "missing_papers": d.missing_papers,
        "grants": d.grants.iter().map(grant_json).collect::<Vec<_>>(),
        "copies": d.copies.iter().map(|c| json!({
            "id": c.id,
            "number": c.number,
            "record": c.record_id,
            "original_sha256": c.original_sha256,
            "statement_sha256": c.statement_sha256,
            "maker": c.maker_name,
            "extractor": c.extractor,
            "extracted_ms": c.extracted_ms,
            "proves": c.proves,
        })).collect::<Vec<_>>(),
        "loan": d.loan.as_ref().map(|l| json!({
            "issued_ms": l.issued_ms,
            "due_ms": l.due_ms,
            "returned_ms": l.returned_ms,
            "grant": l.grant_id,
        })),
        "visits": d.visits.iter().map(|v| json!({
            "visited_ms": v.visited_ms,
            "note": v.note,
        })).collect::<Vec<_>>(),
    })
}

fn grant_json(g: &liuhen_app::access::GrantRow) -> Value {
    json!({
        "id": g.id,
        "request": g.request_id,
        "grantee": g.grantee_id,
        "purpose": g.purpose,
        "records": g.records,
        "view": g.can_view,
        "play": g.can_play,
        "download": g.can_download,
        "expires_ms": g.expires_ms,
        "revoked_ms": g.revoked_ms,
        "revoke_reason": g.revoke_reason,
    })
}

async fn policy(State(s): State<AppState>, _user: CurrentUser) -> Json<Value> {
    let p = s.custody.policy();
    Json(json!({
        "papers": p.papers,
        "outside": p.outside.iter().map(|o| json!({
            "code": o.code, "name": o.name, "papers": o.papers, "conclusive_only": o.conclusive_only,
        })).collect::<Vec<_>>(),
        "labels": p.labels.iter().map(|l| json!({"code": l.code, "name": l.name})).collect::<Vec<_>>(),
        "fees": {"per_disc_cents": p.fees.per_disc_cents, "per_page_cents": p.fees.per_page_cents},
        "view_grant_hours": p.view_grant.as_hours(),
        "loan_max_hours": p.loan_max.as_hours(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct OutsideJson {
    #[serde(rename = "type")]
    pub requester_type: String,
    pub name: String,
    pub unit: String,
    pub id_number: String,
    pub copy: bool,
    /// A requisition (调卷) by a court or reconsideration body (R4.6).
    pub requisition: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FileJson {
    pub kind: String,
    pub records: Vec<String>,
    pub purpose: String,
    /// RFC 3339 timestamp (loans).
    pub due: Option<String>,
    pub discs: u32,
    pub pages: u32,
    pub outside: Option<OutsideJson>,
    pub legal_basis: Option<String>,
}

impl FileJson {
    pub(crate) fn request(&self) -> Result<NewRequest, ApiError> {
        let kind = RequestKind::parse(self.kind.trim()).ok_or_else(|| {
            ApiError::bad(
                "bad_kind",
                "申请类型应为 view（查阅）、copy（复制）、loan（借阅）或 outside（外部调阅）",
            )
        })?;
        let records = self
            .records
            .iter()
            .map(|r| {
                parse_id(r.trim())
                    .map_err(|_| ApiError::bad("bad_record", format!("记录编号不正确：{r}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let due = match self.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(d.parse::<jiff::Timestamp>().map_err(|_| {
                ApiError::bad(
                    "bad_due",
                    "归还日期格式不正确（RFC 3339，如 2026-12-01T17:00:00+08:00）",
                )
            })?),
            None => None,
        };
        Ok(NewRequest {
            kind,
            records,
            purpose: self.purpose.clone(),
            due,
            discs: self.discs,
            pages: self.pages,
            outside: self.outside.as_ref().map(|o| OutsideRequester {
                requester_type: o.requester_type.clone(),
                name: o.name.clone(),
                unit: o.unit.clone(),
                id_number: o.id_number.clone(),
                copy: o.copy,
                requisition: o.requisition,
            }),
            legal_basis: self.legal_basis.clone(),
        })
    }
}

async fn file(
    State(s): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let j: FileJson = bad_json(&body, "{\"kind\", \"records\", \"purpose\", …}")?;
    let new = j.request()?;
    let row = s
        .custody
        .file_request(&user.principal, &user.display_name, &new)
        .await?;
    let d = s.custody.request_detail(&user.principal, &row.id).await?;
    Ok((StatusCode::CREATED, Json(detail_json(&d))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    /// mine (default) | inbox | unit
    scope: String,
}

async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let c = &s.custody;
    let p = &user.principal;
    let found = match q.scope.as_str() {
        "" | "mine" => c.my_requests(p).await?,
        "inbox" => c.unit_requests(p, false).await?,
        "unit" => c.unit_requests(p, true).await?,
        _ => return Err(ApiError::bad("bad_scope", "scope 应为 mine、inbox 或 unit")),
    };
    Ok(Json(json!({
        "requests": found.iter().map(detail_json).collect::<Vec<_>>(),
    })))
}

async fn show(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    detail(&s, &user, &id).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DecideJson {
    step: String,
    decision: String,
    basis: String,
    comment: String,
}

pub(crate) fn attempt(
    step: &str,
    decision: &str,
    basis: &str,
    comment: &str,
) -> Result<StepAttempt, ApiError> {
    Ok(StepAttempt {
        step: Step::parse(step.trim()).ok_or_else(|| {
            ApiError::bad(
                "bad_step",
                "审批环节应为 consent、legal_review、leader_approval 或 deputy_approval",
            )
        })?,
        decision: StepDecision::parse(decision.trim())
            .ok_or_else(|| ApiError::bad("bad_decision", "审批结果应为 approve 或 reject"))?,
        basis: basis.trim().to_owned(),
        comment: comment.to_owned(),
    })
}

async fn decide(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: DecideJson = bad_json(&body, "{\"step\", \"decision\", \"basis\", \"comment\"}")?;
    let a = attempt(&j.step, &j.decision, &j.basis, &j.comment)?;
    s.custody
        .decide_request(&user.principal, &user.display_name, &id, &a)
        .await?;
    detail(&s, &user, &id).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CopyJson {
    extractor: String,
    extracted_at: Option<String>,
    proves: String,
}

async fn copy(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: CopyJson = bad_json(&body, "{\"extractor\", \"proves\", \"extracted_at\"}")?;
    let extracted_at = match j
        .extracted_at
        .as_deref()
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        Some(t) => Some(
            t.parse::<jiff::Timestamp>()
                .map_err(|_| ApiError::bad("bad_time", "提取时间格式不正确（RFC 3339）"))?,
        ),
        None => None,
    };
    let st = CopyStatement {
        extractor: j.extractor,
        extracted_at,
        proves: j.proves,
    };
    s.custody
        .make_copy(&user.principal, &user.display_name, &id, &st)
        .await?;
    detail(&s, &user, &id).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FeeJson {
    receipt_no: String,
}

async fn fee(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: FeeJson = bad_json(&body, "{\"receipt_no\"}")?;
    s.custody
        .record_fee(&user.principal, &id, &j.receipt_no)
        .await?;
    detail(&s, &user, &id).await
}

async fn loan(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.custody.issue_loan(&user.principal, &id).await?;
    detail(&s, &user, &id).await
}

async fn return_loan(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.custody.return_loan(&user.principal, &id).await?;
    detail(&s, &user, &id).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct VisitJson {
    note: String,
}

async fn visit(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: VisitJson = if body.is_empty() {
        VisitJson::default()
    } else {
        bad_json(&body, "{\"note\"}")?
    };
    s.custody
        .record_visit(&user.principal, &id, &j.note)
        .await?;
    detail(&s, &user, &id).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PaperQuery {
    file_name: String,
}

/// The signed scan of a package's disc-burn record form (issue 19).
async fn burn_scan(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, package)): Path<(String, String)>,
    Query(q): Query<PaperQuery>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let name = if q.file_name.trim().is_empty() {
        "scan".to_owned()
    } else {
        q.file_name
    };
    let scan = s
        .custody
        .attach_burn_scan(&user.principal, &id, &package, &name, &body)
        .await?;
    Ok(Json(json!({
        "package": package,
        "name": scan.name,
        "sha256": scan.sha256,
        "size": scan.size,
    })))
}

async fn paper(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, paper)): Path<(String, String)>,
    Query(q): Query<PaperQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let file_name = if q.file_name.trim().is_empty() {
        format!("{paper}.bin")
    } else {
        q.file_name
    };
    s.custody
        .attach_paper(
            &user.principal,
            &id,
            PaperUpload {
                paper,
                file_name,
                media_type,
                bytes: body.to_vec(),
            },
        )
        .await?;
    detail(&s, &user, &id).await
}

/// Media types a scan is shown inline as; anything else (HTML, SVG, …) is only downloaded.
const INLINE_SCANS: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
];

/// `GET …/papers/{paper}`: the attached scan, for someone involved in the request (logged).
async fn paper_scan(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, paper)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (row, bytes) = s.custody.paper_scan(&user.principal, &id, &paper).await?;
    Ok(scan_response(&row.media_type, &row.file_name, bytes))
}

/// `GET …/packages/{package}/scan/{sha256}`: a scan of the package's signed disc-burn
/// record form, for a keeper of the request's unit (re-hashed on reading).
async fn burn_scan_file(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, package, sha256)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (row, bytes) = s
        .custody
        .burn_scan_bytes(&user.principal, &id, &package, &sha256)
        .await?;
    Ok(scan_response(&row.media_type, &row.file_name, bytes))
}

/// A scan as a response: inline when its media type is a safe one, else downloaded.
fn scan_response(media_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let media = media_type.trim().to_ascii_lowercase();
    let inline = INLINE_SCANS.contains(&media.as_str());
    let content_type = if inline {
        media
    } else {
        "application/octet-stream".to_owned()
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        res.headers_mut().insert(CONTENT_TYPE, v);
    }
    res.headers_mut().insert(
        CONTENT_DISPOSITION,
        crate::disposition::content_disposition(inline, file_name),
    );
    res
}

async fn grants(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let found = match q.scope.as_str() {
        "" | "mine" => s.custody.my_grants(&user.principal).await?,
        "unit" => s.custody.unit_grants(&user.principal).await?,
        _ => return Err(ApiError::bad("bad_scope", "scope 应为 mine 或 unit")),
    };
    Ok(Json(
        json!({ "grants": found.iter().map(grant_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RevokeJson {
    reason: String,
}

async fn revoke(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: RevokeJson = bad_json(&body, "{\"reason\"}")?;
    let g = s
        .custody
        .revoke_grant(&user.principal, &id, &j.reason)
        .await?;
    Ok(Json(grant_json(&g)))
}

async fn loans(State(s): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let open = s.custody.open_loans(&user.principal).await?;
    Ok(Json(json!({
        "loans": open.iter().map(|(l, overdue)| json!({
            "request": l.request_id,
            "borrower": l.borrower_id,
            "issued_ms": l.issued_ms,
            "due_ms": l.due_ms,
            "overdue": overdue,
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LabelJson {
    label: String,
    set: bool,
    reason: String,
}

async fn label_record(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let target = parse_id(&id).map(LabelTarget::Record);
    set_label(&s, &user, target, &body).await
}

async fn label_case(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    set_label(&s, &user, Ok(LabelTarget::Case(id)), &body).await
}

/// Sets or clears a confidentiality label: body `{label, set, reason}` (checked before the
/// target's id).
async fn set_label(
    s: &AppState,
    user: &CurrentUser,
    target: Result<LabelTarget, ApiError>,
    body: &Bytes,
) -> Result<Json<Value>, ApiError> {
    let j: LabelJson = bad_json(body, "{\"label\", \"set\", \"reason\"}")?;
    let changed = s
        .custody
        .set_label(&user.principal, &target?, &j.label, j.set, &j.reason)
        .await?;
    Ok(Json(json!({ "changed": changed })))
}

/// The original file, for whoever may take it away (keepers; loans). Logged.
async fn original(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rid = parse_id(&id)?;
    let record = s.custody.download_original(&user.principal, &rid).await?;
    let mut res =
        crate::download::serve_original(&s.custody, &record, &user.principal.user_id, &headers)
            .await?;
    res.headers_mut().insert(
        CONTENT_DISPOSITION,
        crate::disposition::content_disposition(false, &record.original_name),
    );
    Ok(res)
}
