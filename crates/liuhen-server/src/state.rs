use liuhen_app::Custody;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub custody: Custody,
}
