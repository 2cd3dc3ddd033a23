//! Who is asking: the signed-in user (session cookie) or a script (API token).
//! OWNED BY THE ACCOUNTS WORK — this is the interface the other routes rely on.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use liuhen_domain::authz::Principal;

use crate::{ApiError, AppState};

/// The authenticated caller. Extracting it fails with [`ApiError::Unauthenticated`]
/// (pages turn that into a redirect to `/login`).
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
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(
        _parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Err(ApiError::Unauthenticated)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
}
