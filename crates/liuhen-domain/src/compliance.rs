//! Compliance of a case's steps with the checklist (R1.2, R1.3), full-process recording
//! (R2.2) and continuity (R2.5). Pure functions: the caller passes the checklist, the case
//! flags, each step with its confirmed recordings and stated explanations, and the
//! configuration. Every verdict explains itself in Chinese: rule, step, what is missing.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::MediaKind;
use crate::case::{CaseFlags, Explanation, LinkedRecording, RecordingMode, Step};
use crate::checklist::{Checklist, ChecklistRow, Obligation};

mod continuity;
mod implied;
pub use continuity::{ExplanationError, Interruption, find_interruptions};
pub use implied::missing_steps;

/// Severity, ordered: a step's level is the highest of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Violation,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Violation => "violation",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Ok => "符合",
            Self::Warning => "提示",
            Self::Violation => "违规",
        }
    }
}

/// One explained observation about a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// The requirement it rests on: "R1.2", "R1.3", "R2.2", "R2.5".
    pub rule: &'static str,
    /// Stable machine code, e.g. "missing_recording", "unexplained_interruption".
    pub code: &'static str,
    pub message_zh: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepVerdict {
    pub step_id: String,
    pub level: Level,
    /// Whether full-process recording applied to this step (R1.3 or R2.2).
    pub full_process: bool,
    /// The interruptions found (explained or not), for lists and the explanation form.
    pub interruptions: Vec<Interruption>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseVerdict {
    pub level: Level,
    pub steps: Vec<StepVerdict>,
    /// Findings about the case as a whole, e.g. a step its flags imply but that is missing.
    pub findings: Vec<Finding>,
}

impl CaseVerdict {
    fn count(&self, pred: impl Fn(&Finding) -> bool) -> usize {
        self.steps
            .iter()
            .flat_map(|s| &s.findings)
            .chain(&self.findings)
            .filter(|f| pred(f))
            .count()
    }

    pub fn violations(&self) -> usize {
        self.count(|f| f.level == Level::Violation)
    }

    pub fn warnings(&self) -> usize {
        self.count(|f| f.level == Level::Warning)
    }

    pub fn unexplained_interruptions(&self) -> usize {
        self.count(|f| {
            f.code == codes::UNEXPLAINED_INTERRUPTION || f.code == codes::EXPLANATION_REFUSED
        })
    }
}

/// The finding codes.
pub mod codes {
    pub const RECORDED: &str = "recorded";
    pub const MISSING_RECORDING: &str = "missing_recording";
    pub const WRONG_MODE: &str = "wrong_mode";
    pub const NOT_REQUIRED: &str = "not_required";
    pub const UNKNOWN_CHECKLIST_ROW: &str = "unknown_checklist_row";
    pub const INVALID_WINDOW: &str = "invalid_window";
    pub const INVALID_RECORDING: &str = "invalid_recording";
    pub const MODE_KIND_MISMATCH: &str = "mode_kind_mismatch";
    pub const UNREADABLE_RECORDING: &str = "unreadable_recording";
    pub const STEP_MISSING: &str = "step_missing";
    pub const COVERED_IN_FULL: &str = "covered_in_full";
    pub const NOT_COVERED_IN_FULL: &str = "not_covered_in_full";
    pub const NO_CONTINUOUS_RECORDING: &str = "no_continuous_recording";
    pub const UNEXPLAINED_INTERRUPTION: &str = "unexplained_interruption";
    pub const EXPLANATION_REFUSED: &str = "explanation_refused";
    pub const INTERRUPTION_EXPLAINED: &str = "interruption_explained";
}

/// Thresholds and lists of the compliance rules (configuration, not code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceConfig {
    /// Gaps up to this long between consecutive recordings of one device are file splits
    /// (body cameras cut files every few minutes), not interruptions; also the slack at
    /// the edges of a step window.
    pub gap_tolerance: SignedDuration,
    /// Modes that count towards full-process coverage under R2.2 (rows with
    /// `full_process` use their own continuous modes).
    pub full_process_modes: Vec<RecordingMode>,
    /// The lists in force (interruption reasons: which need words, their labels).
    pub lists: crate::lists::Lists,
}

impl Default for ComplianceConfig {
    fn default() -> Self {
        Self {
            gap_tolerance: SignedDuration::from_secs(5),
            full_process_modes: vec![RecordingMode::Video, RecordingMode::Surveillance],
            lists: crate::lists::Lists::shipped(),
        }
    }
}

/// A step with what was linked to it.
#[derive(Debug, Clone, Copy)]
pub struct StepEvidence<'a> {
    pub step: &'a Step,
    pub recordings: &'a [LinkedRecording],
    pub explanations: &'a [Explanation],
}

/// The rule under which full-process recording applies to a step, if any: the row says so
/// (hearings, R1.3), or the case concerns a major hazard or violation and the step is on
/// site (R2.2).
pub fn full_process_rule(
    flags: &CaseFlags,
    step: &Step,
    row: Option<&ChecklistRow>,
) -> Option<&'static str> {
    if row.is_some_and(|r| r.full_process) {
        Some("R1.3")
    } else if flags.major_hazard_or_violation && step.on_site {
        Some("R2.2")
    } else {
        None
    }
}

/// Parts of `window` not covered by `intervals` that are longer than `tolerance`.
fn uncovered(
    window: (Timestamp, Timestamp),
    mut intervals: Vec<(Timestamp, Timestamp)>,
    tolerance: SignedDuration,
) -> Vec<(Timestamp, Timestamp)> {
    intervals.sort();
    let mut out = Vec::new();
    let mut cursor = window.0;
    for (s, e) in intervals {
        let (s, e) = (s.max(window.0), e.min(window.1));
        if e <= cursor {
            continue;
        }
        if s > cursor && cursor.duration_until(s) > tolerance {
            out.push((cursor, s));
        }
        cursor = cursor.max(e);
    }
    if cursor < window.1 && cursor.duration_until(window.1) > tolerance {
        out.push((cursor, window.1));
    }
    out
}

/// "01:02:03" from a non-negative duration.
fn hms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// How a step is named in messages: 环节「现场检查」（清单 2.7 行政检查·现场检查）.
struct StepName<'a>(&'a Step, Option<&'a ChecklistRow>);

impl fmt::Display for StepName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "环节「{}」", self.0.name)?;
        if let Some(r) = self.1 {
            write!(f, "（清单 {} {}·{}）", r.id, r.category_label(), r.step)?;
        }
        Ok(())
    }
}

fn modes_label(modes: &[RecordingMode]) -> String {
    let labels: Vec<&str> = modes.iter().map(|m| m.label_zh()).collect();
    labels.join("或")
}

/// Evaluates one step.
pub fn evaluate_step(
    checklist: &Checklist,
    flags: &CaseFlags,
    ev: StepEvidence<'_>,
    cfg: &ComplianceConfig,
) -> StepVerdict {
    let step = ev.step;
    let mut findings = Vec::new();
    let mut push = |level, rule, code, message_zh: String| {
        findings.push(Finding {
            level,
            rule,
            code,
            message_zh,
        })
    };
    let row = step
        .checklist_row
        .as_deref()
        .and_then(|id| checklist.row(id));
    let name = StepName(step, row);
    if let (Some(id), None) = (&step.checklist_row, row) {
        push(
            Level::Warning,
            "R1.1",
            codes::UNKNOWN_CHECKLIST_ROW,
            format!("{name}引用的清单条目 {id} 不存在，无法按清单核对"),
        );
    }

    // Recordings that can count: sane times, content matching the declared mode.
    let mut valid: Vec<&LinkedRecording> = Vec::new();
    for r in ev.recordings {
        if r.kind == MediaKind::Other {
            push(
                Level::Warning,
                "R1.2",
                codes::UNREADABLE_RECORDING,
                format!(
                    "{name}关联的记录 {} 无法识别为录像、照片或录音（文件无法读取或不是音像内容），不能满足音像记录要求，未计入",
                    r.record_id
                ),
            );
        } else if r.end < r.start {
            push(
                Level::Warning,
                "R1.2",
                codes::INVALID_RECORDING,
                format!(
                    "{name}关联的记录 {} 结束时间早于开始时间，未计入",
                    r.record_id
                ),
            );
        } else if !r.mode.accepts(r.kind) {
            push(
                Level::Warning,
                "R1.2",
                codes::MODE_KIND_MISMATCH,
                format!(
                    "{name}关联的记录 {} 标为{}，但内容是{}，未计入",
                    r.record_id,
                    r.mode.label_zh(),
                    r.kind.label_zh()
                ),
            );
        } else {
            valid.push(r);
        }
    }

    // R1.2: the checklist's requirement.
    if let Some(row) = row {
        let disputed = flags.disputed || step.disputed;
        let required = row.obligation == Obligation::Mandatory || disputed;
        let rule = if row.full_process { "R1.3" } else { "R1.2" };
        let matching = valid.iter().filter(|r| row.allows(r.mode)).count();
        let why = match (row.obligation, disputed) {
            (Obligation::Mandatory, _) => "该环节属于应当进行音像记录的情形".to_owned(),
            (Obligation::MandatoryWhenDisputed, true) => format!(
                "{}已标记为可能引发争议，该环节应当进行音像记录",
                if flags.disputed {
                    "案件"
                } else {
                    "该环节"
                }
            ),
            (Obligation::MandatoryWhenDisputed, false) => {
                "该环节尚未标记为可能引发争议，暂为提示；一旦标记争议即为违规".to_owned()
            }
        };
        let level = if required {
            Level::Violation
        } else {
            Level::Warning
        };
        if matching > 0 {
            push(
                Level::Ok,
                rule,
                codes::RECORDED,
                format!("{name}已有 {matching} 条{}记录", row.modes_label()),
            );
        } else if valid.is_empty() {
            push(
                level,
                rule,
                codes::MISSING_RECORDING,
                format!(
                    "{name}要求以{}记录“{}”，但没有关联任何记录；{why}",
                    row.modes_label(),
                    row.requirement
                ),
            );
        } else {
            let mut have: Vec<RecordingMode> = valid.iter().map(|r| r.mode).collect();
            have.sort();
            have.dedup();
            push(
                level,
                rule,
                codes::WRONG_MODE,
                format!(
                    "{name}要求以{}记录，但关联的记录只有{}（{} 条），方式不符；{why}",
                    row.modes_label(),
                    modes_label(&have),
                    valid.len()
                ),
            );
        }
    }

    // R1.3 / R2.2 full process, R2.5 continuity.
    let rule = full_process_rule(flags, step, row);
    let mut interruptions = Vec::new();
    if let Some(rule) = rule {
        let (ws, we) = step.window;
        let modes: Vec<RecordingMode> = match row.filter(|r| r.full_process) {
            Some(r) => r
                .modes
                .iter()
                .copied()
                .filter(|m| m.is_continuous())
                .collect(),
            None => cfg.full_process_modes.clone(),
        };
        let why = if rule == "R1.3" {
            "听证等清单要求全过程记录的环节".to_owned()
        } else {
            "直接涉及重大事故隐患、重大违法行为的现场执法活动".to_owned()
        };
        let continuous: Vec<&LinkedRecording> = valid
            .iter()
            .copied()
            .filter(|r| modes.contains(&r.mode))
            .collect();
        if we < ws {
            push(
                Level::Warning,
                rule,
                codes::INVALID_WINDOW,
                format!("{name}的结束时间早于开始时间，无法核对全过程记录"),
            );
        } else if continuous.iter().all(|r| r.end < ws || r.start > we) {
            push(
                Level::Violation,
                rule,
                codes::NO_CONTINUOUS_RECORDING,
                format!(
                    "{name}属于{why}，应当以{}全过程无间断记录，但该环节时间内没有此类记录",
                    modes_label(&modes)
                ),
            );
        } else {
            interruptions = find_interruptions(step.window, &continuous, cfg.gap_tolerance);
            for i in &interruptions {
                let at = format!(
                    "执法人员 {} 的设备 {} 在环节开始后 {} 至 {} 中断记录 {} 秒",
                    i.officer,
                    i.device,
                    hms(ws.duration_until(i.gap_start)),
                    hms(ws.duration_until(i.gap_end)),
                    i.gap().as_secs()
                );
                let stated: Vec<&Explanation> = ev
                    .explanations
                    .iter()
                    .filter(|e| e.resumed_record == i.after)
                    .collect();
                match stated.iter().find(|e| i.accept(e, &cfg.lists).is_ok()) {
                    Some(e) => push(
                        Level::Ok,
                        "R2.5",
                        codes::INTERRUPTION_EXPLAINED,
                        format!(
                            "{name}：{at}，原因“{}”{}，已在记录 {} 第 {} 秒语音说明",
                            cfg.lists.reason_zh(&e.reason),
                            if e.text.trim().is_empty() {
                                String::new()
                            } else {
                                format!("（{}）", e.text.trim())
                            },
                            i.after,
                            e.spoken_at_offset_s
                        ),
                    ),
                    None => match stated.first().map(|e| i.accept(e, &cfg.lists)) {
                        Some(Err(err)) => push(
                            Level::Violation,
                            "R2.5",
                            codes::EXPLANATION_REFUSED,
                            format!("{name}：{at}，所附说明不予接受：{err}"),
                        ),
                        _ => push(
                            Level::Violation,
                            "R2.5",
                            codes::UNEXPLAINED_INTERRUPTION,
                            format!(
                                "{name}：{at}，未说明中断原因；重新开始记录时应语音说明原因（设备故障、天气、电量、存储空间、现场阻挠、场所变化或其他），并注明说明在下一段记录中的位置"
                            ),
                        ),
                    },
                }
            }
            // Interruptions are judged above; coverage looks for what no chain explains:
            // the edges of the window and gaps between different devices.
            let mut covered: Vec<(Timestamp, Timestamp)> =
                continuous.iter().map(|r| (r.start, r.end)).collect();
            covered.extend(interruptions.iter().map(|i| (i.gap_start, i.gap_end)));
            let holes = uncovered(step.window, covered, cfg.gap_tolerance);
            for (s, e) in &holes {
                push(
                    Level::Violation,
                    rule,
                    codes::NOT_COVERED_IN_FULL,
                    format!(
                        "{name}属于{why}，应当全过程无间断记录，但环节开始后 {} 至 {}（{} 秒）没有{}记录",
                        hms(ws.duration_until(*s)),
                        hms(ws.duration_until(*e)),
                        s.duration_until(*e).as_secs(),
                        modes_label(&modes)
                    ),
                );
            }
            if holes.is_empty() {
                push(
                    Level::Ok,
                    rule,
                    codes::COVERED_IN_FULL,
                    format!(
                        "{name}的时间段（{}）已由{}记录完整覆盖",
                        hms(ws.duration_until(we)),
                        modes_label(&modes)
                    ),
                );
            }
        }
    }

    if row.is_none() && rule.is_none() && step.checklist_row.is_none() {
        push(
            Level::Ok,
            "R1.2",
            codes::NOT_REQUIRED,
            format!("{name}不在记录清单内，也不适用全过程记录，无强制音像记录要求"),
        );
    }

    StepVerdict {
        step_id: step.id.clone(),
        level: findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok),
        full_process: rule.is_some(),
        interruptions,
        findings,
    }
}

/// Evaluates every step of a case.
pub fn evaluate_case(
    checklist: &Checklist,
    flags: &CaseFlags,
    steps: &[StepEvidence<'_>],
    cfg: &ComplianceConfig,
) -> CaseVerdict {
    let findings = missing_steps(checklist, flags, steps);
    let steps: Vec<StepVerdict> = steps
        .iter()
        .map(|ev| evaluate_step(checklist, flags, *ev, cfg))
        .collect();
    CaseVerdict {
        level: steps
            .iter()
            .map(|s| s.level)
            .chain(findings.iter().map(|f| f.level))
            .max()
            .unwrap_or(Level::Ok),
        steps,
        findings,
    }
}
