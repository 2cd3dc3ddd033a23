//! Who is asking: the signed-in user (session cookie) or a script (API token), and the
//! sign-in and sign-out pages. The interface the other routes rely on is [`CurrentUser`].

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liuhen_app::accounts::{Gate, LoginOutcome, SessionTokens, UserInfo};
use liuhen_domain::access::Policy;
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::Principal;
use serde::Deserialize;

use crate::chrome::{Chrome, Menu};
use crate::edge::ClientAddr;
use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError, cookies};

/// The session cookie: HttpOnly, SameSite=Strict, Path=/, no Max-Age (ends with the
/// browser); the server ends it earlier on idleness, lifetime, sign-out.
pub const SESSION_COOKIE: &str = "liuhen_session";

/// Login CSRF: the sign-in form's pre-session token, also held by the browser in this
/// cookie (HttpOnly, SameSite=Strict); a sign-in whose form does not carry the cookie's
/// value is refused, so no other site can sign a browser in to an account of its choosing.
pub const LOGIN_COOKIE: &str = "liuhen_login";

/// The authenticated caller. Extracting it fails with [`ApiError::Unauthenticated`]
/// (pages turn that into a redirect to `/login`), or with 403
/// `password_change_required` / `second_factor_required` while the user has a step to
/// take first (pages redirect to that step).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub principal: Principal,
    /// The session's CSRF token (empty for API-token callers, who need none).
    pub csrf_token: String,
    /// Authenticated by an API token rather than a browser session.
    pub via_token: bool,
    /// The scopes of the API token (empty for sessions).
    pub token_scopes: Vec<TokenScope>,
    /// The user's unit and department (names).
    pub unit: Option<String>,
    pub department: Option<String>,
    /// Whether the user has a second factor in force.
    pub totp_enabled: bool,
    /// The menu items the access policy opens to this user.
    pub menu: Menu,
}

/// A signed-in user who may still have a step to take first: only the pages of those
/// steps (password change, second-factor enrolment) and sign-out use it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: CurrentUser,
    pub gate: Option<Gate>,
}

impl CurrentUser {
    fn new(u: &UserInfo, csrf: String, via_token: bool, policy: &Policy) -> Self {
        let principal = u.principal();
        Self {
            menu: Menu::of(policy, &principal),
            user_id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            principal,
            csrf_token: csrf,
            via_token,
            token_scopes: Vec::new(),
            unit: u.unit.clone(),
            department: u.department.clone(),
            totp_enabled: u.totp_enabled,
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The credential a request presents: its bearer token, else its session cookie.
pub fn credential(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(AUTHORIZATION) {
        return bearer(headers).map(str::to_owned);
    }
    cookies::get(headers, SESSION_COOKIE)
}

/// Whether a request carries an `Authorization: Bearer` header (CSRF does not apply).
pub fn has_bearer(headers: &HeaderMap) -> bool {
    headers.contains_key(AUTHORIZATION)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(done) = parts.extensions.get::<SignedIn>() {
            return Ok(done.clone());
        }
        // An Authorization header decides alone: a bad token is not rescued by a cookie.
        let mut scopes = None;
        let (info, csrf, via_token) = if let Some(token) = bearer(&parts.headers) {
            let caller = s.custody.token_caller(token).await?;
            let info = caller.map(|c| {
                scopes = Some(c.scopes);
                c.user
            });
            (info, String::new(), true)
        } else if parts.headers.contains_key(AUTHORIZATION) {
            (None, String::new(), true)
        } else if let Some(token) = cookies::get(&parts.headers, SESSION_COOKIE) {
            match s.custody.session_user(&token).await? {
                Some(su) => (Some(su.user), su.csrf, false),
                None => (None, String::new(), false),
            }
        } else {
            (None, String::new(), false)
        };
        let info = info.ok_or(ApiError::Unauthenticated)?;
        let mut user = CurrentUser::new(&info, csrf, via_token, s.custody.policy());
        if let Some(scopes) = scopes {
            token_allows(&parts.method, parts.uri.path(), &scopes)?;
            user.token_scopes = scopes;
        }
        let signed_in = SignedIn {
            user,
            gate: info.gate(),
        };
        parts.extensions.insert(signed_in.clone());
        Ok(signed_in)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, s).await?;
        match signed_in.gate {
            Some(gate) => Err(gate_error(gate)),
            None => Ok(signed_in.user),
        }
    }
}

/// What an API token may reach: never administration (`/admin…`, `/audit`, the accounts
/// under `/api/v1/users…`) nor the
/// account (`/account…`: passwords, second factor, minting tokens) — those need a
/// signed-in session that passed the second factor; otherwise the scope the request needs:
/// `upload` for tus, `read` for GET/HEAD, `write` for any other change.
/// `/api/v1/users/…`: accounts (police numbers, legal qualifications).
fn accounts_api(path: &str) -> bool {
    path.strip_prefix("/api/")
        .is_some_and(|r| r == "v1/users" || r.starts_with("v1/users/"))
}

pub fn token_allows(method: &Method, path: &str, scopes: &[TokenScope]) -> Result<(), ApiError> {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with('/'))
    };
    if under("/admin") || under("/audit") || under("/account") || accounts_api(path) {
        return Err(ApiError::Forbidden {
            code: "token_not_for_administration",
            message: "API 令牌不能用于账号和系统管理，请登录并通过双因素认证后操作".into(),
        });
    }
    let needed = if under("/api/v1/uploads") {
        TokenScope::Upload
    } else if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        TokenScope::Read
    } else {
        TokenScope::Write
    };
    if scopes.contains(&needed) {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "token_scope",
            message: format!(
                "该 API 令牌的权限范围不包括此操作（需要“{}”）",
                needed.label_zh()
            ),
        })
    }
}

pub fn gate_error(gate: Gate) -> ApiError {
    ApiError::Forbidden {
        code: gate.code(),
        message: gate.message_zh().into(),
    }
}

/// Where a page sends a user who has a step to take first.
pub fn gate_path(code: &str) -> Option<&'static str> {
    match code {
        "password_change_required" => Some("/account/password"),
        "second_factor_required" => Some("/account/totp"),
        _ => None,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/code", post(login_code))
        .route("/logout", post(logout))
}

/// A `Set-Cookie` value that puts a session in the browser.
pub fn session_cookie(s: &AppState, token: &str) -> String {
    cookies::set(SESSION_COOKIE, token, None, cookie_flags(s, true))
}

fn clear_cookie(s: &AppState) -> String {
    cookies::set(SESSION_COOKIE, "", Some(0), cookie_flags(s, true))
}

/// `Secure` follows `[security] secure_cookies`.
pub fn cookie_flags(s: &AppState, http_only: bool) -> cookies::Flags {
    cookies::Flags {
        http_only,
        secure: s.custody.config().security.secure_cookies,
    }
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response();
    if let Some(c) = cookie
        && let Ok(v) = c.parse()
    {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    res
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    error: Option<String>,
    /// Password accepted: ask for the TOTP code.
    code_step: bool,
}

fn login_view(
    t: Tr,
    csrf: String,
    username: String,
    error: Option<String>,
    code_step: bool,
) -> LoginPage {
    let mut c = Chrome::new(t, None, "login");
    c.csrf = csrf;
    LoginPage {
        c,
        username,
        error,
        code_step,
    }
}

async fn login_page(
    State(s): State<AppState>,
    t: Tr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        let e = |e| PageError::new(ApiError::from(e), t);
        if s.custody.session_user(&token).await.map_err(e)?.is_some() {
            return Ok(Redirect::to("/").into_response());
        }
        if let Some(p) = s.custody.pending_login(&token).await.map_err(e)? {
            return Ok(login_view(t, p.csrf, p.user.username, None, true).into_response());
        }
    }
    let pre = login_token(&headers).map_err(|e| PageError::new(e, t))?;
    Ok(with_login_cookie(
        &s,
        &pre,
        login_view(t, pre.clone(), String::new(), None, false).into_response(),
    ))
}

/// The browser's sign-in form token, or a new one.
fn login_token(headers: &HeaderMap) -> Result<String, liuhen_app::AppError> {
    match cookies::get(headers, LOGIN_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(t),
        _ => liuhen_app::accounts::login_form_token(),
    }
}

fn with_login_cookie(s: &AppState, token: &str, mut res: Response) -> Response {
    if let Ok(v) = cookies::set(LOGIN_COOKIE, token, None, cookie_flags(s, true)).parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    /// The form's pre-session token (login CSRF).
    #[serde(default)]
    csrf: String,
}

fn signed_in_response(s: &AppState, tokens: &SessionTokens) -> Response {
    // Any step to take first is enforced by the next page.
    see_other("/", Some(session_cookie(s, &tokens.token)))
}

async fn login(
    State(s): State<AppState>,
    t: Tr,
    client: ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    // Login CSRF: the form must carry the token of this browser's cookie.
    let pre = cookies::get(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same_token(&pre, &f.csrf) {
        let fresh = login_token(&headers).map_err(|e| PageError::new(e, t))?;
        let page = login_view(
            t,
            fresh.clone(),
            String::new(),
            Some("登录页面已过期或来源不明，请在本页重新登录".into()),
            false,
        );
        return Ok(with_login_cookie(
            &s,
            &fresh,
            (StatusCode::FORBIDDEN, page).into_response(),
        ));
    }
    // A user name no account can have is refused before anything is looked up or stored.
    let limit = s.custody.config().limits.username_bytes;
    if f.username.len() > limit {
        let e = ApiError::bad(
            "username_too_long",
            format!("用户名过长（最多 {limit} 字节）"),
        );
        return Err(PageError::new(e, t));
    }
    let outcome = s
        .custody
        .login(&f.username, &f.password, &client.0)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(match outcome {
        LoginOutcome::SignedIn(tokens) => signed_in_response(&s, &tokens),
        LoginOutcome::SecondFactorNeeded(tokens) => {
            see_other("/login", Some(session_cookie(&s, &tokens.token)))
        }
        LoginOutcome::Refused(r) => (
            StatusCode::UNAUTHORIZED,
            login_view(
                t,
                pre,
                f.username.trim().to_owned(),
                Some(r.message_zh()),
                false,
            ),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

async fn login_code(
    State(s): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    client: ClientAddr,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let token = cookies::get(&headers, SESSION_COOKIE).unwrap_or_default();
    let e = |e| PageError::new(e, t);
    let outcome = s
        .custody
        .login_second_factor(&token, &f.code, &client.0)
        .await
        .map_err(e)?;
    Ok(match outcome {
        LoginOutcome::SignedIn(tokens) => signed_in_response(&s, &tokens),
        LoginOutcome::SecondFactorNeeded(_) => see_other("/login", None),
        LoginOutcome::Refused(r) => {
            // Still pending (a wrong code): ask again; otherwise start over.
            match s.custody.pending_login(&token).await.map_err(e)? {
                Some(p) => (
                    StatusCode::UNAUTHORIZED,
                    login_view(t, p.csrf, p.user.username, Some(r.message_zh()), true),
                )
                    .into_response(),
                None => (
                    StatusCode::UNAUTHORIZED,
                    login_view(
                        t,
                        login_token(&headers).unwrap_or_default(),
                        String::new(),
                        Some(r.message_zh()),
                        false,
                    ),
                )
                    .into_response(),
            }
        }
    })
}

/// Signs out (full or half-finished sign-in); CSRF-checked like every POST.
async fn logout(
    State(s): State<AppState>,
    t: Tr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        s.custody
            .logout(&token)
            .await
            .map_err(|e| PageError::new(e, t))?;
    }
    Ok(see_other("/login", Some(clear_cookie(&s))))
}
