//! Playback with HTTP Range, proxies and thumbnails. OWNED BY THE UPLOAD/PLAYBACK WORK.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
