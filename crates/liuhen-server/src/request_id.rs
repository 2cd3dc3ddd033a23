//! A request id on every request: taken from `X-Request-Id` when the peer is one of
//! `[security] trusted_proxies` and the value is a plain token (1–64 of `A-Z a-z 0-9 . _ -`),
//! otherwise a fresh UUIDv7. It is returned in the `X-Request-Id` response header, names the
//! request's tracing span (so every log line of the request carries it) and is shown on the
//! error page, so a user's report can be found in the logs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::state::AppState;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, if any (the error page reads it).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Whether a forwarded id may be used as it is: short, and nothing a log or header could
/// misread.
pub fn acceptable(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn assign(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = peer.is_some_and(|p| s.custody.config().security.trusted_proxies.contains(&p));
    let forwarded = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| trusted && acceptable(v))
        .map(str::to_owned);
    let id = forwarded.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    // Handlers below see only the id decided here.
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(HEADER, v);
    }
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    let mut res = CURRENT
        .scope(id.clone(), next.run(req).instrument(span))
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_taken_over() {
        for (v, ok) in [
            ("", false),
            ("abc-123_X.y", true),
            ("01939c1e-7c4a-7b6e-9d1f-2a3b4c5d6e7f", true),
            ("a b", false),
            ("a\u{0}b", false),
            ("请求", false),
            ("x;rm -rf", false),
        ] {
            assert_eq!(acceptable(v), ok, "{v:?}");
        }
        assert!(acceptable(&"a".repeat(64)));
        assert!(!acceptable(&"a".repeat(65)));
    }
}
