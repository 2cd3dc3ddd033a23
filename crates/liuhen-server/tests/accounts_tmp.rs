#[path = "it/auth.rs"]
mod auth;
#[path = "it/support.rs"]
mod support;
