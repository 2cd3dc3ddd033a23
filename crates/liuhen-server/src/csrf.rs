//! CSRF protection for every state change. A cookie-authenticated request with a method
//! other than GET/HEAD/OPTIONS must carry the session's token in the `X-CSRF-Token` header
//! or, for URL-encoded forms, in the form field `csrf`. Requests with an
//! `Authorization` header (API tokens) are exempt: browsers never add one on their own.
//! Requests without a live session pass through; without one they can change nothing.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{SESSION_COOKIE, has_bearer};
use crate::{ApiError, AppState, cookies};

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf";
/// The largest form body buffered to look for the field.
pub const FORM_LIMIT: usize = 1024 * 1024;

fn refused() -> Response {
    ApiError::Forbidden {
        code: "csrf",
        message: "请求缺少有效的安全校验码（CSRF），请刷新页面后重试".into(),
    }
    .into_response()
}

pub async fn protect(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || has_bearer(req.headers())
    {
        return next.run(req).await;
    }
    let Some(token) = cookies::get(req.headers(), SESSION_COOKIE) else {
        return next.run(req).await;
    };
    let expected = match s.custody.session_csrf(&token).await {
        Ok(Some(csrf)) => csrf,
        Ok(None) => return next.run(req).await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
    if header.is_some_and(|h| same(h, &expected)) {
        return next.run(req).await;
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return ApiError::PayloadTooLarge {
            message: "表单内容过大".into(),
        }
        .into_response();
    };
    if !form_field(&bytes, FIELD).is_some_and(|v| same(&v, &expected)) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The first value of a field in a URL-encoded body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let k = kv.next()?;
        (percent_decode(k) == name).then(|| percent_decode(kv.next().unwrap_or_default()))
    })
}

/// A form value: `+` is a space, `%XX` a byte, malformed escapes kept as they are; invalid
/// UTF-8 replaced.
pub(crate) fn percent_decode(s: &[u8]) -> String {
    let plus_as_space: Vec<u8> = s
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !b.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_values() {
        for (input, expected) in [
            ("a+b%20c", "a b c"),
            ("%E5%8C%96%e5%b7%a5", "化工"),
            ("%2B%25", "+%"),
            ("100%", "100%"),
            ("%4", "%4"),
            ("%zz1", "%zz1"),
            ("%FF", "\u{fffd}"),
        ] {
            assert_eq!(percent_decode(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn finds_form_fields() {
        assert_eq!(
            form_field(b"a=1&csrf=abc&b=2", "csrf").as_deref(),
            Some("abc")
        );
        assert_eq!(
            form_field(b"csrf=a%2Bb+c", "csrf").as_deref(),
            Some("a+b c")
        );
        assert_eq!(form_field(b"xcsrf=1", "csrf"), None);
        assert_eq!(form_field(b"csrf", "csrf").as_deref(), Some(""));
        assert_eq!(form_field(b"csrf=%", "csrf").as_deref(), Some("%"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("", ""));
    }
}
