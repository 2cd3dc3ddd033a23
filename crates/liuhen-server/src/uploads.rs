//! tus 1.0 resumable uploads at /api/v1/uploads and the upload page. OWNED BY THE UPLOAD WORK.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
