//! The `liuhen` binary: one executable with subcommands (serve, ingest, verify, log, keys).

mod access_cmd;
mod case_cmd;
mod cli;
mod decision_cmd;
mod demo_cmd;
mod draw_cmd;
mod export_cmd;
mod fixity_cmd;
mod identity_cmd;
mod operator;
mod progress;
mod record_cmd;
mod station_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("liuhen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            match storage_fault(&e) {
                Some(liuhen_app::StorageFault::DiskFull) => {
                    eprintln!("liuhen: 磁盘已满 / disk full: nothing of this step was saved: {e:#}")
                }
                Some(liuhen_app::StorageFault::Io) => eprintln!(
                    "liuhen: 存储读写错误 / storage I/O error: nothing of this step was saved: {e:#}"
                ),
                None => eprintln!("liuhen: {e:#}"),
            }
            if let Some(text) = app_message(&e) {
                eprintln!("liuhen: {text}");
            }
            ExitCode::from(2)
        }
    }
}

/// A refusal or bad input of the app layer in words, through the server's catalogs
/// (Chinese, or English when `LANG` starts with `en`).
fn app_message(e: &anyhow::Error) -> Option<String> {
    let t = liuhen_server::i18n::Tr::for_cli();
    e.chain().find_map(
        |cause| match cause.downcast_ref::<liuhen_app::AppError>()? {
            liuhen_app::AppError::Forbidden { code } => t.error_text(code).map(str::to_owned),
            liuhen_app::AppError::Input(m) | liuhen_app::AppError::Refused { message: m, .. } => {
                Some(t.message(m))
            }
            _ => None,
        },
    )
}

/// The disk being full or failing, wherever in the error's chain it was found.
fn storage_fault(e: &anyhow::Error) -> Option<liuhen_app::StorageFault> {
    e.chain().find_map(|cause| {
        if let Some(app) = cause.downcast_ref::<liuhen_app::AppError>() {
            app.storage_fault()
        } else if let Some(db) = cause.downcast_ref::<liuhen_app::DbError>() {
            db.storage_fault()
        } else if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            liuhen_app::StorageFault::of_io(io)
        } else {
            None
        }
    })
}
