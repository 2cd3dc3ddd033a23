//! The HTTP face of liuhen: the Chinese-first web UI and the JSON API under `/api/v1`.
//! Handlers stay thin: they extract, call one use case of `liuhen-app`, render. Errors
//! become responses only in [`error`], with a stable code and no internals.

mod access_api;
mod access_pages;
mod account;
mod admin;
mod alerts;
mod assets;
pub mod auth;
mod cases;
mod chrome;
mod cookies;
pub mod csrf;
mod draws;
mod draws_pages;
mod error;
mod home;
pub mod i18n;
mod openapi;
mod permits;
pub mod playback;
mod records;
mod register;
mod reviews;
mod security;
mod state;
mod uploads;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use liuhen_app::Custody;

pub use error::{ApiError, PageError};
pub use state::AppState;

/// How often the server signs a checkpoint when the log has grown.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

pub fn router(custody: Custody) -> Router {
    let state = AppState {
        custody,
        permits: Default::default(),
    };
    let csrf = axum::middleware::from_fn_with_state(state.clone(), csrf::protect);
    Router::new()
        .route("/healthz", get(healthz))
        .merge(assets::routes())
        .merge(home::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(admin::routes())
        .merge(records::routes())
        .merge(cases::routes())
        .merge(reviews::routes())
        .merge(uploads::routes())
        .merge(playback::routes())
        .merge(openapi::routes())
        .merge(access_api::routes())
        .merge(access_pages::routes())
        .merge(register::routes())
        .merge(alerts::routes())
        .merge(draws::routes())
        .merge(draws_pages::routes())
        .layer(csrf)
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let custody = &s.custody;
    let entries = custody.db().log_size().await?;
    Ok(Json(serde_json::json!({
        "status": "ok",
        "log_entries": entries,
        "blob_store": custody.blobs().kind(),
    })))
}

/// Serves until Ctrl-C / SIGTERM, signing a checkpoint periodically and at shutdown.
pub async fn serve(custody: Custody, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "liuhen listening");
    let checkpointer = tokio::spawn(checkpoint_loop(custody.clone()));
    tokio::spawn(playback::background(custody.clone()));
    tokio::spawn(register::background(custody.clone()));
    axum::serve(listener, router(custody.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    checkpointer.abort();
    if let Err(e) = custody.checkpoint().await {
        tracing::error!(error = %e, "final checkpoint failed");
    }
    Ok(())
}

async fn checkpoint_loop(custody: Custody) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = custody.checkpoint().await {
            tracing::error!(error = %e, "periodic checkpoint failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
