//! Web pages of access control (issue 5): the overview with the approvals inbox and the
//! keeper's queue, the request form, a request with its approval trail and the forms that
//! carry it on, grants (revoke), loans (return, overdue), labels.

mod packages;
mod record_lines;
mod views;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::AppError;
use liuhen_app::access::{CopyStatement, LabelTarget};
use liuhen_domain::RecordId;
use liuhen_domain::approval::RequestKind;
use serde::Deserialize;

pub(crate) use self::packages::iso_response;
pub use self::views::PackageView;
use self::views::{DetailView, GrantLine, LoanLine, ReqRow, tz};
use crate::access_api::{FileJson, OutsideJson, attempt};
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/access", get(home))
        .route("/access/new", get(new_form).post(new_submit))
        .route("/access/requests/{id}", get(detail))
        .route("/access/requests/{id}/decide", post(decide))
        .route("/access/requests/{id}/copy", post(copy))
        .route("/access/requests/{id}/package", post(packages::build))
        .route(
            "/access/requests/{id}/packages/{package}",
            get(packages::image),
        )
        .route(
            "/access/requests/{id}/packages/{package}/burn",
            get(packages::burn_page),
        )
        .route(
            "/access/requests/{id}/packages/{package}/burn/confirm",
            post(packages::burn_confirm),
        )
        .route(
            "/access/requests/{id}/packages/{package}/burn/form.pdf",
            get(packages::burn_pdf),
        )
        .route(
            "/cases/{id}/packages/{package}/burn",
            get(packages::case_burn_page),
        )
        .route(
            "/cases/{id}/packages/{package}/burn/confirm",
            post(packages::case_burn_confirm),
        )
        .route(
            "/cases/{id}/packages/{package}/burn/form.pdf",
            get(packages::case_burn_pdf),
        )
        .route("/access/requests/{id}/fee", post(fee))
        .route("/access/requests/{id}/loan", post(loan))
        .route("/access/requests/{id}/return", post(return_loan))
        .route("/access/requests/{id}/visit", post(visit))
        .route("/access/grants", get(grants))
        .route("/access/grants/{id}/revoke", post(revoke))
        .route("/access/loans", get(loans))
        .route("/access/labels", get(labels).post(label_submit))
}

/// Errors a person can act on are shown on the page; the rest become error pages.
fn flash(e: AppError, t: Tr) -> Result<String, PageError> {
    Ok(crate::error::inline(e, t)?.message)
}

#[derive(Template, WebTemplate)]
#[template(path = "access_home.html")]
struct HomePage {
    c: Chrome,
    inbox: Vec<ReqRow>,
    unit: Vec<ReqRow>,
    mine: Vec<ReqRow>,
    can_outside: bool,
    /// Loans past their due date in the keeper's unit (the reminder).
    overdue: usize,
}

async fn home(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<HomePage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let c = &s.custody;
    let p = &user.principal;
    let tz = tz(&s);
    let err = |e| PageError::new(e, t);
    let mine = c.my_requests(p).await.map_err(err)?;
    let inbox = c.unit_requests(p, false).await.map_err(err)?;
    let unit = c.unit_requests(p, true).await.map_err(err)?;
    let rows = |v: &[liuhen_app::access::RequestDetail]| {
        v.iter()
            .map(|d| ReqRow::new(d, &t, &tz))
            .collect::<Vec<_>>()
    };
    let can_outside = c.allows_system(p, liuhen_domain::authz::Action::RegisterOutside);
    let overdue = if c.allows_system(p, liuhen_domain::authz::Action::HandleRequest) {
        let loans = c.open_loans(p).await.map_err(err)?;
        loans.iter().filter(|(_, overdue)| *overdue).count()
    } else {
        0
    };
    Ok(HomePage {
        overdue,
        inbox: rows(&inbox),
        unit: rows(&unit),
        mine: rows(&mine),
        can_outside,
        c: Chrome::new(t, Some(&user), "access"),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewForm {
    kind: String,
    records: String,
    purpose: String,
    due: String,
    discs: String,
    pages: String,
    outside_type: String,
    outside_name: String,
    outside_unit: String,
    outside_id: String,
    outside_copy: String,
    outside_requisition: String,
    legal_basis: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access_new.html")]
struct NewPage {
    c: Chrome,
    f: NewForm,
    error: Option<String>,
    outside_types: Vec<(String, String)>,
    can_outside: bool,
    fee_note: String,
}

fn new_page(s: &AppState, t: Tr, user: &CurrentUser, f: NewForm, error: Option<String>) -> NewPage {
    let p = s.custody.policy();
    NewPage {
        outside_types: p
            .outside
            .iter()
            .map(|o| (o.code.clone(), o.name.clone()))
            .collect(),
        can_outside: s.custody.allows_system(
            &user.principal,
            liuhen_domain::authz::Action::RegisterOutside,
        ),
        fee_note: format!(
            "{} {} / {} {}",
            views::yuan(p.fees.per_disc_cents),
            t.s("access.fee.per_disc"),
            views::yuan(p.fees.per_page_cents),
            t.s("access.fee.per_page")
        ),
        c: Chrome::new(t, Some(user), "access"),
        f,
        error,
    }
}

async fn new_form(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(f): Query<NewForm>,
) -> Result<NewPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    Ok(new_page(&s, t, &user, f, None))
}

fn number(s: &str) -> u32 {
    s.trim().parse().unwrap_or(0)
}

impl NewForm {
    fn to_json(&self, tz: &jiff::tz::TimeZone) -> Result<FileJson, String> {
        let due = match self.due.trim() {
            "" => None,
            d => {
                let date: jiff::civil::Date =
                    d.parse().map_err(|_| format!("归还日期格式不正确：{d}"))?;
                let end = date
                    .at(17, 0, 0, 0)
                    .to_zoned_datetime(tz.clone())
                    .map_err(|e| e.to_string())?;
                Some(end.timestamp().to_string())
            }
        };
        let outside = (self.kind == RequestKind::Outside.code()).then(|| OutsideJson {
            requester_type: self.outside_type.clone(),
            name: self.outside_name.clone(),
            unit: self.outside_unit.clone(),
            id_number: self.outside_id.clone(),
            copy: self.outside_copy == "1",
            requisition: self.outside_requisition == "1",
        });
        Ok(FileJson {
            kind: self.kind.clone(),
            records: self
                .records
                .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            purpose: self.purpose.clone(),
            due,
            discs: number(&self.discs),
            pages: number(&self.pages),
            outside,
            legal_basis: Some(self.legal_basis.clone()),
        })
    }
}

async fn new_submit(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<NewForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let new = match f.to_json(&tz(&s)).map(|j| j.request()) {
        Ok(Ok(n)) => n,
        Ok(Err(ApiError::BadRequest { message, .. })) | Err(message) => {
            return Ok(new_page(&s, t, &user, f, Some(message)).into_response());
        }
        Ok(Err(e)) => return Err(PageError::new(e, t)),
    };
    match s
        .custody
        .file_request(&user.principal, &user.display_name, &new)
        .await
    {
        Ok(row) => Ok(Redirect::to(&format!("/access/requests/{}", row.id)).into_response()),
        Err(e) => {
            let m = flash(e, t)?;
            Ok(new_page(&s, t, &user, f, Some(m)).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "access_request.html")]
struct DetailPage {
    c: Chrome,
    d: DetailView,
    records: Vec<record_lines::RecordLine>,
    error: Option<String>,
}

async fn render_detail(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = s
        .custody
        .request_detail(&user.principal, id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let records = s
        .custody
        .request_record_lines(&user.principal, &d)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let records = record_lines::lines(&records, &views::tz(s), t);
    let mut view = DetailView::new(s, &d, user, &t);
    for cp in &mut view.copies {
        if let Some(r) = records.iter().find(|r| r.id == cp.record && r.visible) {
            cp.record_name = r.file_name.clone();
        }
    }
    if let Some(k) = records
        .iter()
        .flat_map(|r| &r.cases)
        .find(|k| k.id == view.case)
    {
        view.case_title = format!("{} {}", k.number, k.name);
    }
    if view.can_package {
        view.packages = s
            .custody
            .request_packages(id)
            .await
            .map_err(|e| PageError::new(e, t))?
            .iter()
            .map(|p| views::PackageView::new(s, p))
            .collect();
    }
    Ok(DetailPage {
        c: Chrome::new(t, Some(user), "access"),
        d: view,
        records,
        error,
    }
    .into_response())
}

async fn detail(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render_detail(&s, t, &user, &id, None).await
}

/// After a form: back to the request, or the page again with the message.
pub(crate) async fn after<T>(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    id: &str,
    r: Result<T, AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/access/requests/{id}")).into_response()),
        Err(e) => {
            let m = flash(e, t)?;
            render_detail(s, t, user, id, Some(m)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DecideForm {
    step: String,
    decision: String,
    basis: String,
    comment: String,
}

async fn decide(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let a =
        attempt(&f.step, &f.decision, &f.basis, &f.comment).map_err(|e| PageError::new(e, t))?;
    let r = s
        .custody
        .decide_request(&user.principal, &user.display_name, &id, &a)
        .await;
    after(&s, t, &user, &id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CopyForm {
    extractor: String,
    proves: String,
}

async fn copy(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<CopyForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let st = CopyStatement {
        extractor: f.extractor,
        extracted_at: None,
        proves: f.proves,
    };
    let r = s
        .custody
        .make_copy(&user.principal, &user.display_name, &id, &st)
        .await;
    after(&s, t, &user, &id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FeeForm {
    receipt_no: String,
}

async fn fee(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<FeeForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s
        .custody
        .record_fee(&user.principal, &id, &f.receipt_no)
        .await;
    after(&s, t, &user, &id, r).await
}

async fn loan(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s.custody.issue_loan(&user.principal, &id).await;
    after(&s, t, &user, &id, r).await
}

async fn return_loan(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s.custody.return_loan(&user.principal, &id).await;
    after(&s, t, &user, &id, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VisitForm {
    note: String,
}

async fn visit(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<VisitForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let r = s.custody.record_visit(&user.principal, &id, &f.note).await;
    after(&s, t, &user, &id, r).await
}

#[derive(Template, WebTemplate)]
#[template(path = "access_grants.html")]
struct GrantsPage {
    c: Chrome,
    mine: Vec<GrantLine>,
    unit: Vec<GrantLine>,
    error: Option<String>,
}

async fn grants_page(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, PageError> {
    let c = &s.custody;
    let p = &user.principal;
    let tz = tz(s);
    let now = c.now();
    let mine = c.my_grants(p).await.map_err(|e| PageError::new(e, t))?;
    let unit = if c.allows_system(p, liuhen_domain::authz::Action::RevokeGrant) {
        c.unit_grants(p).await.map_err(|e| PageError::new(e, t))?
    } else {
        Vec::new()
    };
    let names = c
        .display_names(
            &unit
                .iter()
                .map(|g| g.grantee_id.clone())
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(GrantsPage {
        mine: mine
            .iter()
            .map(|g| GrantLine::new(g, &names, now, &tz, &t))
            .collect(),
        unit: unit
            .iter()
            .map(|g| GrantLine::new(g, &names, now, &tz, &t))
            .collect(),
        c: Chrome::new(t, Some(user), "access"),
        error,
    }
    .into_response())
}

async fn grants(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    grants_page(&s, t, &user, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    reason: String,
}

async fn revoke(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    match s
        .custody
        .revoke_grant(&user.principal, &id, &f.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to("/access/grants").into_response()),
        Err(e) => {
            let m = flash(e, t)?;
            grants_page(&s, t, &user, Some(m)).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "access_loans.html")]
struct LoansPage {
    c: Chrome,
    loans: Vec<LoanLine>,
}

async fn loans(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<LoansPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let open = s
        .custody
        .open_loans(&user.principal)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let names = s
        .custody
        .display_names(
            &open
                .iter()
                .map(|(l, _)| l.borrower_id.clone())
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(|e| PageError::new(e, t))?;
    let numbers = s
        .custody
        .request_numbers(
            &open
                .iter()
                .map(|(l, _)| l.request_id.clone())
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(|e| PageError::new(e, t))?;
    let tz = tz(&s);
    Ok(LoansPage {
        loans: open
            .iter()
            .map(|(l, overdue)| LoanLine::new(l, *overdue, (&names, &numbers), &tz))
            .collect(),
        c: Chrome::new(t, Some(&user), "access"),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LabelQuery {
    record: String,
    case: String,
    label: String,
    set: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access_labels.html")]
struct LabelsPage {
    c: Chrome,
    record: String,
    case: String,
    current: Vec<String>,
    choices: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
}

async fn labels_page(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    q: &LabelQuery,
    error: Option<String>,
    saved: bool,
) -> Result<Response, PageError> {
    let target = if !q.record.is_empty() {
        let rid = RecordId::parse(&q.record)
            .map_err(|_| PageError::new(AppError::NotFound(format!("record {}", q.record)), t))?;
        Some(LabelTarget::Record(rid))
    } else if !q.case.is_empty() {
        Some(LabelTarget::Case(q.case.clone()))
    } else {
        None
    };
    let current = match &target {
        Some(target) => s
            .custody
            .labels_of(&user.principal, target)
            .await
            .map_err(|e| PageError::new(e, t))?,
        None => Vec::new(),
    };
    let p = s.custody.policy();
    let mut choices: Vec<(String, String)> = p
        .labels
        .iter()
        .map(|l| (l.code.clone(), l.name.clone()))
        .collect();
    if q.case.is_empty() {
        choices.push(("conclusive".into(), t.s("access.label.conclusive").into()));
    }
    let current = current
        .iter()
        .map(|c| {
            choices
                .iter()
                .find(|(code, _)| code == c)
                .map_or(c.clone(), |(_, n)| n.clone())
        })
        .collect();
    Ok(LabelsPage {
        c: Chrome::new(t, Some(user), "access"),
        record: q.record.clone(),
        case: q.case.clone(),
        current,
        choices,
        error,
        saved,
    }
    .into_response())
}

async fn labels(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<LabelQuery>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    labels_page(&s, t, &user, &q, None, false).await
}

async fn label_submit(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(q): Form<LabelQuery>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let target = if q.record.is_empty() {
        LabelTarget::Case(q.case.clone())
    } else {
        LabelTarget::Record(crate::records::parse_id(&q.record).map_err(|e| PageError::new(e, t))?)
    };
    let r = s
        .custody
        .set_label(&user.principal, &target, &q.label, q.set == "1", &q.reason)
        .await;
    match r {
        Ok(_) => labels_page(&s, t, &user, &q, None, true).await,
        Err(e) => {
            let m = flash(e, t)?;
            labels_page(&s, t, &user, &q, Some(m), false).await
        }
    }
}
