//! `liuhen decision check-catalog|check-calendar|overdue`: validate a bureau's catalog of
//! major decisions (附件5) or working-day calendar before using it; list the legal
//! reviews waiting, overdue ones first (for a daily alert from cron).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_domain::auth::TokenScope;
use liuhen_domain::decision::calendar::Calendar;
use liuhen_domain::decision::catalog::Catalog;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum DecisionCommand {
    /// Validate a catalog file (the form of `crates/liuhen-domain/src/decision/catalog.toml`).
    CheckCatalog { file: std::path::PathBuf },
    /// Validate a working-day calendar file (the form of `…/decision/calendar.toml`).
    CheckCalendar { file: std::path::PathBuf },
    /// Legal reviews waiting, overdue first; exits 2 when any is overdue.
    Overdue {
        #[arg(long)]
        json: bool,
    },
}

/// The commands that need no data directory; `None` for the others.
pub fn check(cmd: &DecisionCommand) -> Option<anyhow::Result<ExitCode>> {
    let (file, catalog) = match cmd {
        DecisionCommand::CheckCatalog { file } => (file, true),
        DecisionCommand::CheckCalendar { file } => (file, false),
        DecisionCommand::Overdue { .. } => return None,
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return Some(Err(e).with_context(|| format!("reading {}", file.display()))),
    };
    let result = if catalog {
        Catalog::parse(&text).map(|c| {
            format!(
                "目录有效 / catalog valid: {} entries, review {} working days (+{} once), {} materials",
                c.entries.len(),
                c.review_working_days,
                c.extension_working_days,
                c.materials.len()
            )
        })
        .map_err(|e| e.to_string())
    } else {
        Calendar::parse(&text)
            .map(|c| {
                let years: Vec<String> = c.years().map(|(y, _)| y.to_string()).collect();
                format!("工作日历有效 / calendar valid: years {}", years.join(", "))
            })
            .map_err(|e| e.to_string())
    };
    Some(Ok(match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }))
}

pub async fn run(
    custody: &Custody,
    cmd: DecisionCommand,
    who: Who<'_>,
) -> anyhow::Result<ExitCode> {
    if let Some(done) = check(&cmd) {
        return done;
    }
    let DecisionCommand::Overdue { json } = cmd else {
        unreachable!("the checks are handled above")
    };
    who.resolve(custody, TokenScope::Read, "decision overdue")
        .await?;
    let mut items = custody.pending_reviews(custody.now()).await?;
    items.sort_by_key(|i| (!i.overdue, i.due));
    for i in &items {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "decision": i.decision.id, "case": i.case.number, "round": i.round.round,
                    "due_date": i.due.to_string(), "overdue": i.overdue,
                    "calendar_covers_due_year": i.calendar_covers,
                })
            );
        } else {
            let flag = if i.overdue { "已逾期" } else { "审核中" };
            println!(
                "{flag}  {}  {} {}  {}",
                i.due, i.case.number, i.case.name, i.decision.id
            );
        }
    }
    Ok(if items.iter().any(|i| i.overdue) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
