//! `liuhen draw announce|perform|verify|show|pdf`: reproducible random draws (R6.4). A
//! supervisor announces a draw (population file, proportion, method, seed), makes it once
//! its seed exists, and anyone recomputes it from the log with `draw verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_app::draws::{DrawSpec, SeedPlan};
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::Principal;
use liuhen_domain::draw::Method;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum DrawCommand {
    /// Announce a draw: the population and parameters are logged before the seed exists.
    Announce {
        /// 抽取事由 (purpose, plan).
        #[arg(long)]
        purpose: String,
        /// The population: a text file, one item (record id, case number, name, …) per line.
        #[arg(
            long,
            required_unless_present = "records_of",
            conflicts_with = "records_of"
        )]
        population: Option<PathBuf>,
        /// Or: the records of this agency (执法机构) dated within --from … --to.
        #[arg(long, requires_all = ["from", "to"])]
        records_of: Option<String>,
        /// First record date (YYYY-MM-DD), with --records-of.
        #[arg(long)]
        from: Option<jiff::civil::Date>,
        /// Last record date (YYYY-MM-DD), with --records-of.
        #[arg(long)]
        to: Option<jiff::civil::Date>,
        /// What the items are: records, cases, officers, inspectors, targets.
        #[arg(long, default_value = "records")]
        kind: String,
        /// sha256 (default), sm3, or rfc3797-md5 (RFC 3797 exactly).
        #[arg(long, default_value = "sha256")]
        method: String,
        /// Sampling proportion in per mille (50 = 5 %).
        #[arg(long, default_value_t = 50)]
        permille: u32,
        /// Draw at least this many (capped at the population).
        #[arg(long, default_value_t = 1)]
        minimum: usize,
        /// A public future random source (RFC 3797), repeatable, e.g. "2026-12-08 双色球红球".
        /// Without it the seed is the root of the first signed checkpoint after the announcement.
        #[arg(long)]
        source: Vec<String>,
        /// The 随机抽查 step of a case this draw is the record of.
        #[arg(long)]
        step: Option<String>,
    },
    /// Make an announced draw (once its checkpoint exists, or with the sources' values).
    Perform {
        id: String,
        /// The value of each announced source, in order: numbers separated by spaces.
        #[arg(long)]
        value: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Recompute a past draw from the log; exit status 0 only if it matches.
    Verify {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Show a draw as the log tells it (JSON: announcement and result).
    Show { id: String },
    /// Print a draw (PDF).
    Pdf {
        id: String,
        #[arg(long, short)]
        output: PathBuf,
    },
}

/// The account of this run (a supervisor or legal-office member running the draw).
async fn principal(
    custody: &Custody,
    who: Who<'_>,
    scope: TokenScope,
    command: &str,
) -> anyhow::Result<Principal> {
    Ok(who.resolve(custody, scope, command).await?.principal)
}

pub async fn run(custody: &Custody, cmd: DrawCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        DrawCommand::Announce {
            purpose,
            population,
            records_of,
            from,
            to,
            kind,
            method,
            permille,
            minimum,
            source,
            step,
        } => {
            let by = principal(custody, who, TokenScope::Write, "draw announce").await?;
            let method = Method::parse(&method)
                .with_context(|| format!("unknown method {method:?} (sha256, sm3, rfc3797-md5)"))?;
            let items = match (population, records_of, from, to) {
                (Some(file), _, _, _) => std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect(),
                (None, Some(agency), Some(from), Some(to)) => {
                    custody.records_population(&by, &agency, from, to).await?
                }
                _ => anyhow::bail!("--population FILE or --records-of AGENCY --from --to"),
            };
            let seed = if source.is_empty() {
                SeedPlan::Checkpoint
            } else {
                SeedPlan::Sources(source)
            };
            let spec = DrawSpec {
                purpose,
                kind,
                population: items,
                method,
                permille,
                minimum,
                seed,
                step,
                plan: None,
            };
            println!("{}", custody.announce_draw(&by, &spec).await?);
            Ok(ExitCode::SUCCESS)
        }
        DrawCommand::Perform { id, value, json } => {
            let by = principal(custody, who, TokenScope::Write, "draw perform").await?;
            let selected = custody.perform_draw(&by, &id, &value).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "draw": id, "selected": selected })
                );
            } else {
                for (i, s) in selected.iter().enumerate() {
                    println!("{:>4}  {s}", i + 1);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DrawCommand::Verify { id, json } => {
            let check = custody.verify_draw(&id).await?;
            if json {
                println!("{}", serde_json::to_string(&check)?);
            } else if check.ok {
                println!(
                    "随机抽取 {id} 核验一致 / draw recomputes: {} selected",
                    check.logged.len()
                );
            } else {
                println!("随机抽取 {id} 核验不一致 / draw does NOT recompute:");
                for p in &check.problems {
                    println!("  - {p}");
                }
            }
            Ok(if check.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        DrawCommand::Show { id } => {
            let view = custody.draw(&id).await?;
            println!(
                "{}",
                serde_json::json!({
                    "draw": id,
                    "announced_seq": view.announced.seq,
                    "announcement": view.announcement,
                    "performed_seq": view.performed.as_ref().map(|(e, _)| e.seq),
                    "result": view.performed.map(|(_, d)| d),
                })
            );
            Ok(ExitCode::SUCCESS)
        }
        DrawCommand::Pdf { id, output } => {
            let by = principal(custody, who, TokenScope::Read, "draw pdf").await?;
            let pdf = custody.draw_pdf(&by, &id).await?;
            std::fs::write(&output, pdf)
                .with_context(|| format!("writing {}", output.display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
