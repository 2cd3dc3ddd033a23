//! `liuhen identity unresolved|resolve-record|resolve-member|set-police|police`: rows whose officer or team
//! member maps to no account (names that matched no account, or several, of the unit when
//! migration 0013 mapped them), and a person's logged resolution of one (issue 10.1).

use std::process::ExitCode;

use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_domain::RecordId;
use liuhen_domain::auth::TokenScope;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Records and case team members whose officer has no account (nobody's own until resolved).
    Unresolved {
        #[arg(long, default_value_t = 500)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Make a record's officer the account USER (user name), which must be of the record's unit.
    ResolveRecord {
        record: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// Set (or, with an empty NUMBER, clear) the police number (警号) of the account USER;
    /// unique in the bureau, logged.
    SetPolice { user: String, number: String },
    /// Accounts with a police number.
    Police,
    /// Make the team member at POSITION (0-based, as `unresolved` lists) of a case the account USER.
    ResolveMember {
        case: String,
        position: i64,
        #[arg(long)]
        user: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(
    custody: &Custody,
    cmd: IdentityCommand,
    who: Who<'_>,
) -> anyhow::Result<ExitCode> {
    match cmd {
        IdentityCommand::Unresolved { limit, json } => {
            let op = who
                .resolve(custody, TokenScope::Read, "identity unresolved")
                .await?;
            let u = custody.unresolved_for(&op.principal, limit).await?;
            for r in u.records.iter().map(|r| &r.row) {
                let agency = r.agency.as_deref().unwrap_or("");
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"kind": "record", "record": r.record_id,
                            "agency": agency, "officer": r.officer})
                    );
                } else {
                    println!("记录 record {}  {agency}  {}", r.record_id, r.officer);
                }
            }
            for m in u.members.iter().map(|m| &m.row) {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"kind": "team_member", "case": m.case_number,
                            "case_id": m.case_id, "position": m.position,
                            "agency": m.agency, "officer": m.officer})
                    );
                } else {
                    println!(
                        "办案人员 case {} #{}  {}  {}",
                        m.case_number, m.position, m.agency, m.officer
                    );
                }
            }
            if !json {
                println!(
                    "待人工对应 / to resolve: {} records, {} team members",
                    u.records.len(),
                    u.members.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::SetPolice { user, number } => {
            let op = who
                .resolve(custody, TokenScope::Write, "identity set-police")
                .await?;
            op.require_not_token()?;
            let Some(id) = custody.user_id_by_username(user.trim()).await? else {
                anyhow::bail!("没有用户 {user} / no such user");
            };
            let set = custody
                .set_police_number(&op.principal, &id, &number)
                .await?;
            match set {
                Some(n) => println!("已登记 / set: {user} 警号 {n}"),
                None => println!("已清除 / cleared: {user}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::Police => {
            who.resolve(custody, TokenScope::Read, "identity police")
                .await?;
            let numbers = custody.police_numbers().await?;
            let mut rows: Vec<_> = Vec::new();
            for u in custody.user_listing().await? {
                if let Some(n) = numbers.get(&u.user.id) {
                    rows.push((n.clone(), u.user));
                }
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            for (n, u) in rows {
                let unit = u.unit.as_deref().unwrap_or("");
                println!("{n}  {}  {}  {unit}", u.username, u.display_name);
            }
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::ResolveRecord {
            record,
            user,
            reason,
        } => {
            let id = RecordId::parse(record.trim())?;
            let op = who
                .resolve(custody, TokenScope::Write, "identity resolve-record")
                .await?;
            custody
                .resolve_record_officer_as(&op.principal, &id, &user, &reason)
                .await?;
            println!("已对应 / resolved: record {id} → {user}");
            Ok(ExitCode::SUCCESS)
        }
        IdentityCommand::ResolveMember {
            case,
            position,
            user,
            reason,
        } => {
            let op = who
                .resolve(custody, TokenScope::Write, "identity resolve-member")
                .await?;
            custody
                .resolve_team_member_as(&op.principal, &case, position, &user, &reason)
                .await?;
            println!("已对应 / resolved: case {case} #{position} → {user}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
