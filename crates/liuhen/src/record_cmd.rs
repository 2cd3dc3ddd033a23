//! `liuhen record show|edit`: one record, its metadata and its own audit trail.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_app::records::ClassificationChange;
use liuhen_app::search::Channel;
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::Principal;
use liuhen_domain::{Record, RecordId};

use crate::operator::Who;

#[derive(Subcommand)]
pub enum RecordCommand {
    /// Show a record: metadata, digests, lateness, probe errors and its audit trail.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change classification fields (an empty value clears a field); a reason is required.
    Edit {
        id: String,
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        officer: Option<String>,
        #[arg(long)]
        case_name: Option<String>,
        #[arg(long)]
        party: Option<String>,
        /// 摄录人员 (camera operator)
        #[arg(long)]
        camera_operator: Option<String>,
        /// Why the record is changed (修改理由), kept in the log.
        #[arg(long)]
        reason: String,
    },
    /// Extend how long the original is kept (never shortened), e.g. for a long-term
    /// preservation need (R3.7); a reason is required.
    Retain {
        id: String,
        /// New retain-until: RFC 3339 or YYYY-MM-DD.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: String,
    },
}

/// The account of this run, its token allowing `scope`; each use case authorizes it.
async fn account(
    custody: &Custody,
    who: Who<'_>,
    scope: TokenScope,
    command: &str,
) -> anyhow::Result<Principal> {
    Ok(who.resolve(custody, scope, command).await?.principal)
}

pub async fn run(custody: &Custody, cmd: RecordCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        RecordCommand::Show { id, json } => {
            let id = RecordId::parse(&id)?;
            let me = account(custody, who, TokenScope::Read, "record show").await?;
            let record = custody.view_record(&me, &id, Channel::Cli).await?.record;
            let history = custody.record_history(&id).await?;
            let retention = custody.record_retention(&id).await?;
            let basis =
                liuhen_app::retention::basis_json(&retention.target, retention.basis_case());
            let holds = custody.holds_of_record(&id).await?;
            if json {
                let entries: Vec<serde_json::Value> = history
                    .iter()
                    .map(|e| serde_json::from_str(&e.body).unwrap_or(serde_json::Value::Null))
                    .collect();
                let v = serde_json::json!({
                    "record": record_view(&record),
                    "history": entries,
                    "retention": basis,
                    "holds": holds.iter().map(|h| serde_json::json!({
                        "hold": h.id,
                        "target": h.target,
                        "ground": h.ground,
                        "in_force": h.in_force(),
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_record(&record);
                println!("  保存依据 basis   {basis}");
                for h in &holds {
                    let state = if h.in_force() {
                        "有效 in force"
                    } else {
                        "已解除 lifted"
                    };
                    println!("  保全标记 hold    {} {} ({state})", h.ground, h.target);
                }
                println!("\n审计记录 (audit trail):");
                for e in &history {
                    let at = jiff::Timestamp::from_millisecond(e.at_ms)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    println!("  #{:<6} {at}  {:<24} {}", e.seq, e.action, e.actor);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RecordCommand::Edit {
            id,
            agency,
            device,
            officer,
            case_name,
            party,
            camera_operator,
            reason,
        } => {
            let id = RecordId::parse(&id)?;
            let change = ClassificationChange {
                agency,
                device,
                officer,
                case_name,
                party,
                camera_operator,
            };
            let me = account(custody, who, TokenScope::Write, "record edit").await?;
            let record = custody
                .reclassify(&me, &id, &change, &reason)
                .await
                .context("record not changed")?;
            print_record(&record);
            Ok(ExitCode::SUCCESS)
        }
        RecordCommand::Retain { id, until, reason } => {
            let id = RecordId::parse(&id)?;
            let until = parse_until(&until, custody)?;
            let me = account(custody, who, TokenScope::Write, "record retain").await?;
            let record = custody
                .extend_retention_as(&me, &id, until, &reason)
                .await
                .context("retention not extended")?;
            print_record(&record);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The record as the CLI shows it: its own view, not the log's snapshot
/// (`liuhen_app::log_snapshot::RecordSnapshot`), so the two may change apart.
fn record_view(r: &Record) -> serde_json::Value {
    let m = &r.media;
    let c = &r.classification;
    let ms = |t: Option<jiff::Timestamp>| t.map(|t| t.as_millisecond());
    serde_json::json!({
        "id": r.id.as_str(),
        "sha256": r.sha256.to_hex(),
        "sm3": r.sm3.to_hex(),
        "size_bytes": r.size_bytes,
        "kind": r.kind.as_str(),
        "original_name": r.original_name,
        "container": m.container,
        "video_codec": m.video_codec,
        "audio_codec": m.audio_codec,
        "width": m.width,
        "height": m.height,
        "duration_ms": m.duration_ms,
        "capture_start_ms": ms(m.capture_start),
        "capture_end_ms": ms(m.capture_end),
        "device_make": m.device_make,
        "device_model": m.device_model,
        "device_serial": m.device_serial,
        "prober": m.prober,
        "probe_error": m.probe_error,
        "agency": c.agency,
        "device": c.device,
        "officer": c.officer,
        "officer_id": r.officer_id,
        "case_name": c.case_name,
        "party": c.party,
        "camera_operator": c.camera_operator,
        "source": r.source.map(|s| s.code()),
        "record_date": r.record_date.map(|d| d.to_string()),
        "stored_at_ms": r.stored_at.as_millisecond(),
        "returned_at_ms": ms(r.returned_at),
        "lateness_ms": r.lateness_ms,
        "late": r.late,
        "retain_until_ms": r.retain_until.as_millisecond(),
    })
}

fn parse_until(s: &str, custody: &Custody) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = s
        .parse()
        .with_context(|| format!("--until {s:?}: use RFC 3339 or YYYY-MM-DD"))?;
    let tz = custody.config().utc_offset().map_err(anyhow::Error::msg)?;
    Ok(date.to_zoned_datetime(tz)?.timestamp())
}

fn print_record(r: &Record) {
    let c = &r.classification;
    let m = &r.media;
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    println!("记录 {}  ({})", r.id, r.original_name);
    println!("  类型 kind        {} ({})", r.kind.label_zh(), r.kind);
    println!("  执法机构 agency  {}", or(&c.agency));
    println!("  设备 device      {}", or(&c.device));
    println!("  执法人员 officer {}", or(&c.officer));
    println!("  案件 case        {}", or(&c.case_name));
    println!("  当事人 party     {}", or(&c.party));
    println!("  摄录人员 camera  {}", or(&c.camera_operator));
    println!(
        "  记录日期         {}",
        r.record_date.map(|d| d.to_string()).unwrap_or_default()
    );
    println!("  存储时间         {}", r.stored_at);
    println!("  SHA-256          {}", r.sha256);
    println!("  SM3              {}", r.sm3);
    println!("  大小 size        {} bytes", r.size_bytes);
    println!(
        "  媒体 media       {} {} {} {}x{} {} ms",
        or(&m.container),
        or(&m.video_codec),
        or(&m.audio_codec),
        m.width.unwrap_or(0),
        m.height.unwrap_or(0),
        m.duration_ms.unwrap_or(0)
    );
    if r.late {
        println!(
            "  逾期 LATE        {} h after recording",
            r.lateness_ms.unwrap_or(0) / 3_600_000
        );
    }
    if let Some(e) = &m.probe_error {
        println!("  元数据异常       {e}");
    }
    println!("  保存至 retain    {}", r.retain_until);
}
