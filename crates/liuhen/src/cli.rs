use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use liuhen_app::ingest::{FileStatus, IngestOptions, IngestSummary};
use liuhen_app::verify::{VerifyOptions, VerifyReport};
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Classification;

use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::{Action, Target};

use crate::operator::Who;
use crate::progress;

#[derive(Parser)]
#[command(
    name = "liuhen",
    version,
    about = "留痕 — 行政执法音像记录管理 (custody of enforcement recordings)"
)]
pub struct Args {
    /// Data directory: database, originals, keys, configuration (liuhen.toml).
    #[arg(
        long,
        global = true,
        env = "LIUHEN_DATA_DIR",
        default_value = "liuhen-data"
    )]
    data_dir: PathBuf,
    /// Who runs the command: an API token file, or break-glass on the console.
    #[command(flatten)]
    creds: crate::operator::Credentials,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (zero configuration: SQLite and local files in the data directory).
    Serve {
        #[arg(long, env = "LIUHEN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Apply the database migrations this liuhen needs (under a lock; back up first). A
    /// start migrates only an empty database; one whose schema is behind waits for this.
    Migrate,
    /// Back up the database (SQLite: an online copy; PostgreSQL: says the pg_dump to run),
    /// the signing identity and liuhen.toml into the new directory TO (docs/operations.md).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into the data directory (servers stopped), then verify it against
    /// the checkpoints kept outside the database: an older backup shows as a rollback.
    Restore {
        from: PathBuf,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        no_fixity: bool,
    },
    /// Ingest files or whole folders (a camera's DCIM tree) into custody.
    Ingest(IngestArgs),
    /// Re-hash every original and re-check the log, the checkpoints and every record row.
    Verify {
        #[arg(long)]
        json: bool,
        /// Check the log and the rows only, without re-hashing the originals.
        #[arg(long)]
        no_fixity: bool,
    },
    /// Scheduled fixity (R6.2): one pass over every original now, or the last pass.
    #[command(subcommand)]
    Fixity(crate::fixity_cmd::FixityCommand),
    /// The tamper-evident log: checkpoints and proofs.
    #[command(subcommand)]
    Log(LogCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// One record: show it with its audit trail, or change its classification.
    #[command(subcommand)]
    Record(crate::record_cmd::RecordCommand),
    /// Cases: create, flags, enforcement steps, links to records, compliance check.
    #[command(subcommand)]
    Case(crate::case_cmd::CaseCommand),
    /// Access control: check a bureau's policy file; overdue loans.
    #[command(subcommand)]
    Access(crate::access_cmd::AccessCommand),
    /// Reproducible random draws (R6.4): announce, perform, verify, show, print.
    #[command(subcommand)]
    Draw(crate::draw_cmd::DrawCommand),
    /// Export packages of made copies (BagIt, optionally as an ISO image).
    #[command(subcommand)]
    Export(crate::export_cmd::ExportCommand),
    /// Check an export package (directory or .iso) offline: no data directory needed.
    VerifyPackage(crate::export_cmd::VerifyPackageArgs),
    /// Identity by account: officers and case team members without one, and resolving them.
    #[command(subcommand)]
    Identity(crate::identity_cmd::IdentityCommand),
    /// Decisions and legal review (附件5): check a catalog or calendar file; overdue reviews.
    #[command(subcommand)]
    Decision(crate::decision_cmd::DecisionCommand),
    /// The offload station: watch for cameras, offload them, hold unknown ones for the keeper.
    #[command(subcommand)]
    Station(crate::station_cmd::StationCommand),
    /// Fill a NEW, empty data directory with a demo bureau (accounts, devices, recordings; needs ffmpeg).
    Demo,
}

#[derive(clap::Args)]
struct IngestArgs {
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// 执法机构 (enforcement agency)
    #[arg(long)]
    agency: Option<String>,
    /// 执法记录设备 (device name or number)
    #[arg(long)]
    device: Option<String>,
    /// 执法人员 (officer)
    #[arg(long)]
    officer: Option<String>,
    /// 警号 (police number): the officer is the account carrying it (of --agency, or the
    /// account's unit when no agency is given); an unknown number makes the records nobody's
    /// own, listed by `liuhen identity unresolved`.
    #[arg(long)]
    police: Option<String>,
    /// 记录来源 (R2.1): body_camera, handheld_camera, fixed_surveillance or audio_recorder
    /// (or 执法记录仪, 手持摄像机, 固定视频监控, 录音设备); default: the device registry's.
    #[arg(long)]
    source: Option<String>,
    /// 案件名称 (case name)
    #[arg(long)]
    case_name: Option<String>,
    /// 当事人姓名或单位名称 (party)
    #[arg(long)]
    party: Option<String>,
    /// 摄录人员 (camera operator; the disc-burn record form shows it)
    #[arg(long)]
    camera_operator: Option<String>,
    /// Out-of-town exception (R3.3): when the officer returned, RFC 3339 or "YYYY-MM-DD HH:MM" local time.
    #[arg(long)]
    returned_at: Option<String>,
    /// Delete each source file after its stored copy is read back and both digests match (R3.4).
    #[arg(long)]
    clear_source: bool,
    /// One JSON object per file as it completes, then a summary object.
    #[arg(long)]
    json: bool,
    /// Link every ingested record (new or already in custody) to a step of this case (id
    /// or number); needs --step.
    #[arg(long, requires = "step")]
    case: Option<String>,
    /// The step (id, see `liuhen case show`) the records are linked to; needs --case.
    #[arg(long, requires = "case")]
    step: Option<String>,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Sign a checkpoint of the current log (done automatically after ingest and by the
    /// server) and print the newest one as a signed note, exactly as signed, with both
    /// signatures (docs/log-format.md).
    Checkpoint,
    /// Print log entry SEQ (its exact body, leaf hash) with its inclusion proof in the tree
    /// of SIZE entries (default: the newest checkpoint), as JSON.
    Entry {
        seq: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// Inclusion proof of entry SEQ in the tree of SIZE entries (default: latest checkpoint).
    Inclusion {
        seq: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// Consistency proof from the tree of OLD entries to SIZE (default: latest checkpoint).
    Consistency {
        old: u64,
        #[arg(long)]
        size: Option<u64>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print the public keys (PEM) that a third party needs to verify checkpoints; with
    /// `--to DIR`, write this server's signing identity (instance id, private keys, 0600)
    /// into the new directory DIR, for `keys import` on a server joining the group.
    Export {
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Install a signing identity exported with `keys export --to` into this data
    /// directory (before its first start; refuses to replace other keys).
    Import { from: PathBuf },
}

/// Builds with the `test-clock` feature (browser end-to-end tests only) move the clock
/// forward by `LIUHEN_TEST_CLOCK_OFFSET_DAYS`; other builds have no way to move it.
#[cfg(feature = "test-clock")]
fn test_clock() -> anyhow::Result<Option<std::sync::Arc<dyn liuhen_app::Clock>>> {
    let Ok(days) = std::env::var("LIUHEN_TEST_CLOCK_OFFSET_DAYS") else {
        return Ok(None);
    };
    let days: u32 = days
        .parse()
        .context("LIUHEN_TEST_CLOCK_OFFSET_DAYS must be a number of days")?;
    let clock = liuhen_app::MovableClock::new();
    clock.advance(jiff::SignedDuration::from_hours(i64::from(days) * 24));
    eprintln!("TEST BUILD: clock moved forward by {days} days");
    Ok(Some(clock))
}

#[cfg(not(feature = "test-clock"))]
fn test_clock() -> anyhow::Result<Option<std::sync::Arc<dyn liuhen_app::Clock>>> {
    Ok(None)
}

pub async fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    if let Command::Restore {
        from,
        json,
        no_fixity,
    } = &args.command
    {
        liuhen_app::backup::restore_files(from, &args.data_dir)?;
        eprintln!(
            "restored {} into {}; verifying against the checkpoints kept outside the database",
            from.display(),
            args.data_dir.display()
        );
        args.command = Command::Verify {
            json: *json,
            no_fixity: *no_fixity,
        };
    }
    if let Command::Access(crate::access_cmd::AccessCommand::CheckPolicy { file }) = &args.command {
        return crate::access_cmd::check_policy(file);
    }
    if let Command::VerifyPackage(a) = &args.command {
        return crate::export_cmd::verify_package(a);
    }
    if let Command::Decision(cmd) = &args.command
        && let Some(done) = crate::decision_cmd::check(cmd)
    {
        return done;
    }
    match &args.command {
        Command::Keys(KeysCommand::Export { to: Some(to) }) => {
            liuhen_app::signing_identity::export_bundle(&args.data_dir, to)?;
            eprintln!(
                "signing identity written to {} (private keys: keep it safe, delete it once imported)",
                to.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        Command::Keys(KeysCommand::Import { from }) => {
            liuhen_app::signing_identity::import_bundle(from, &args.data_dir)?;
            eprintln!("signing identity installed in {}", args.data_dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    if let Command::Demo = args.command {
        return crate::demo_cmd::run(&args.data_dir).await;
    }
    // Commands that only read never write to the store they read (no key, instance id,
    // database or directory created).
    let read_only = matches!(
        args.command,
        Command::Verify { .. }
            | Command::Keys(KeysCommand::Export { .. })
            | Command::Log(
                LogCommand::Entry { .. }
                    | LogCommand::Inclusion { .. }
                    | LogCommand::Consistency { .. }
            )
    );
    let mut options = OpenOptions::new(&args.data_dir);
    options.read_only = read_only;
    options.clock = test_clock()?;
    options.migrate = matches!(args.command, Command::Migrate);
    let custody = Custody::open(options)
        .await
        .with_context(|| format!("cannot open the data directory {}", args.data_dir.display()))?;
    let who = Who {
        creds: &args.creds,
        data_dir: &args.data_dir,
    };
    let result = command(&custody, args.command, who).await;
    // Closed before the process ends: SQLite then checkpoints and removes its -wal/-shm
    // files, so a read-only command leaves the data directory as it found it.
    custody.close().await;
    result
}

async fn command(custody: &Custody, command: Command, who: Who<'_>) -> anyhow::Result<ExitCode> {
    let data_dir = who.data_dir;
    let custody = custody.clone();
    match command {
        Command::Serve { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            if let Some((user, password)) = custody.bootstrap_admin().await? {
                eprintln!(
                    "\n================================================================\n\
                     首次启动：已创建系统管理员账号（此密码只显示这一次，请立即妥善记录）\n\
                     First start: the system administrator account was created\n\
                     (this password is shown only once; write it down now)\n\n\
                     \x20   用户名 / user name:          {user}\n\
                     \x20   一次性密码 / one-time password: {password}\n\n\
                     首次登录须修改密码并绑定动态口令。\n\
                     At first sign-in you must change it and enrol a second factor.\n\
                     ================================================================\n"
                );
            }
            eprintln!(
                "liuhen 已启动: http://{}  (data: {})",
                listener.local_addr()?,
                data_dir.display()
            );
            liuhen_server::serve(custody, listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest(a) => ingest(&custody, a, who).await,
        Command::Verify { json, no_fixity } => {
            let obs = progress::VerifyBar::new(!json);
            let report = custody
                .verify(VerifyOptions { fixity: !no_fixity }, &obs)
                .await?;
            obs.finish();
            print_verify(&report, json)?;
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Log(LogCommand::Checkpoint) => {
            if custody.checkpoint().await?.is_none() {
                eprintln!("the newest checkpoint already covers the whole log");
            }
            match custody.latest_checkpoint().await? {
                Some(c) => print!("{}", liuhen_app::log::checkpoint_note(&c)),
                None => eprintln!("the log is empty: nothing to sign"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Log(LogCommand::Entry { seq, size }) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&custody.entry_with_proof(seq, size).await?)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Log(LogCommand::Inclusion { seq, size }) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&custody.inclusion_proof(seq, size).await?)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Log(LogCommand::Consistency { old, size }) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&custody.consistency_proof(old, size).await?)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Record(cmd) => crate::record_cmd::run(&custody, cmd, who).await,
        Command::Case(cmd) => crate::case_cmd::run(&custody, cmd, who).await,
        Command::Access(cmd) => crate::access_cmd::run(&custody, cmd, who).await,
        Command::Draw(cmd) => crate::draw_cmd::run(&custody, cmd, who).await,
        Command::Fixity(cmd) => crate::fixity_cmd::run(&custody, cmd, who).await,
        Command::Export(cmd) => crate::export_cmd::run(&custody, cmd, who).await,
        Command::Identity(cmd) => crate::identity_cmd::run(&custody, cmd, who).await,
        Command::Decision(cmd) => crate::decision_cmd::run(&custody, cmd, who).await,
        Command::Station(cmd) => crate::station_cmd::run(&custody, cmd, who).await,
        Command::Demo | Command::VerifyPackage(_) => {
            unreachable!("handled before the data directory is opened")
        }
        Command::Backup { to } => {
            let report = custody.backup(&to).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if let Some(todo) = &report.todo {
                eprintln!("{todo}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { .. } => unreachable!("turned into verify after the files are copied"),
        Command::Migrate => {
            let applied = custody.migrations_applied();
            if applied.is_empty() {
                eprintln!("the database schema is current: nothing to migrate");
            } else {
                eprintln!("migrations applied: {applied:?}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::Import { .. } | KeysCommand::Export { to: Some(_) }) => {
            unreachable!("handled before the data directory is opened")
        }
        Command::Keys(KeysCommand::Export { to: None }) => {
            let (ed, sm2) = custody.keys().public_keys().to_pem();
            println!(
                "# origin: {}\n# Ed25519\n{ed}\n# SM2 (SM3, id 1234567812345678)\n{sm2}",
                custody.origin()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn ingest(custody: &Custody, a: IngestArgs, who: Who<'_>) -> anyhow::Result<ExitCode> {
    // As a tus upload: an account whose credential may upload, and whom the policy lets.
    let op = who.resolve(custody, TokenScope::Upload, "ingest").await?;
    custody
        .authorize(&op.principal, Action::UploadRecord, Target::System, None)
        .await
        .context("未导入任何文件 / nothing ingested")?;
    let tz = custody.config().utc_offset().map_err(anyhow::Error::msg)?;
    let returned_at = a
        .returned_at
        .as_deref()
        .map(|s| parse_time(s, &tz))
        .transpose()?;
    // The step is checked before anything is ingested.
    let step = match (&a.case, &a.step) {
        (Some(case), Some(step)) => Some(
            custody
                .step_of_case(case, step)
                .await
                .context("未导入任何文件 / nothing ingested")?,
        ),
        _ => None,
    };
    if let Some(step) = &step {
        custody
            .case_to_manage(&op.principal, &step.case_id)
            .await
            .context("未导入任何文件 / nothing ingested")?;
    }
    let mut classification = Classification {
        agency: a.agency,
        device: a.device,
        officer: a.officer,
        case_name: a.case_name,
        party: a.party,
        camera_operator: a.camera_operator,
    };
    let officer_id = match &a.police {
        Some(p) => custody
            .classify_by_police(&mut classification, p)
            .await
            .context("未导入任何文件 / nothing ingested")?,
        None => None,
    };
    if let (Some(p), None) = (&a.police, &officer_id) {
        eprintln!(
            "警号 {p} 未对应到账户，记录暂无归属，待人工对应 / police number {p} maps to no \
             account: the records are nobody's own until resolved (liuhen identity unresolved)"
        );
    }
    let opts = IngestOptions {
        actor: op.actor().to_owned(),
        classification,
        returned_at,
        clear_source: a.clear_source,
        officer_id,
        source: a
            .source
            .as_deref()
            .map(str::parse::<liuhen_domain::case::RecordingSource>)
            .transpose()
            .context("未导入任何文件 / nothing ingested")?,
    };
    let bar = Arc::new(progress::IngestBar::new(a.json));
    let summary = custody.ingest(&a.paths, &opts, bar.clone()).await;
    bar.finish();
    let mut link_failed = false;
    if let Some(step) = &step {
        let (linked, failures) = custody
            .link_ingested(&op.principal, &step.case_id, &step.step.id, &summary)
            .await;
        link_failed = !failures.is_empty();
        if a.json {
            println!(
                "{}",
                serde_json::json!({
                    "linked": {
                        "case": step.case_id,
                        "step": step.step.id,
                        "records": linked.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                        "failed": failures.iter().map(|(r, e)| serde_json::json!({"record": r.as_str(), "error": e.to_string()})).collect::<Vec<_>>(),
                    }
                })
            );
        } else {
            eprintln!(
                "已关联到环节「{}」/ linked to step {}: {} 条记录",
                step.step.name,
                step.step.id,
                linked.len()
            );
            for (r, e) in &failures {
                eprintln!("关联失败 / link failed: {r}: {e}");
            }
        }
    }
    if let Err(e) = custody.checkpoint().await {
        eprintln!("警告: 无法签署日志检查点 (could not sign a checkpoint): {e:#}");
    }
    print_summary(&summary, a.json)?;
    Ok(if summary.failed > 0 || link_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn parse_time(s: &str, tz: &jiff::tz::TimeZone) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime = s
        .replace(' ', "T")
        .parse()
        .with_context(|| format!("--returned-at {s:?}: use RFC 3339 or \"YYYY-MM-DD HH:MM\""))?;
    Ok(civil.to_zoned_datetime(tz.clone())?.timestamp())
}

fn print_summary(s: &IngestSummary, json: bool) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(s)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("reports");
            o.insert("summary".into(), serde_json::Value::Bool(true));
        }
        println!("{v}");
        return Ok(());
    }
    for r in &s.reports {
        match r.status {
            FileStatus::Failed => eprintln!(
                "失败 FAILED  {}: {}",
                r.path,
                r.error.as_deref().unwrap_or("")
            ),
            FileStatus::Duplicate => eprintln!(
                "重复 DUPLICATE {} = record {}",
                r.path,
                r.record_id.as_deref().unwrap_or("")
            ),
            _ => {}
        }
        if r.status == FileStatus::Stored && r.late {
            eprintln!(
                "逾期 LATE  {} ({} h after recording)",
                r.path,
                r.lateness_ms.unwrap_or(0) / 3_600_000
            );
        }
        if let (FileStatus::Stored, Some(e)) = (r.status, &r.probe_error) {
            eprintln!("元数据异常 PROBE {}: {e}", r.path);
        }
    }
    println!(
        "{} files, {} bytes: {} stored, {} duplicates, {} already done, {} failed; {} late, {} with probe errors",
        s.files, s.bytes, s.stored, s.duplicates, s.already_done, s.failed, s.late, s.probe_errors
    );
    Ok(())
}

fn print_verify(r: &VerifyReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    for p in &r.problems {
        println!("问题 PROBLEM [{}] {}: {}", p.code, p.subject, p.message);
    }
    for w in &r.warnings {
        println!("提示 WARNING [{}] {}: {}", w.code, w.subject, w.message);
    }
    println!(
        "{}: {} log entries, {} checkpoints, {} records, {} originals ({} bytes) re-hashed, {} problems",
        if r.ok {
            "OK 完整"
        } else {
            "FAILED 发现问题"
        },
        r.entries,
        r.checkpoints,
        r.records,
        r.blobs_checked,
        r.bytes_checked,
        r.problems.len()
    );
    Ok(())
}
