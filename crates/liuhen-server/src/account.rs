//! The user's own account: password change (also the forced first step), second factor
//! (TOTP) enrolment, API tokens; and `GET /api/v1/me`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use liuhen_app::accounts::{ApiTokenRow, Gate, TotpEnrollment};
use liuhen_domain::auth::TokenScope;
use serde::Deserialize;

use crate::auth::{CurrentUser, SignedIn, session_cookie};
use crate::chrome::Chrome;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/totp", get(totp_page))
        .route("/account/totp/start", post(totp_start))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/totp/disable", post(totp_disable))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/api/v1/me", get(me))
}

/// Local date and time (bureau offset) of a millisecond timestamp, `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn local_time(s: &AppState, ms: i64) -> String {
    let tz = s
        .custody
        .config()
        .utc_offset()
        .unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Pages of a step a user must take first accept a [`SignedIn`] user, but only for their
/// own step: someone who must change the password does that before enrolling.
fn only_gate(user: &SignedIn, allowed: Gate, t: Tr) -> Result<(), PageError> {
    match user.gate {
        Some(g) if g != allowed => Err(PageError::new(crate::auth::gate_error(g), t)),
        _ => Ok(()),
    }
}

pub(crate) struct TokenView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
    /// Scope labels in the page's language, joined.
    pub scopes: String,
    pub expires: String,
    pub expired: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    username: String,
    unit: String,
    department: String,
    totp_enabled: bool,
    is_security_admin: bool,
    tokens: Vec<TokenView>,
    /// A token just created: shown this once.
    new_token: Option<String>,
    error: Option<String>,
}

async fn render_account(
    s: &AppState,
    t: Tr,
    user: &CurrentUser,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<AccountPage, PageError> {
    let rows: Vec<ApiTokenRow> = s
        .custody
        .api_tokens(&user.user_id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let tokens = rows
        .into_iter()
        .map(|r| TokenView {
            scopes: TokenScope::parse_list(&r.scopes)
                .into_iter()
                .map(|sc| t.s(&format!("account.tokens.scope.{}", sc.code())))
                .collect::<Vec<_>>()
                .join("、"),
            expires: r.expires_ms.map(|ms| local_time(s, ms)).unwrap_or_default(),
            expired: r.expires_ms.is_some_and(|ms| now_ms >= ms),
            created: local_time(s, r.created_ms),
            last_used: r
                .last_used_ms
                .map(|ms| local_time(s, ms))
                .unwrap_or_default(),
            revoked: r.revoked_ms.is_some(),
            id: r.id,
            name: r.name,
        })
        .collect();
    Ok(AccountPage {
        c: Chrome::new(t, Some(user), "account"),
        username: user.username.clone(),
        unit: user.unit.clone().unwrap_or_default(),
        department: user.department.clone().unwrap_or_default(),
        totp_enabled: user.totp_enabled,
        is_security_admin: s.custody.allows_system(
            &user.principal,
            liuhen_domain::authz::Action::ManageSecurity,
        ),
        tokens,
        new_token,
        error,
    })
}

async fn account_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<AccountPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    render_account(&s, t, &user, None, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "account_password.html")]
struct PasswordPage {
    c: Chrome,
    forced: bool,
    error: Option<String>,
}

async fn password_page(t: Tr, user: Result<SignedIn, ApiError>) -> Result<PasswordPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    Ok(PasswordPage {
        c: Chrome::new(t, Some(&user.user), "account"),
        forced: user.gate == Some(Gate::ChangePassword),
        error: None,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    State(s): State<AppState>,
    t: Tr,
    user: Result<SignedIn, ApiError>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    if user.user.via_token {
        return Err(PageError::new(
            ApiError::bad("session_required", "请在浏览器中登录后修改密码"),
            t,
        ));
    }
    let retry = |message: String| {
        (
            StatusCode::BAD_REQUEST,
            PasswordPage {
                c: Chrome::new(t, Some(&user.user), "account"),
                forced: user.gate == Some(Gate::ChangePassword),
                error: Some(message),
            },
        )
            .into_response()
    };
    if f.new_password != f.confirm_password {
        return Ok(retry("两次输入的新密码不一致".into()));
    }
    match s
        .custody
        .change_password(&user.user.user_id, &f.current_password, &f.new_password)
        .await
    {
        Ok(tokens) => Ok((
            StatusCode::SEE_OTHER,
            [
                (SET_COOKIE, session_cookie(&s, &tokens.token)),
                (LOCATION, "/account".to_owned()),
            ],
        )
            .into_response()),
        Err(e) => Ok(retry(crate::error::inline(e, t)?.message)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account_totp.html")]
struct TotpPage {
    c: Chrome,
    forced: bool,
    enabled: bool,
    /// Administrators cannot turn it off.
    required: bool,
    enrollment: Option<TotpEnrollment>,
    /// The enrolment's secret in groups of four and its URI as a QR code (inline SVG).
    grouped: String,
    qr: Option<String>,
    error: Option<String>,
}

async fn render_totp(
    s: &AppState,
    t: Tr,
    user: &SignedIn,
    error: Option<String>,
) -> Result<TotpPage, PageError> {
    let enrollment = if user.user.totp_enabled {
        None
    } else {
        s.custody
            .totp_enrollment(&user.user.user_id)
            .await
            .map_err(|e| PageError::new(e, t))?
    };
    let grouped = enrollment
        .as_ref()
        .map(|e| crate::qr::grouped(&e.secret))
        .unwrap_or_default();
    let qr = enrollment.as_ref().and_then(|e| crate::qr::svg(&e.uri));
    Ok(TotpPage {
        grouped,
        qr,
        c: Chrome::new(t, Some(&user.user), "account"),
        forced: user.gate == Some(Gate::EnrollSecondFactor),
        enabled: user.user.totp_enabled,
        required: liuhen_domain::requires_second_factor(&user.user.principal.roles),
        enrollment,
        error,
    })
}

async fn totp_page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<SignedIn, ApiError>,
) -> Result<TotpPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    only_gate(&user, Gate::EnrollSecondFactor, t)?;
    render_totp(&s, t, &user, None).await
}

async fn totp_start(
    State(s): State<AppState>,
    t: Tr,
    user: Result<SignedIn, ApiError>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    only_gate(&user, Gate::EnrollSecondFactor, t)?;
    s.custody
        .start_totp_enrollment(&user.user.user_id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/account/totp"))
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    State(s): State<AppState>,
    t: Tr,
    user: Result<SignedIn, ApiError>,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    only_gate(&user, Gate::EnrollSecondFactor, t)?;
    match s.custody.confirm_totp(&user.user.user_id, &f.code).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            Ok((
                shown.status,
                render_totp(&s, t, &user, Some(shown.message)).await?,
            )
                .into_response())
        }
    }
}

async fn totp_disable(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    match s.custody.disable_totp(&user.user_id, &f.code).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            let signed_in = SignedIn { user, gate: None };
            Ok((
                shown.status,
                render_totp(&s, t, &signed_in, Some(shown.message)).await?,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    /// Checkboxes: present = chosen.
    #[serde(default)]
    scope_read: Option<String>,
    #[serde(default)]
    scope_upload: Option<String>,
    #[serde(default)]
    scope_write: Option<String>,
    /// Lifetime in days; empty = the configured default.
    #[serde(default)]
    days: String,
}

/// Creates an API token and shows it on the answer page, once.
async fn create_token(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let scopes: Vec<TokenScope> = [
        (f.scope_read.is_some(), TokenScope::Read),
        (f.scope_upload.is_some(), TokenScope::Upload),
        (f.scope_write.is_some(), TokenScope::Write),
    ]
    .into_iter()
    .filter_map(|(on, sc)| on.then_some(sc))
    .collect();
    // None chosen: the narrowest, reading only.
    let scopes = if scopes.is_empty() {
        vec![TokenScope::Read]
    } else {
        scopes
    };
    let days = match f.days.trim() {
        "" => None,
        d => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    render_account(&s, t, &user, None, Some("令牌有效期必须是天数".into())).await?,
                )
                    .into_response());
            }
        },
    };
    let made = s
        .custody
        .create_api_token_with(&user.user_id, &f.name, &scopes, days)
        .await;
    match made {
        Ok(token) => Ok(render_account(&s, t, &user, Some(token), None)
            .await?
            .into_response()),
        Err(e) => {
            let shown = crate::error::inline(e, t)?;
            Ok((
                shown.status,
                render_account(&s, t, &user, None, Some(shown.message)).await?,
            )
                .into_response())
        }
    }
}

async fn revoke_token(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    s.custody
        .revoke_api_token(&user.user_id, &id)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(Redirect::to("/account"))
}

/// Who the caller is (session or API token).
async fn me(user: CurrentUser) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user_id": user.user_id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.principal.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
        "unit": user.unit,
        "department": user.department,
        "via_token": user.via_token,
        "token_scopes": user.token_scopes.iter().map(|s| s.code()).collect::<Vec<_>>(),
    }))
}
