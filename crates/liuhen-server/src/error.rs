//! The one place where errors become HTTP responses: a stable machine-readable code, a
//! message for people (Chinese first), and never the internal cause (that goes to the log).
//! API routes answer JSON (`ApiError`); pages answer an HTML page (`PageError`), or show
//! the error on the page the person is on ([`inline`]): one classification for both.

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
    /// The query string is longer than `[limits] query_bytes` (HTTP 414).
    #[error("query too long")]
    QueryTooLong { message: String },
    /// A protocol precondition is not met (tus: unsupported `Tus-Resumable`).
    #[error("precondition failed: {code}")]
    PreconditionFailed { code: &'static str, message: String },
    /// Another request holds the resource (tus: a PATCH is writing this upload).
    #[error("locked")]
    Locked { message: String },
    /// tus checksum extension: the chunk does not match `Upload-Checksum` (HTTP 460).
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// HTTP Range outside the content of `size` bytes (416 with `Content-Range: bytes */size`).
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// The disk under the store is full (507) or failing (503): nothing was changed, the
    /// request may be retried later. The cause goes to the log.
    #[error("storage fault: {0:?}")]
    Storage(liuhen_app::StorageFault),
    #[error("internal error")]
    Internal(#[source] AppError),
}

impl ApiError {
    /// A JSON request body read as `T`, or `bad_body` naming the expected `shape`.
    pub fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8], shape: &str) -> Result<T, Self> {
        serde_json::from_slice(bytes)
            .map_err(|e| Self::bad("bad_body", format!("请求体应为 JSON：{shape}（{e}）")))
    }

    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The one classification of pages and API: an error a person can act on where it
    /// happened — bad input (400), a conflict (409), a refusal of a workflow rule or of the
    /// access policy (403; not a gate such as a required password change) — is shown
    /// inline, next to the form that caused it; everything else is an error page. The API
    /// answers both kinds with the same status and code.
    pub fn is_inline(&self) -> bool {
        match self {
            Self::BadRequest { .. } | Self::Conflict { .. } => true,
            Self::Forbidden { code, .. } => crate::auth::gate_path(code).is_none(),
            _ => false,
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
            Self::QueryTooLong { message } => {
                (StatusCode::URI_TOO_LONG, "query_too_long", message.clone())
            }
            Self::PreconditionFailed { code, message } => {
                (StatusCode::PRECONDITION_FAILED, code, message.clone())
            }
            Self::Locked { message } => (StatusCode::LOCKED, "locked", message.clone()),
            Self::ChecksumMismatch => (
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
                "checksum_mismatch",
                "数据块校验和不符，已丢弃，请重新发送".into(),
            ),
            Self::RangeNotSatisfiable { .. } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "请求的字节范围无效".into(),
            ),
            Self::Storage(liuhen_app::StorageFault::DiskFull) => (
                StatusCode::INSUFFICIENT_STORAGE,
                "disk_full",
                "存储空间已满，本次操作未保存，请联系系统管理员".into(),
            ),
            Self::Storage(liuhen_app::StorageFault::Io) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_error",
                "存储设备读写出错，本次操作未保存，请稍后再试或联系系统管理员".into(),
            ),
            Self::Internal(e) => {
                tracing::error!(error = %liuhen_app::error_chain(e), "request failed");
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
            AppError::Forbidden { code } => Self::Forbidden {
                code,
                message: Tr::current().error_text(code).unwrap_or(code).into(),
            },
            AppError::Input(m) => Self::BadRequest {
                code: "invalid",
                message: Tr::current().message(&m),
            },
            AppError::Refused { code, message } => Self::Forbidden {
                code,
                message: Tr::current().message(&message),
            },
            AppError::NotFound(what) => Self::NotFound(what),
            AppError::Invalid(message) => Self::BadRequest {
                code: "invalid",
                message,
            },
            AppError::Upload(e) => upload_error(e),
            other => match other.storage_fault() {
                Some(fault) => {
                    tracing::error!(error = %liuhen_app::error_chain(&other), ?fault, "request failed: storage fault");
                    Self::Storage(fault)
                }
                None => Self::Internal(other),
            },
        }
    }
}

fn upload_error(e: liuhen_app::uploads::UploadError) -> ApiError {
    use liuhen_app::uploads::UploadError as U;
    match e {
        U::BadMetadata(message) => ApiError::BadRequest {
            code: "bad_metadata",
            message,
        },
        U::TooLarge { max, .. } => ApiError::PayloadTooLarge {
            message: format!(
                "文件过大，单个文件最大 {:.1} GiB",
                max as f64 / 1024.0 / 1024.0 / 1024.0
            ),
        },
        U::Empty => ApiError::bad("empty_upload", "不能上传空文件（0 字节）"),
        U::OffsetMismatch { current, .. } => ApiError::Conflict {
            code: "offset_mismatch",
            message: format!("上传位置不一致：服务器已接收 {current} 字节"),
        },
        U::ChecksumMismatch => ApiError::ChecksumMismatch,
        U::ExceedsLength => ApiError::bad("exceeds_length", "上传的数据超过了声明的文件大小"),
        U::Busy => ApiError::Locked {
            message: "该文件正在上传中，请稍后再试".into(),
        },
        U::LeaseLost => ApiError::Conflict {
            code: "upload_taken_over",
            message: "该上传已由另一请求接续，本次数据未被接收，请查询进度后重试".into(),
        },
        U::Closed(state) => ApiError::NotFound(format!("upload {state}")),
        U::NotOwner => ApiError::Forbidden {
            code: "not_owner",
            message: "只能操作自己创建的上传".into(),
        },
    }
}

impl From<liuhen_app::DbError> for ApiError {
    fn from(e: liuhen_app::DbError) -> Self {
        Self::from(AppError::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        // In the request's language where the catalog has the code (`error.<code>`).
        let message = Tr::current().shown(code, message);
        let mut res = (
            status,
            Json(serde_json::json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if let Self::RangeNotSatisfiable { size } = self
            && let Ok(v) = format!("bytes */{size}").parse()
        {
            res.headers_mut()
                .insert(axum::http::header::CONTENT_RANGE, v);
        }
        res
    }
}

/// Under `/api/`, the framework's own refusals of a request it cannot read (a query string,
/// path or JSON body that does not deserialize, a wrong content type: plain text from
/// axum's extractors) become the JSON error of the API, so every answer of the API has its
/// documented form. Status 422 (JSON of the wrong shape) is answered as 400.
pub async fn api_rejections(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if !api || !plain || !res.status().is_client_error() {
        return res;
    }
    let status = res.status();
    let (parts, body) = res.into_parts();
    let detail = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| {
            String::from_utf8_lossy(&b)
                .chars()
                .take(200)
                .collect::<String>()
        })
        .unwrap_or_default();
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let mut out = (
        status,
        Json(serde_json::json!({ "error": {
            "code": "bad_request",
            "message": format!("请求格式不正确：{detail}"),
        } })),
    )
        .into_response();
    for (k, v) in parts.headers.iter() {
        if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
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

/// An error shown inline on the page the person is on ([`ApiError::is_inline`]).
#[derive(Debug)]
pub struct Inline {
    /// 400 for bad input, 403 for a refusal, 409 for a conflict.
    pub status: StatusCode,
    /// In the interface language where the catalog has the code (`error.<code>`), else
    /// the use case's own words.
    pub message: String,
    error: ApiError,
    t: Tr,
}

/// How a page shows an error: `Ok` inline, `Err` as an error page. Handlers ask this
/// instead of matching `AppError` themselves.
pub fn inline(e: impl Into<ApiError>, t: Tr) -> Result<Inline, PageError> {
    let error = e.into();
    if !error.is_inline() {
        return Err(PageError { error, t });
    }
    let (status, code, message) = error.parts();
    Ok(Inline {
        status,
        message: t.shown(code, message),
        error,
        t,
    })
}

impl Inline {
    /// For pages whose notice only speaks of the input (a fixed "nothing changed"): a
    /// refusal is shown as an error page instead.
    pub fn input_only(self) -> Result<Self, PageError> {
        if self.status == StatusCode::BAD_REQUEST {
            Ok(self)
        } else {
            Err(PageError {
                error: self.error,
                t: self.t,
            })
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
    /// The request's id (`X-Request-Id`), for a report to the administrator.
    request_id: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.error, ApiError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        // A user with a step to take first (new password, second factor) is sent there.
        if let ApiError::Forbidden { code, .. } = &self.error
            && let Some(path) = crate::auth::gate_path(code)
        {
            return Redirect::to(path).into_response();
        }
        let (status, code, message) = self.error.parts();
        let page = ErrorPage {
            t: self.t,
            status: status.as_u16(),
            code,
            message: self.t.shown(code, message),
            request_id: crate::request_id::current(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The one classification, by hand: what a page shows inline and with which status.
    #[test]
    fn inline_or_error_page() {
        let t = Tr::default();
        let cases: Vec<(AppError, Option<u16>)> = vec![
            (AppError::Invalid("理由不能为空".into()), Some(400)),
            (
                AppError::Refused {
                    code: "self_approval",
                    message: "self_approval".into(),
                },
                Some(403),
            ),
            (
                AppError::Forbidden {
                    code: "outside_scope",
                },
                Some(403),
            ),
            // A gate (password change, second factor) is a redirect, never inline.
            (
                AppError::Forbidden {
                    code: "password_change_required",
                },
                None,
            ),
            (AppError::NotFound("record x".into()), None),
            (AppError::Task("boom".into()), None),
            (AppError::Keys("bad key".into()), None),
        ];
        for (e, expected) in cases {
            let what = format!("{e:?}");
            let got = inline(e, t).ok().map(|i| i.status.as_u16());
            assert_eq!(got, expected, "{what}");
        }
        let shown = inline(AppError::Invalid("内容未变化".into()), t).unwrap();
        assert_eq!(shown.message, "内容未变化");
        assert!(shown.input_only().is_ok());
        let refused = AppError::Refused {
            code: "self_approval",
            message: "self_approval".into(),
        };
        assert!(inline(refused, t).unwrap().input_only().is_err());
    }

    #[test]
    fn english_users_get_the_catalog_message_of_a_refusal() {
        let en = Tr {
            lang: crate::i18n::Lang::En,
        };
        let e = AppError::Forbidden {
            code: "outside_scope",
        };
        assert_eq!(
            inline(e, en).unwrap().message,
            "This record is outside your scope; file an access request"
        );
    }
}
