//! Static assets compiled into the binary: the UI works on an intranet with no internet.
//! Names carry no hash, so they are served with a short cache and an ETag.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// (name, content type, bytes). A new asset is added here.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/htmx.min.js"),
    ),
    (
        "tus.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/tus.min.js"),
    ),
    (
        "upload.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/upload.js"),
    ),
    (
        "player.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/player.js"),
    ),
    (
        "access.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/access.js"),
    ),
    (
        "decisions.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/decisions.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}-{:x}\"", env!("CARGO_PKG_VERSION"), fnv(bytes));
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (CONTENT_TYPE, *content_type),
            (CACHE_CONTROL, "public, max-age=3600"),
            (ETAG, etag.as_str()),
        ],
        *bytes,
    )
        .into_response()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
