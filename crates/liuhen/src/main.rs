//! The `liuhen` binary: one executable with subcommands (serve, ingest, verify, log, keys).

mod access_cmd;
mod case_cmd;
mod cli;
mod demo_cmd;
mod draw_cmd;
mod export_cmd;
mod identity_cmd;
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
            eprintln!("liuhen: {e:#}");
            ExitCode::from(2)
        }
    }
}
