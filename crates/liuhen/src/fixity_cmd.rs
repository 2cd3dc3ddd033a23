//! `liuhen fixity run|status`: one scheduled-fixity pass (R6.2) by hand — every original
//! re-hashed (SHA-256 and SM3), each result and the pass logged, a failure alerted — and
//! the last full pass. Exit status 1 when an original is altered, missing or unreadable.

use std::process::ExitCode;

use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_domain::auth::TokenScope;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum FixityCommand {
    /// Re-hash every original now (one full pass), logged like the server's.
    Run {
        /// Read at most this many bytes per second (default: `[fixity]
        /// budget_bytes_per_second`; 0: unlimited).
        #[arg(long)]
        budget: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// The last full pass and when the next one is due.
    Status {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(custody: &Custody, cmd: FixityCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        FixityCommand::Run { budget, json } => {
            let op = who
                .resolve(custody, TokenScope::Write, "fixity run")
                .await?;
            let budget = budget.unwrap_or(custody.config().fixity.budget_bytes_per_second);
            let r = custody.fixity_pass(op.actor(), budget).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let mib = r.bytes as f64 / 1_048_576.0;
                println!(
                    "定期校验：{} 个原始文件，{} 个与登记一致，{:.1} MiB，用时 {:.1} 秒（{:.1} MiB/s），日志条目 #{}",
                    r.originals,
                    r.ok,
                    mib,
                    r.seconds,
                    mib / r.seconds.max(1e-9),
                    r.seq
                );
                for f in &r.findings {
                    println!(
                        "  ✗ [{}] record:{} — {}（日志 #{}）",
                        f.outcome, f.record_id, f.message, f.seq
                    );
                }
            }
            Ok(if r.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        FixityCommand::Status { json } => {
            let last = custody.fixity_last_pass().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&last)?);
            } else {
                match last {
                    None => println!("尚未进行过完整校验"),
                    Some(p) => println!(
                        "最近一轮完整校验：{}，{} 个原始文件，{} 个不符或缺失；下一轮到期 {}",
                        p.finished, p.originals, p.failed, p.next_due
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
