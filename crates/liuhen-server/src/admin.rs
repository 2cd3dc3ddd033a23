//! The three administrators' pages (三员分立): accounts and organisation for the system
//! administrator, locks and second factors for the security administrator, the audit log
//! (read-only) for the audit administrator. Each page asks the single authorization point.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::accounts::{DepartmentRow, NewUser, UnitRow, UserListing, generate_password};
use liuhen_domain::authz::{Action, Target};
use liuhen_domain::{AuditAction, Role};
use serde::Deserialize;

use crate::account::local_time;
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{id}/disable", post(disable_user))
        .route("/admin/users/{id}/enable", post(enable_user))
        .route("/admin/users/{id}/reset-password", post(reset_password))
        .route("/admin/org", get(org_page).post(create_org))
        .route("/admin/security", get(security_page))
        .route("/admin/security/unlock", post(unlock))
        .route("/admin/security/{id}/reset-totp", post(reset_totp))
        .route("/audit", get(audit_page))
}

async fn allowed(
    s: &AppState,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    action: Action,
) -> Result<CurrentUser, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .authorize(&user.principal, action, Target::System, None)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(user)
}

/// A one-time password just set: shown on this page only.
pub(crate) struct Issued {
    pub username: String,
    pub password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserListing>,
    units: Vec<UnitRow>,
    departments: Vec<DepartmentRow>,
    role_codes: Vec<&'static str>,
    issued: Option<Issued>,
    error: Option<String>,
    /// The form as submitted, kept when it is refused.
    form: UserForm,
    /// Legal qualification certificates by user id (R5: legal-office reviewers).
    certs: std::collections::HashMap<String, String>,
    /// Police numbers (警号) by user id (issue 10.1).
    police: std::collections::HashMap<String, String>,
}

impl UsersPage {
    fn police_of(&self, id: &str) -> String {
        self.police.get(id).cloned().unwrap_or_default()
    }

    fn cert(&self, id: &str) -> String {
        self.certs.get(id).cloned().unwrap_or_default()
    }

    fn legal_office(&self, roles: &[Role]) -> bool {
        roles.contains(&Role::LegalOffice)
    }

    fn checked(&self, code: &str) -> bool {
        self.form.roles.iter().any(|r| r == code)
    }
}

#[derive(Default)]
struct UserForm {
    username: String,
    display_name: String,
    unit: String,
    department: String,
    police_number: String,
    roles: Vec<String>,
}

impl UserForm {
    fn parse(pairs: Vec<(String, String)>) -> Self {
        let mut f = UserForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "username" => f.username = v,
                "display_name" => f.display_name = v,
                "unit" => f.unit = v,
                "department" => f.department = v,
                "police_number" => f.police_number = v,
                "roles" => f.roles.push(v),
                _ => {}
            }
        }
        f
    }
}

async fn render_users(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    issued: Option<Issued>,
    error: Option<String>,
    form: UserForm,
) -> Result<UsersPage, PageError> {
    let e = |e| PageError::new(e, t);
    Ok(UsersPage {
        c: Chrome::new(t, Some(user), "admin"),
        users: s.custody.user_listing().await.map_err(e)?,
        units: s.custody.units().await.map_err(e)?,
        departments: s.custody.departments().await.map_err(e)?,
        role_codes: Role::ALL.iter().map(|r| r.code()).collect(),
        issued,
        error,
        form,
        certs: s.custody.legal_qualifications().await.map_err(e)?,
        police: s.custody.police_numbers().await.map_err(e)?,
    })
}

async fn users_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<UsersPage, PageError> {
    let user = allowed(&s, t, user, Action::ManageUsers).await?;
    render_users(&s, t, &user, None, None, UserForm::default()).await
}

async fn create_user(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let form = UserForm::parse(pairs);
    let mut roles = Vec::new();
    for code in &form.roles {
        match code.parse::<Role>() {
            Ok(r) => roles.push(r),
            Err(_) => return Err(PageError::new(ApiError::bad("invalid", "角色不存在"), t)),
        }
    }
    // The police number is checked before the account is made (format, unique).
    let police = match liuhen_app::police::parse_police_number(&form.police_number) {
        Ok(Some(p)) => match s.custody.account_by_police(&p).await {
            Ok(Some(holder)) => {
                let m = format!(
                    "警号 {p} 已登记在账户 {} 上，警号在本局内不能重复",
                    holder.username
                );
                return Ok((
                    StatusCode::BAD_REQUEST,
                    render_users(&s, t, &user, None, Some(m), form).await?,
                )
                    .into_response());
            }
            Ok(None) => Some(p),
            Err(e) => return Err(PageError::new(e, t)),
        },
        Ok(None) => None,
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            return Ok((
                shown.status,
                render_users(&s, t, &user, None, Some(shown.message), form).await?,
            )
                .into_response());
        }
    };
    let password = generate_password().map_err(|e| PageError::new(e, t))?;
    let new = NewUser {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: password.clone(),
        unit: Some(form.unit.clone()),
        department: Some(form.department.clone()),
        roles,
    };
    match s.custody.create_user(&user.principal, new).await {
        Ok(id) => {
            if let Some(p) = &police {
                s.custody
                    .set_police_number(&user.principal, &id, p)
                    .await
                    .map_err(|e| PageError::new(e, t))?;
            }
            let created = s
                .custody
                .user(&id)
                .await
                .map_err(|e| PageError::new(e, t))?;
            let issued = Issued {
                username: created.username,
                password,
            };
            Ok(
                render_users(&s, t, &user, Some(issued), None, UserForm::default())
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            Ok((
                shown.status,
                render_users(&s, t, &user, None, Some(shown.message), form).await?,
            )
                .into_response())
        }
    }
}

async fn set_disabled(
    s: AppState,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    id: String,
    disabled: bool,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .set_user_disabled(&user.principal, &id, disabled)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/admin/users"))
}

async fn disable_user(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    set_disabled(s, t, user, id, true).await
}

async fn enable_user(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    set_disabled(s, t, user, id, false).await
}

async fn reset_password(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<UsersPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let e = |e| PageError::new(e, t);
    let password = s
        .custody
        .reset_password(&user.principal, &id)
        .await
        .map_err(e)?;
    let target = s.custody.user(&id).await.map_err(e)?;
    let issued = Issued {
        username: target.username,
        password,
    };
    render_users(&s, t, &user, Some(issued), None, UserForm::default()).await
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_org.html")]
struct OrgPage {
    c: Chrome,
    units: Vec<UnitRow>,
    departments: Vec<DepartmentRow>,
    error: Option<String>,
}

async fn render_org(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<OrgPage, PageError> {
    let e = |e| PageError::new(e, t);
    Ok(OrgPage {
        c: Chrome::new(t, Some(user), "admin"),
        units: s.custody.units().await.map_err(e)?,
        departments: s.custody.departments().await.map_err(e)?,
        error,
    })
}

async fn org_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<OrgPage, PageError> {
    let user = allowed(&s, t, user, Action::ManageUsers).await?;
    render_org(&s, t, &user, None).await
}

#[derive(Deserialize)]
struct OrgForm {
    unit: String,
    #[serde(default)]
    department: String,
}

async fn create_org(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<OrgForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    match s
        .custody
        .create_org(&user.principal, &f.unit, Some(&f.department))
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/org").into_response()),
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            Ok((
                shown.status,
                render_org(&s, t, &user, Some(shown.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_security.html")]
struct SecurityPage {
    c: Chrome,
    users: Vec<UserListing>,
}

async fn security_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<SecurityPage, PageError> {
    let user = allowed(&s, t, user, Action::ManageSecurity).await?;
    Ok(SecurityPage {
        c: Chrome::new(t, Some(&user), "security"),
        users: s
            .custody
            .user_listing()
            .await
            .map_err(|e| PageError::new(e, t))?,
    })
}

#[derive(Deserialize)]
struct UnlockForm {
    username: String,
}

async fn unlock(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<UnlockForm>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .unlock_user(&user.principal, f.username.trim())
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/admin/security"))
}

async fn reset_totp(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .reset_totp(&user.principal, &id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/admin/security"))
}

/// Entries per page of the audit log.
const AUDIT_PAGE: u32 = 50;

struct AuditRow {
    seq: u64,
    time: String,
    actor: String,
    action: String,
    label: &'static str,
    subject: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    /// `?before=` of the next (older) page.
    older: Option<u64>,
    newest: bool,
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<u64>,
}

async fn audit_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let e = |e| PageError::new(e, t);
    let entries = s
        .custody
        .audit_page(&user.principal, q.before, AUDIT_PAGE)
        .await
        .map_err(e)?;
    let names: HashMap<String, String> = s
        .custody
        .user_listing()
        .await
        .map_err(e)?
        .into_iter()
        .map(|l| {
            let name = format!("{}（{}）", l.user.display_name, l.user.username);
            (l.user.id, name)
        })
        .collect();
    let older = (entries.len() as u32 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|en| AuditRow {
            seq: en.seq,
            time: local_time(&s, en.at_ms),
            actor: names.get(&en.actor).cloned().unwrap_or(en.actor),
            label: AuditAction::parse(&en.action)
                .map(|a| t.label(a))
                .unwrap_or(""),
            action: en.action,
            subject: en.subject.unwrap_or_default(),
        })
        .collect();
    Ok(AuditPage {
        c: Chrome::new(t, Some(&user), "audit"),
        rows,
        older,
        newest: q.before.is_none(),
    })
}
