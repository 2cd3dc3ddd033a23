//! The HTTP face of liuhen: the Chinese-first web UI and the JSON API under `/api/v1`.
//! Handlers stay thin: they extract, call one use case of `liuhen-app`, render. Errors
//! become responses only in [`error`], with a stable code and no internals.

mod access_api;
mod access_pages;
mod account;
mod admin;
mod alerts;
mod assessment_pages;
mod assets;
pub mod auth;
mod cases;
mod chrome;
mod cookies;
pub mod csrf;
mod decisions;
mod disposal;
mod disposal_api;
mod disposition;
mod download;
mod draws;
mod draws_pages;
pub mod edge;
mod error;
#[cfg(test)]
mod fuzz;
mod health;
mod holds;
mod home;
pub mod i18n;
mod identities;
mod openapi;
mod permits;
pub mod playback;
mod qr;
mod records;
mod register;
pub mod request_id;
mod reviews;
mod security;
mod state;
mod station;
mod supervision_api;
mod supervision_pages;
mod uploads;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use liuhen_app::Custody;
use std::future::IntoFuture;

pub use error::{ApiError, PageError};
pub use state::AppState;

/// How often the server signs a checkpoint when the log has grown.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);
/// How often `serve` looks for legal reviews past their time limit (alerted once each).
pub const OVERDUE_EVERY: Duration = Duration::from_secs(15 * 60);
/// The default of `[server] drain_seconds`: after SIGTERM / Ctrl-C, how long requests in
/// flight may still finish, and then how long the final checkpoint may take, before the
/// process ends regardless.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

pub fn router(custody: Custody) -> Router {
    let state = AppState {
        custody,
        permits: Default::default(),
    };
    let csrf = axum::middleware::from_fn_with_state(state.clone(), csrf::protect);
    let bound = axum::middleware::from_fn_with_state(state.clone(), edge::bound);
    let headers = axum::middleware::from_fn_with_state(state.clone(), security::headers);
    let request_id = axum::middleware::from_fn_with_state(state.clone(), request_id::assign);
    Router::new()
        .route("/healthz", get(healthz))
        .merge(assets::routes())
        .merge(home::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(admin::routes())
        .merge(identities::routes())
        .merge(records::routes())
        .merge(cases::routes())
        .merge(holds::routes())
        .merge(disposal::routes())
        .merge(health::routes())
        .merge(station::routes())
        .merge(disposal_api::routes())
        .merge(reviews::routes())
        .merge(uploads::routes())
        .merge(playback::routes())
        .merge(openapi::routes())
        .merge(access_api::routes())
        .merge(access_pages::routes())
        .merge(register::routes())
        .merge(alerts::routes())
        .merge(decisions::routes())
        .merge(draws::routes())
        .merge(draws_pages::routes())
        .merge(supervision_api::routes())
        .merge(supervision_pages::routes())
        .merge(assessment_pages::routes())
        .layer(csrf)
        .layer(bound)
        .layer(axum::middleware::from_fn(error::api_rejections))
        .layer(headers)
        .layer(axum::middleware::from_fn(i18n::scope))
        .layer(request_id)
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Response {
    let custody = &s.custody;
    // Degraded while writes fail for want of space (or a failing disk); the next write
    // that commits clears it, no restart needed.
    if let Some(fault) = custody.write_fault() {
        let reason = match fault.fault {
            liuhen_app::StorageFault::DiskFull => "disk_full",
            liuhen_app::StorageFault::Io => "storage_error",
        };
        let body = serde_json::json!({
            "status": "degraded",
            "reason": reason,
            "detail": fault.message,
            "blob_store": custody.blobs().kind(),
        });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    // Both stores are probed with a deadline: a frozen S3 or database makes this fail
    // within seconds instead of hanging the load balancer's check.
    let limit = Duration::from_millis(u64::from(custody.config().server.health_timeout_ms));
    let unreachable = |reason: &str, detail: String| {
        let body = serde_json::json!({
            "status": "unavailable",
            "reason": reason,
            "detail": detail,
            "blob_store": custody.blobs().kind(),
        });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    };
    let entries = match tokio::time::timeout(limit, custody.log_size()).await {
        Ok(Ok(entries)) => entries,
        Ok(Err(e)) => return unreachable("database_error", liuhen_app::error_chain(&e)),
        Err(_) => return unreachable("database_timeout", format!("no answer in {limit:?}")),
    };
    let blobs = custody.blobs().clone();
    // A blob that is never stored: the answer "not there" proves the store answers.
    let probe = tokio::task::spawn_blocking(move || blobs.size(&HEALTH_PROBE_BLOB));
    match tokio::time::timeout(limit, probe).await {
        Ok(Ok(Ok(_))) => {}
        Ok(Ok(Err(e))) => return unreachable("blob_store_error", e.to_string()),
        Ok(Err(e)) => return unreachable("blob_store_error", e.to_string()),
        Err(_) => return unreachable("blob_store_timeout", format!("no answer in {limit:?}")),
    }
    Json(serde_json::json!({
        "status": "ok",
        "log_entries": entries,
        "blob_store": custody.blobs().kind(),
        "fixity": fixity_json(custody).await,
    }))
    .into_response()
}

/// The digest `/healthz` asks the blob store about (all zeros: no content has it).
const HEALTH_PROBE_BLOB: liuhen_domain::Sha256Digest =
    liuhen_domain::Sha256Digest::from_bytes([0; 32]);

/// Serves until Ctrl-C / SIGTERM, signing a checkpoint periodically and at shutdown.
pub async fn serve(custody: Custody, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "liuhen listening");
    if let Err(e) = custody.release_own_upload_leases().await {
        tracing::warn!(error = %e, "cannot release this server's old upload leases; they lapse");
    }
    let mut jobs = tokio::task::JoinSet::new();
    if custody.config().server.periodic_jobs {
        jobs.spawn(playback::background(custody.clone()));
        jobs.spawn(checkpoint_loop(custody.clone()));
        jobs.spawn(register::background(custody.clone()));
        jobs.spawn(retention_loop(custody.clone()));
        jobs.spawn(overdue_reviews_loop(custody.clone()));
        jobs.spawn(fixity_loop(custody.clone()));
    } else {
        tracing::info!("periodic jobs are off on this server ([server] periodic_jobs)");
    }
    let (stopping, stop) = tokio::sync::oneshot::channel::<()>();
    let app = router(custody.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async {
        shutdown_signal().await;
        let _ = stopping.send(());
    });
    // Requests in flight get `[server] drain_seconds` after the signal; none may hold the
    // process.
    let drain = Duration::from_secs(u64::from(custody.config().server.drain_seconds));
    let deadline = async {
        if stop.await.is_ok() {
            tokio::time::sleep(drain).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server.into_future() => served?,
        () = deadline => tracing::warn!(
            seconds = drain.as_secs(),
            "requests still in flight at the drain deadline: stopping anyway"
        ),
    }
    jobs.abort_all();
    match tokio::time::timeout(drain, custody.checkpoint()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %liuhen_app::error_chain(&e), "final checkpoint failed")
        }
        Err(_) => tracing::error!("final checkpoint did not finish by the drain deadline"),
    }
    Ok(())
}

async fn checkpoint_loop(custody: Custody) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = custody.checkpoint().await {
            tracing::error!(error = %liuhen_app::error_chain(&e), "periodic checkpoint failed");
        }
    }
}

/// Recomputes every record's retention periodically (`retention.recompute_every_hours`),
/// first at start.
async fn retention_loop(custody: Custody) {
    let hours = u64::from(custody.config().retention.recompute_every_hours.max(1));
    let mut tick = tokio::time::interval(Duration::from_secs(hours * 3600));
    loop {
        tick.tick().await;
        match custody.follow_all_retention("system").await {
            Ok(0) => {}
            Ok(n) => tracing::info!(extended = n, "retention recomputed"),
            Err(e) => {
                tracing::error!(error = %liuhen_app::error_chain(&e), "retention recomputation failed")
            }
        }
    }
}

/// Raises the alert of legal reviews past their time limit (once each), first at start,
/// then every [`OVERDUE_EVERY`].
async fn overdue_reviews_loop(custody: Custody) {
    let mut tick = tokio::time::interval(OVERDUE_EVERY);
    loop {
        tick.tick().await;
        match custody.raise_overdue_reviews(custody.now()).await {
            Ok(raised) if raised.is_empty() => {}
            Ok(raised) => tracing::warn!(alerts = raised.len(), "overdue legal reviews alerted"),
            Err(e) => {
                tracing::error!(error = %liuhen_app::error_chain(&e), "overdue legal reviews: check failed")
            }
        }
    }
}

/// Scheduled fixity (R6.2): every `fixity.check_every_minutes`, a full pass over the
/// originals if the last one is `fixity.every_days` old by the custody's clock.
async fn fixity_loop(custody: Custody) {
    let minutes = u64::from(custody.config().fixity.check_every_minutes.max(1));
    let mut tick = tokio::time::interval(Duration::from_secs(minutes * 60));
    loop {
        tick.tick().await;
        match custody.fixity_run_if_due().await {
            Ok(None) => {}
            Ok(Some(r)) if r.findings.is_empty() => {
                tracing::info!(
                    originals = r.originals,
                    bytes = r.bytes,
                    "fixity pass: all as recorded"
                )
            }
            Ok(Some(r)) => tracing::error!(
                originals = r.originals,
                failed = r.findings.len(),
                "fixity pass: originals altered or missing (see the alerts)"
            ),
            Err(e) => {
                tracing::error!(error = %liuhen_app::error_chain(&e), "fixity pass failed")
            }
        }
    }
}

/// The last full fixity pass for `/healthz` and the health page.
async fn fixity_json(custody: &Custody) -> serde_json::Value {
    match custody.fixity_last_pass().await {
        Ok(Some(p)) => serde_json::json!({
            "last_full_pass": p.finished.to_string(),
            "originals": p.originals,
            "failed": p.failed,
            "bytes": p.bytes,
            "next_due": p.next_due.to_string(),
            "entry": p.seq,
        }),
        Ok(None) => serde_json::json!({ "last_full_pass": null }),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
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
