//! `liuhen case create|show|flag|step|link|unlink|explain|check`: cases, their enforcement
//! steps, links to records and the compliance check, as the account of the run's token
//! (`crate::operator`), through the one authorization point.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use liuhen_app::Custody;
use liuhen_app::cases::{CaseFlag, CaseRow, NewCase, NewStep, PartyRow, StepRow};
use liuhen_domain::RecordId;
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::Principal;
use liuhen_domain::case::{CaseCategory, CaseFlags, Explanation, InterruptionReason};
use liuhen_domain::compliance::{CaseVerdict, Level};
use serde_json::json;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum CaseCommand {
    /// Create a case (案件).
    Create {
        /// 案件编号, unique.
        #[arg(long)]
        number: String,
        /// 案件名称
        #[arg(long)]
        name: String,
        /// 执法类别: 行政处罚 | 行政许可 | 行政强制 | 行政检查 (or penalty, licensing, …).
        #[arg(long)]
        category: String,
        /// 执法机构 (the unit the case belongs to; its records keeper manages it).
        #[arg(long)]
        agency: Option<String>,
        /// 办案部门
        #[arg(long)]
        department: String,
        /// 当事人, repeatable: KIND:NAME:ID, KIND = person|unit (个人|单位), ID = 身份证号 or 统一社会信用代码.
        #[arg(long)]
        party: Vec<String>,
        /// 办案人员, comma-separated: 张伟,李娜
        #[arg(long)]
        team: String,
        /// Print the created case as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a case (by id or number): flags, parties, team, steps and history.
    Show {
        case: String,
        #[arg(long)]
        json: bool,
    },
    /// Set or clear a flag of a case with a reason (kept in the log). Flags: major_hazard,
    /// disputed, hearing, enforced_execution, complex, major_penalty.
    Flag {
        case: String,
        #[arg(long, conflicts_with = "clear", required_unless_present = "clear")]
        set: Option<String>,
        #[arg(long)]
        clear: Option<String>,
        /// 变更理由
        #[arg(long)]
        reason: String,
    },
    /// Add an enforcement step (执法环节) to a case: from a checklist row (--row 1.1) or free (--name).
    Step {
        case: String,
        /// Id of a row of the shipped checklist, e.g. 1.1 (听证程序).
        #[arg(long)]
        row: Option<String>,
        /// Name of the step (default: the checklist row's step).
        #[arg(long)]
        name: Option<String>,
        /// Start: RFC 3339 or "YYYY-MM-DD HH:MM[:SS]" local time.
        #[arg(long)]
        from: String,
        /// End: RFC 3339 or "YYYY-MM-DD HH:MM[:SS]" local time.
        #[arg(long)]
        to: String,
        /// 地点
        #[arg(long)]
        place: String,
        /// 执法人员, comma-separated.
        #[arg(long)]
        officers: String,
        /// The step did not take place on site (matters for R2.2).
        #[arg(long)]
        off_site: bool,
        /// This step may cause a dispute (R1.2).
        #[arg(long)]
        disputed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Propose records for a step: by time overlap with the step window, officer and
    /// device, best first, with the reasons. Nothing is linked; confirm each with `link`.
    Propose {
        step: String,
        #[arg(long)]
        json: bool,
    },
    /// Link a record to a step (a person confirms the link).
    Link { step: String, record: String },
    /// Remove a link between a record and a step, with a reason.
    Unlink {
        step: String,
        record: String,
        #[arg(long)]
        reason: String,
    },
    /// State why recording was interrupted (R2.5): the recording in which it resumed, the
    /// reason and where in that recording the reason is spoken.
    Explain {
        step: String,
        /// The recording that resumed after the gap.
        #[arg(long)]
        record: String,
        /// device_fault | weather | battery | storage_full | obstruction | place_changed | other
        #[arg(long)]
        reason: String,
        /// Free text (required for "other").
        #[arg(long, default_value = "")]
        text: String,
        /// Seconds from the start of the resumed recording to the spoken explanation.
        #[arg(long)]
        at: u32,
    },
    /// Check a case against the checklist: each step's verdict with its Chinese findings.
    /// Exit status 1 when any step is in violation.
    Check {
        case: String,
        #[arg(long)]
        json: bool,
    },
}

/// The account of this run, its token allowing `scope`. Each use case then authorizes
/// the account itself (`liuhen_app::case_acts`).
async fn account(
    custody: &Custody,
    who: Who<'_>,
    scope: TokenScope,
    command: &str,
) -> anyhow::Result<Principal> {
    Ok(who.resolve(custody, scope, command).await?.principal)
}

/// The case a step belongs to (the use cases find the step within its case).
async fn case_of(custody: &Custody, step: &str) -> anyhow::Result<String> {
    Ok(custody.step(step).await?.case_id)
}

pub async fn run(custody: &Custody, cmd: CaseCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        CaseCommand::Create {
            number,
            name,
            category,
            agency,
            department,
            party,
            team,
            json,
        } => {
            let new = NewCase {
                number,
                name,
                category: category.parse::<CaseCategory>()?,
                agency: agency.unwrap_or_default(),
                department,
                parties: party
                    .iter()
                    .map(|p| parse_party(p))
                    .collect::<anyhow::Result<_>>()?,
                team: split_names(&team),
                flags: CaseFlags::default(),
            };
            let op = who
                .resolve(custody, TokenScope::Write, "case create")
                .await?;
            let case = custody
                .create_case_as(&op.principal, &new)
                .await
                .context("案件未创建 / case not created")?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&liuhen_app::cases::case_json(&case))?
                );
            } else {
                print_case(&case);
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show { case, json } => {
            let me = account(custody, who, TokenScope::Read, "case show").await?;
            let case = custody.case_to_view(&me, &case).await?;
            let steps = custody.case_steps(&case.id).await?;
            let history = custody.case_history(&case.id).await?;
            if json {
                let entries: Vec<serde_json::Value> = history
                    .iter()
                    .map(|e| serde_json::from_str(&e.body).unwrap_or(serde_json::Value::Null))
                    .collect();
                let v = json!({
                    "case": liuhen_app::cases::case_json(&case),
                    "steps": steps.iter().map(step_json).collect::<Vec<_>>(),
                    "history": entries,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_case(&case);
                println!("\n执法环节 (steps):");
                for s in &steps {
                    print_step(s);
                }
                println!("\n审计记录 (audit trail):");
                for e in &history {
                    let at = jiff::Timestamp::from_millisecond(e.at_ms)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    println!("  #{:<6} {at}  {:<28} {}", e.seq, e.action, e.actor);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Flag {
            case,
            set,
            clear,
            reason,
        } => {
            let (flag, value) = match (set, clear) {
                (Some(f), None) => (f, true),
                (None, Some(f)) => (f, false),
                _ => bail!("请指定 --set FLAG 或 --clear FLAG 之一 / give one of --set or --clear"),
            };
            let flag: CaseFlag = flag.parse()?;
            let me = account(custody, who, TokenScope::Write, "case flag").await?;
            let case = custody
                .set_case_flag_as(&me, &case, flag, value, &reason)
                .await
                .context("案件未变更 / case not changed")?;
            print_case(&case);
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Step {
            case,
            row,
            name,
            from,
            to,
            place,
            officers,
            off_site,
            disputed,
            json,
        } => {
            let tz = custody.config().utc_offset().map_err(anyhow::Error::msg)?;
            let new = NewStep {
                checklist_row: row,
                name,
                window: (
                    parse_time("--from", &from, &tz)?,
                    parse_time("--to", &to, &tz)?,
                ),
                place,
                officers: split_names(&officers),
                on_site: !off_site,
                disputed,
            };
            let me = account(custody, who, TokenScope::Write, "case step").await?;
            let step = custody
                .add_step_as(&me, &case, &new)
                .await
                .context("环节未添加 / step not added")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&step_json(&step))?);
            } else {
                print_step(&step);
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Propose { step, json } => {
            let me = account(custody, who, TokenScope::Read, "case propose").await?;
            let (_, _, found) = custody
                .propose_links(&me, &case_of(custody, &step).await?, &step)
                .await
                .context("无法推荐记录 / no proposals")?;
            if json {
                let rows: Vec<serde_json::Value> = found
                    .iter()
                    .map(|(p, r)| {
                        json!({
                            "record_id": r.id.as_str(),
                            "original_name": r.original_name,
                            "officer": r.classification.officer,
                            "device": r.classification.device,
                            "score": p.score,
                            "overlap_seconds": p.overlap.as_secs(),
                            "reasons": p.reasons_zh,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if found.is_empty() {
                println!("没有可推荐的记录 / no proposals");
            } else {
                for (p, r) in &found {
                    println!(
                        "{:>3}  {}  {}  {}",
                        p.score,
                        r.id,
                        r.original_name,
                        p.reasons_zh.join("；")
                    );
                }
                println!("确认关联 / to confirm: liuhen case link {step} <record>");
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Link { step, record } => {
            let record = parse_record(&record)?;
            let me = account(custody, who, TokenScope::Write, "case link").await?;
            let link = custody
                .link_record_as(&me, &case_of(custody, &step).await?, &step, &record)
                .await
                .context("记录未关联 / record not linked")?;
            println!(
                "已关联 linked: 记录 record {} → 环节 step {}",
                link.record_id, link.step_id
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Unlink {
            step,
            record,
            reason,
        } => {
            let record = parse_record(&record)?;
            let me = account(custody, who, TokenScope::Write, "case unlink").await?;
            custody
                .unlink_record_as(
                    &me,
                    &case_of(custody, &step).await?,
                    &step,
                    &record,
                    &reason,
                )
                .await
                .context("关联未取消 / record not unlinked")?;
            println!("已取消关联 unlinked: 记录 record {record} ← 环节 step {step}");
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Explain {
            step,
            record,
            reason,
            text,
            at,
        } => {
            let explanation = Explanation {
                resumed_record: parse_record(&record)?,
                reason: InterruptionReason::from_code(&reason),
                text: text.trim().to_owned(),
                spoken_at_offset_s: at,
            };
            let me = account(custody, who, TokenScope::Write, "case explain").await?;
            let row = custody
                .explain_interruption_as(&me, &case_of(custody, &step).await?, &step, &explanation)
                .await
                .context("说明未记录 / explanation not recorded")?;
            println!(
                "已记录中断说明 explained: 环节 step {}，记录 record {}，原因 {}，第 {} 秒",
                row.step_id,
                row.explanation.resumed_record,
                custody.config().lists().reason_zh(&row.explanation.reason),
                row.explanation.spoken_at_offset_s
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Check { case, json } => {
            let me = account(custody, who, TokenScope::Read, "case check").await?;
            let case = custody.case_to_view(&me, &case).await?;
            let steps = custody.case_steps(&case.id).await?;
            let verdict = custody.case_compliance(&case.id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&verdict_json(&case, &steps, &verdict))?
                );
            } else {
                print_verdict(&case, &steps, &verdict);
            }
            Ok(if verdict.violations() > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn split_names(s: &str) -> Vec<String> {
    s.split([',', '，', '、'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_party(s: &str) -> anyhow::Result<PartyRow> {
    let parts: Vec<&str> = s.splitn(3, [':', '：']).map(str::trim).collect();
    let [kind, name, code] = parts[..] else {
        bail!(
            "--party {s:?}: 格式应为 类型:名称:证件号，例如 unit:某化工有限公司:91410400MA00000000 / use KIND:NAME:ID"
        );
    };
    let kind = match kind {
        "person" | "个人" => "person",
        "unit" | "单位" => "unit",
        other => bail!(
            "--party {s:?}: 当事人类型 {other:?} 无效（应为 person/个人 或 unit/单位） / party kind must be person or unit"
        ),
    };
    Ok(PartyRow {
        kind: kind.to_owned(),
        name: name.to_owned(),
        id_or_credit_code: code.to_owned(),
    })
}

fn parse_record(s: &str) -> anyhow::Result<RecordId> {
    RecordId::parse(s.trim())
        .map_err(|_| anyhow::anyhow!("记录编号 {s:?} 无效（应为 UUID） / record id is not a UUID"))
}

fn parse_time(flag: &str, s: &str, tz: &jiff::tz::TimeZone) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().with_context(|| {
        format!(
            "{flag} {s:?}: 时间格式应为 RFC 3339 或 \"YYYY-MM-DD HH:MM\" / use RFC 3339 or \"YYYY-MM-DD HH:MM\""
        )
    })?;
    Ok(civil.to_zoned_datetime(tz.clone())?.timestamp())
}

fn step_json(s: &StepRow) -> serde_json::Value {
    let st = &s.step;
    json!({
        "id": st.id,
        "case_id": s.case_id,
        "checklist_row": st.checklist_row,
        "name": st.name,
        "from": st.window.0.to_string(),
        "to": st.window.1.to_string(),
        "place": st.place,
        "officers": st.officers,
        "on_site": st.on_site,
        "disputed": st.disputed,
    })
}

fn print_case(c: &CaseRow) {
    println!("案件 {}  {}  (id {})", c.number, c.name, c.id);
    println!("  执法类别 category    {}", c.category.label_zh());
    println!("  办案部门 department  {}", c.department);
    println!("  状态 status          {}", c.status.label_zh());
    println!("  办案人员 team        {}", c.team.join("、"));
    for p in &c.parties {
        let kind = if p.kind == "unit" { "单位" } else { "个人" };
        println!(
            "  当事人 party         {} ({kind}, {})",
            p.name, p.id_or_credit_code
        );
    }
    let flags: Vec<&str> = CaseFlag::ALL
        .into_iter()
        .filter(|f| f.get(&c.flags))
        .map(CaseFlag::label_zh)
        .collect();
    println!(
        "  标记 flags           {}",
        if flags.is_empty() {
            "—".to_owned()
        } else {
            flags.join("；")
        }
    );
}

fn print_step(s: &StepRow) {
    let st = &s.step;
    println!(
        "环节 step {}  「{}」{}",
        st.id,
        st.name,
        st.checklist_row
            .as_deref()
            .map(|r| format!(" 清单 {r}"))
            .unwrap_or_default()
    );
    println!(
        "  {} – {}  {}  执法人员 {}{}{}",
        st.window.0,
        st.window.1,
        st.place,
        st.officers.join("、"),
        if st.on_site { "" } else { "  非现场" },
        if st.disputed {
            "  可能引发争议"
        } else {
            ""
        }
    );
}

fn verdict_json(case: &CaseRow, steps: &[StepRow], v: &CaseVerdict) -> serde_json::Value {
    json!({
        "case": case.id,
        "number": case.number,
        "level": v.level.code(),
        "violations": v.violations(),
        "warnings": v.warnings(),
        "unexplained_interruptions": v.unexplained_interruptions(),
        "findings": v.findings.iter().map(|f| json!({
            "level": f.level.code(),
            "rule": f.rule,
            "code": f.code,
            "message_zh": f.message_zh,
        })).collect::<Vec<_>>(),
        "steps": v.steps.iter().map(|s| {
            let step = steps.iter().find(|x| x.step.id == s.step_id);
            json!({
                "step_id": s.step_id,
                "name": step.map(|x| x.step.name.clone()),
                "checklist_row": step.and_then(|x| x.step.checklist_row.clone()),
                "level": s.level.code(),
                "full_process": s.full_process,
                "interruptions": s.interruptions.iter().map(|i| json!({
                    "officer": i.officer,
                    "device": i.device,
                    "before": i.before.as_str(),
                    "after": i.after.as_str(),
                    "gap_start": i.gap_start.to_string(),
                    "gap_end": i.gap_end.to_string(),
                })).collect::<Vec<_>>(),
                "findings": s.findings.iter().map(|f| json!({
                    "level": f.level.code(),
                    "rule": f.rule,
                    "code": f.code,
                    "message_zh": f.message_zh,
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    })
}

fn level_tag(l: Level) -> String {
    format!("{} {}", l.label_zh(), l.code().to_uppercase())
}

fn print_verdict(case: &CaseRow, steps: &[StepRow], v: &CaseVerdict) {
    println!("案件 {}  {}", case.number, case.name);
    if v.steps.is_empty() {
        println!("  （尚无执法环节 / no steps yet）");
    }
    for s in &v.steps {
        let name = steps
            .iter()
            .find(|x| x.step.id == s.step_id)
            .map(|x| x.step.name.as_str())
            .unwrap_or("?");
        println!("[{}] 环节「{name}」 step {}", level_tag(s.level), s.step_id);
        for f in &s.findings {
            println!("    - [{} {}] {}", f.rule, f.code, f.message_zh);
        }
    }
    for f in &v.findings {
        println!(
            "[{}] 案件 case: [{} {}] {}",
            level_tag(f.level),
            f.rule,
            f.code,
            f.message_zh
        );
    }
    println!(
        "{}: {} 项违规 violations, {} 项提示 warnings, {} 处未说明的中断 unexplained interruptions",
        level_tag(v.level),
        v.violations(),
        v.warnings(),
        v.unexplained_interruptions()
    );
}
