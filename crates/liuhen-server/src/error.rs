use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The one place where errors become HTTP responses: a stable code for machines, a message
/// in Chinese for people, and never the internal cause (that goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("internal error")]
    Internal(#[from] liuhen_app::AppError),
}

impl From<liuhen_app::DbError> for ApiError {
    fn from(e: liuhen_app::DbError) -> Self {
        Self::Internal(liuhen_app::AppError::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请联系系统管理员",
                )
            }
        };
        (
            status,
            Json(serde_json::json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}
