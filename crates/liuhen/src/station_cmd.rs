//! `liuhen station run|scan|held|bind`: the offload station (issue 15). It runs as an
//! account of the run's API token (`crate::operator`): every write is logged under it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_app::station::registry::StationBind;
use liuhen_app::station::{SlotStatus, Station};
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::{Action, Target};

use crate::operator::Who;

#[derive(Subcommand)]
pub enum StationCommand {
    /// Watch the roots and offload every camera that appears, until stopped.
    Run(WatchArgs),
    /// One scan of the roots (files still being written are left for a later scan).
    Scan(WatchArgs),
    /// Cameras held because they or their officer are not registered.
    Held {
        #[arg(long)]
        json: bool,
    },
    /// Register a camera (serial → unit, assigned officer) or a police number (→ account).
    Bind {
        /// The camera's serial number.
        #[arg(long, conflicts_with = "police", required_unless_present = "police")]
        serial: Option<String>,
        /// A police number (警号); needs --officer.
        #[arg(long, requires = "officer")]
        police: Option<String>,
        /// The unit (执法机构).
        #[arg(long)]
        unit: String,
        /// The officer's account (user name or display name) in the unit.
        #[arg(long)]
        officer: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct WatchArgs {
    /// Watch these folders instead of `[station] roots` of the configuration.
    #[arg(long = "root")]
    roots: Vec<PathBuf>,
    /// Out-of-town exception (R3.3): when the officer returned, RFC 3339 or "YYYY-MM-DD HH:MM".
    #[arg(long)]
    returned_at: Option<String>,
    /// Write the slots as JSON to this file after each file and scan, instead of
    /// `[station] status_file` (which the `/station` kiosk page reads).
    #[arg(long)]
    status_file: Option<PathBuf>,
    /// Print the slots as one JSON array per scan.
    #[arg(long)]
    json: bool,
}

pub async fn run(custody: &Custody, cmd: StationCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        StationCommand::Run(a) => watch(custody, a, true, who).await,
        StationCommand::Scan(a) => watch(custody, a, false, who).await,
        StationCommand::Held { json } => {
            who.resolve(custody, TokenScope::Read, "station held")
                .await?;
            for h in custody.station_held().await? {
                if json {
                    println!("{}", serde_json::to_string(&h)?);
                } else {
                    println!(
                        "待登记 held  记录仪 {}  警号 {}  {}  ({})",
                        h.serial.as_deref().unwrap_or("?"),
                        h.police.as_deref().unwrap_or("?"),
                        h.volume,
                        h.reason
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Bind {
            serial,
            police,
            unit,
            officer,
        } => {
            let op = who
                .resolve(custody, TokenScope::Write, "station bind")
                .await?;
            let bind = match (&serial, &police, &officer) {
                (Some(s), _, o) => StationBind::Device {
                    serial: s,
                    unit: &unit,
                    officer: o.as_deref(),
                },
                (None, Some(p), Some(o)) => StationBind::Police {
                    police: p,
                    unit: &unit,
                    account: o,
                },
                _ => anyhow::bail!("--serial or --police with --officer"),
            };
            let seq = custody.station_bind_as(&op.principal, bind).await?;
            println!("已登记 / bound (log entry {seq})");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn watch(
    custody: &Custody,
    a: WatchArgs,
    forever: bool,
    who: Who<'_>,
) -> anyhow::Result<ExitCode> {
    let tz = custody.config().utc_offset().map_err(anyhow::Error::msg)?;
    // The station offloads as the account of its token, as a tus upload would.
    let op = who.resolve(custody, TokenScope::Upload, "station").await?;
    custody
        .authorize(&op.principal, Action::UploadRecord, Target::System, None)
        .await?;
    let mut station = Station::new(custody.clone(), op.actor().to_owned())?;
    if !a.roots.is_empty() {
        station = station.with_roots(a.roots);
    }
    station.returned_at = a
        .returned_at
        .as_deref()
        .map(|s| crate::cli::parse_time(s, &tz))
        .transpose()?;
    let status_file = a
        .status_file
        .clone()
        .unwrap_or_else(|| custody.station_status_path());
    {
        let file = status_file.clone();
        station = station.with_progress(std::sync::Arc::new(move |slots: &[SlotStatus]| {
            if let Err(e) = write_status(&file, slots) {
                eprintln!("警告: 无法写入状态文件 (could not write the status file): {e:#}");
            }
        }));
    }
    let poll =
        std::time::Duration::from_secs(u64::from(custody.config().station.poll_seconds.max(1)));
    loop {
        let slots = station.scan_once(jiff::Timestamp::now()).await;
        if let Err(e) = custody.checkpoint().await {
            eprintln!("警告: 无法签署日志检查点 (could not sign a checkpoint): {e:#}");
        }
        write_status(&status_file, &slots)?;
        report(&slots, a.json)?;
        if !forever {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// Replaces the status file at once (a reader never sees half of it).
fn write_status(file: &Path, slots: &[SlotStatus]) -> anyhow::Result<()> {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(slots)?)?;
    std::fs::rename(&tmp, file)?;
    Ok(())
}

fn report(slots: &[SlotStatus], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(slots)?);
        return Ok(());
    }
    for s in slots {
        println!(
            "{}  记录仪 {}  警号 {}  {}/{} 个文件  {}/{} 字节  {}{}",
            s.volume,
            s.camera.as_deref().unwrap_or("?"),
            s.police_number.as_deref().unwrap_or("?"),
            s.files_done,
            s.files_total,
            s.bytes_done,
            s.bytes_total,
            s.message,
            if s.problems.is_empty() {
                String::new()
            } else {
                format!("  问题: {}", s.problems.join("; "))
            }
        );
    }
    Ok(())
}
