//! The one place where errors become HTTP responses: a stable machine-readable code, a
//! message for people (Chinese first), and never the internal cause (that goes to the log).
//! API routes answer JSON (`ApiError`); pages answer an HTML page (`PageError`).

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use liuhen_app::AppError;

use crate::i18n::Tr;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    /// Bad input: `message` is shown to the user as is (Chinese).
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, message: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, message: String },
    #[error("too large")]
    PayloadTooLarge { message: String },
    #[error("internal error")]
    Internal(#[source] AppError),
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "请先登录".into(),
            ),
            Self::Forbidden { code, message } => (StatusCode::FORBIDDEN, code, message.clone()),
            Self::NotFound(_) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "请求的内容不存在".into(),
            ),
            Self::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message.clone()),
            Self::Conflict { code, message } => (StatusCode::CONFLICT, code, message.clone()),
            Self::PayloadTooLarge { message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large", message.clone())
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请联系系统管理员".into(),
                )
            }
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden { code, message } => Self::Forbidden {
                code,
                message: message.into(),
            },
            AppError::NotFound(what) => Self::NotFound(what),
            AppError::Invalid(message) => Self::BadRequest {
                code: "invalid",
                message,
            },
            other => Self::Internal(other),
        }
    }
}

impl From<liuhen_app::DbError> for ApiError {
    fn from(e: liuhen_app::DbError) -> Self {
        Self::Internal(AppError::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        (
            status,
            Json(serde_json::json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}

/// An error on a page: rendered as a page in the user's language; not signed in → login.
#[derive(Debug)]
pub struct PageError {
    pub error: ApiError,
    pub t: Tr,
}

impl PageError {
    pub fn new(error: impl Into<ApiError>, t: Tr) -> Self {
        Self {
            error: error.into(),
            t,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    status: u16,
    code: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.error, ApiError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let (status, code, message) = self.error.parts();
        let page = ErrorPage {
            t: self.t,
            status: status.as_u16(),
            code,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, code).into_response()
            }
        }
    }
}
