//! Record list, search and record pages. OWNED BY THE RECORDS/SEARCH WORK.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
