use std::sync::Arc;

use liuhen_app::Custody;

use crate::permits::Permits;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub custody: Custody,
    /// Recent playback permissions (see [`crate::permits`]).
    pub permits: Arc<Permits>,
}
