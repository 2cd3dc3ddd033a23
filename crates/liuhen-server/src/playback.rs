//! Playback with HTTP Range, proxies and thumbnails. OWNED BY THE UPLOAD/PLAYBACK WORK.

use axum::Router;

use crate::AppState;

/// What the record page needs to show the player (rendered by `templates/player.html`).
#[derive(Debug, Clone, Default)]
pub struct PlayerView {
    pub record_id: String,
    /// "video", "audio", "photo" or "other".
    pub kind: String,
    /// URL the browser plays or shows; `None` when there is nothing playable yet.
    pub src: Option<String>,
    /// Why there is no preview (Chinese), when `src` is `None`.
    pub reason: Option<String>,
    /// Watermark text: viewer's name and the time.
    pub watermark: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
}
