//! Bounded input at the edge (issue 10, item 4): before any handler runs, a request's query
//! string, its form or JSON body and every field in it are held to `[limits]`; more is
//! refused with 414 / 413 / 400 and a Chinese message (an error page for pages, JSON under
//! `/api/`), and nothing is looked up or stored. Bodies of other types (tus chunks, paper
//! scans) are bounded by their own routes. Also: [`ClientAddr`], the client address that
//! sign-in throttling counts by.

use std::net::{IpAddr, SocketAddr};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liuhen_app::config::Limits;

use crate::i18n::Tr;
use crate::{ApiError, AppState, PageError};

/// Why a request is refused at the edge.
fn refuse(path: &str, headers: &HeaderMap, e: ApiError) -> Response {
    if path.starts_with("/api/") {
        e.into_response()
    } else {
        PageError::new(e, Tr::from_headers(headers)).into_response()
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        message: format!("提交的内容过大（最多 {limit} 字节）"),
    }
}

fn field_too_long(name: &str, limit: usize) -> ApiError {
    let name: String = name.chars().take(32).collect();
    ApiError::bad(
        "field_too_long",
        format!("字段“{name}”过长（最多 {limit} 个字符）"),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Form,
    Json,
}

fn body_kind(headers: &HeaderMap) -> Option<Kind> {
    let ct = headers
        .get(CONTENT_TYPE)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        Some(Kind::Form)
    } else if ct.starts_with("application/json") || ct.contains("+json") {
        Some(Kind::Json)
    } else {
        None
    }
}

/// The first field of a URL-encoded body (or query) longer than `limit` characters.
pub fn long_form_field(body: &[u8], limit: usize) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let k = crate::csrf::percent_decode(kv.next().unwrap_or_default());
        let v = crate::csrf::percent_decode(kv.next().unwrap_or_default());
        (k.chars().count() > limit || v.chars().count() > limit).then_some(k)
    })
}

/// The name of the first string (or key) of a JSON value longer than `limit` characters.
pub fn long_json_field(v: &serde_json::Value, limit: usize) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.chars().count() > limit => Some(String::new()),
        Value::Array(items) => items.iter().find_map(|i| long_json_field(i, limit)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.chars().count() > limit {
                return Some(k.chars().take(32).collect());
            }
            long_json_field(v, limit).map(|inner| if inner.is_empty() { k.clone() } else { inner })
        }),
        _ => None,
    }
}

/// The middleware: query string, body size and field lengths.
pub async fn bound(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let limits: &Limits = &s.custody.config().limits;
    let path = req.uri().path().to_owned();
    if let Some(q) = req.uri().query() {
        if q.len() > limits.query_bytes {
            let e = ApiError::QueryTooLong {
                message: format!("查询参数过长（最多 {} 字节）", limits.query_bytes),
            };
            return refuse(&path, req.headers(), e);
        }
        if let Some(name) = long_form_field(q.as_bytes(), limits.field_chars) {
            return refuse(
                &path,
                req.headers(),
                field_too_long(&name, limits.field_chars),
            );
        }
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(kind) = body_kind(req.headers()) else {
        return next.run(req).await;
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body_bytes as u64) {
        return refuse(&path, req.headers(), too_large(limits.body_bytes));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, limits.body_bytes).await else {
        return refuse(&path, &parts.headers, too_large(limits.body_bytes));
    };
    let long = match kind {
        Kind::Form => long_form_field(&bytes, limits.field_chars),
        // Malformed JSON is the handler's to refuse, with its own message.
        Kind::Json => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| long_json_field(&v, limits.field_chars)),
    };
    if let Some(name) = long {
        return refuse(
            &path,
            &parts.headers,
            field_too_long(&name, limits.field_chars),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The client address of a request: the TCP peer, or — when the peer is one of
/// `[security] trusted_proxies` — the last address of its `X-Forwarded-For`. `unknown`
/// when the server runs without connection info (never in `serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = &s.custody.config().security.trusted_proxies;
        Ok(ClientAddr(client_ip(peer, &parts.headers, trusted)))
    }
}

pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if trusted.contains(&peer)
        && let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return ip.to_canonical().to_string();
    }
    peer.to_canonical().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_found_by_name() {
        assert_eq!(long_form_field(b"a=12345&b=12", 4), Some("a".into()));
        assert_eq!(long_form_field(b"a=1234&b=12", 4), None);
        // Percent-encoded characters count once: 张 is %E5%BC%A0.
        assert_eq!(long_form_field(b"n=%E5%BC%A0%E5%BC%A0", 2), None);
        assert_eq!(
            long_form_field(b"n=%E5%BC%A0%E5%BC%A0%E5%BC%A0", 2),
            Some("n".into())
        );
        let v = serde_json::json!({"a": {"b": ["x", "xxxxx"]}, "c": 1});
        assert_eq!(long_json_field(&v, 4), Some("b".into()));
        assert_eq!(long_json_field(&v, 5), None);
        assert_eq!(
            long_json_field(&serde_json::json!("xxxxx"), 4),
            Some(String::new())
        );
    }

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.7".parse().unwrap());
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_ip(Some(proxy), &h, &[]), "127.0.0.1");
        assert_eq!(client_ip(Some(proxy), &h, &[proxy]), "10.0.0.7");
        assert_eq!(client_ip(None, &h, &[proxy]), "unknown");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(client_ip(Some(mapped), &HeaderMap::new(), &[]), "10.1.2.3");
    }
}
