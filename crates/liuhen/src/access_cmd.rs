//! `liuhen access check-policy|overdue`: validate a bureau's access policy file before
//! using it; list the loans not yet returned (overdue ones flagged) for a keeper, through
//! the same authorization point as the web, as the account of the run's token.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_domain::access::{Flow, Policy};
use liuhen_domain::auth::TokenScope;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum AccessCommand {
    /// Validate an access policy file (the form of `crates/liuhen-domain/src/access/default.toml`).
    CheckPolicy { file: std::path::PathBuf },
    /// Loans not yet returned in the unit of the run's account (a records keeper), overdue
    /// first.
    Overdue {
        #[arg(long)]
        json: bool,
    },
}

/// Runs the commands that need no data directory.
pub fn check_policy(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match Policy::parse(&text) {
        Ok(p) => {
            println!("查阅规则有效 / policy valid: {}", file.display());
            for f in Flow::ALL {
                let steps: Vec<&str> = p.flow(f).iter().map(|s| s.label_zh()).collect();
                println!("  {:<16} {}", f.code(), steps.join(" → "));
            }
            println!(
                "  rules {} · labels {} · outside requester types {} · fee {}/disc {}/page (fen)",
                p.rules.len(),
                p.labels.len(),
                p.outside.len(),
                p.fees.per_disc_cents,
                p.fees.per_page_cents
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn run(custody: &Custody, cmd: AccessCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        AccessCommand::CheckPolicy { file } => check_policy(&file),
        AccessCommand::Overdue { json } => {
            let op = who
                .resolve(custody, TokenScope::Read, "access overdue")
                .await?;
            let mut loans = custody.open_loans(&op.principal).await?;
            loans.sort_by_key(|(l, overdue)| (!overdue, l.due_ms));
            let tz = custody
                .config()
                .utc_offset()
                .unwrap_or(jiff::tz::TimeZone::UTC);
            for (l, overdue) in &loans {
                let borrower = custody
                    .user(&l.borrower_id)
                    .await
                    .map(|u| u.display_name)
                    .unwrap_or_else(|_| l.borrower_id.clone());
                let due = jiff::Timestamp::from_millisecond(l.due_ms)?
                    .to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "request": l.request_id, "borrower": borrower,
                            "due_ms": l.due_ms, "overdue": overdue,
                        })
                    );
                } else {
                    let flag = if *overdue { "已逾期" } else { "借出中" };
                    println!("{flag}  {due}  {borrower}  {}", l.request_id);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
