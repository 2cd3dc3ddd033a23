//! The inspection sheet of one sampled case: the three checks of 附件3 第十六条, each
//! pre-filled from what the system knows and confirmed or overridden (with a note) by the
//! inspector; findings name the officers responsible.

use serde::{Deserialize, Serialize};

use crate::compliance::{CaseVerdict, Level, codes};

/// The three checks of 第十六条.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// (一) 是否对应当记录的执法环节进行了记录.
    Steps,
    /// (二) 是否存在中断记录的情况.
    Continuity,
    /// (三) 执法音像记录的移交、存储、管理、使用是否规范.
    Custody,
}

impl Check {
    pub const ALL: [Check; 3] = [Check::Steps, Check::Continuity, Check::Custody];

    pub fn code(self) -> &'static str {
        match self {
            Self::Steps => "steps",
            Self::Continuity => "continuity",
            Self::Custody => "custody",
        }
    }

    pub fn parse(s: &str) -> Option<Check> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Steps => "应当记录的执法环节是否均已记录",
            Self::Continuity => "是否存在中断记录的情况",
            Self::Custody => "移交、存储、管理、使用是否规范",
        }
    }
}

/// The answer of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 符合
    Pass,
    /// 不符合
    Fail,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "pass" => Some(Self::Pass),
            "fail" => Some(Self::Fail),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pass => "符合",
            Self::Fail => "不符合",
        }
    }
}

/// What the system knows about a case's custody (check 3), gathered by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustodyFacts {
    /// Linked records stored late (R3.3), by a readable label (id and delay).
    pub late_records: Vec<String>,
    /// Misconduct signals (R3.13) touching the case's records, described.
    pub signals: Vec<String>,
    /// Refused uses of the case's records in the access register, described.
    pub refusals: Vec<String>,
}

/// One check as the system pre-fills it: its verdict and the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefill {
    pub check: Check,
    pub verdict: Verdict,
    /// Why, one line per fact; empty when nothing speaks against the case.
    pub basis: Vec<String>,
}

/// Compliance codes that mean a required step was not (properly) recorded.
pub const STEP_CODES: [&str; 6] = [
    codes::MISSING_RECORDING,
    codes::STEP_MISSING,
    codes::WRONG_MODE,
    codes::INVALID_RECORDING,
    codes::UNREADABLE_RECORDING,
    codes::MODE_KIND_MISMATCH,
];
/// Compliance codes that mean the recording was interrupted without an accepted reason.
pub const CONTINUITY_CODES: [&str; 4] = [
    codes::UNEXPLAINED_INTERRUPTION,
    codes::EXPLANATION_REFUSED,
    codes::NO_CONTINUOUS_RECORDING,
    codes::NOT_COVERED_IN_FULL,
];

/// The three checks pre-filled: (1) from the compliance verdict's step findings, (2) from
/// its interruption findings (explained interruptions are listed but pass), (3) from
/// lateness, misconduct signals and refused uses.
pub fn prefill(
    verdict: &CaseVerdict,
    step_names: &[(String, String)],
    custody: &CustodyFacts,
) -> [Prefill; 3] {
    let name = |id: &str| {
        step_names
            .iter()
            .find(|(s, _)| s == id)
            .map_or(id, |(_, n)| n.as_str())
            .to_owned()
    };
    let mut steps = Vec::new();
    let mut continuity = Vec::new();
    let mut explained = Vec::new();
    let all = verdict
        .steps
        .iter()
        .flat_map(|s| {
            s.findings
                .iter()
                .map(move |f| (Some(s.step_id.as_str()), f))
        })
        .chain(verdict.findings.iter().map(|f| (None, f)));
    for (step, f) in all {
        let line = match step {
            Some(id) => format!("{}：{}", name(id), f.message_zh),
            None => f.message_zh.clone(),
        };
        if f.level != Level::Ok && STEP_CODES.contains(&f.code) {
            steps.push(line);
        } else if f.level != Level::Ok && CONTINUITY_CODES.contains(&f.code) {
            continuity.push(line);
        } else if f.code == codes::INTERRUPTION_EXPLAINED {
            explained.push(format!("（已说明）{line}"));
        }
    }
    let fail_if = |v: &Vec<String>| {
        if v.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    };
    let custody_lines: Vec<String> = custody
        .late_records
        .iter()
        .map(|r| format!("逾期存储：{r}"))
        .chain(custody.signals.iter().map(|s| format!("异常使用信号：{s}")))
        .chain(
            custody
                .refusals
                .iter()
                .map(|s| format!("被拒绝的使用：{s}")),
        )
        .collect();
    let continuity_verdict = fail_if(&continuity);
    continuity.extend(explained);
    [
        Prefill {
            check: Check::Steps,
            verdict: fail_if(&steps),
            basis: steps,
        },
        Prefill {
            check: Check::Continuity,
            verdict: continuity_verdict,
            basis: continuity,
        },
        Prefill {
            check: Check::Custody,
            verdict: fail_if(&custody_lines),
            basis: custody_lines,
        },
    ]
}

/// The inspector's answer to one check: confirm the prefill (no verdict) or override it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub check: Check,
    /// `None`: the prefill is confirmed.
    pub verdict: Option<Verdict>,
    pub note: String,
}

/// A check as filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    pub check: Check,
    pub prefill: Verdict,
    pub verdict: Verdict,
    pub overridden: bool,
    pub basis: Vec<String>,
    pub note: String,
}

/// A finding of a sheet, naming the officers responsible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingSpec {
    pub check: Check,
    pub text: String,
    pub officers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("检查项“{0}”改变了系统预填的结论，须写明理由")]
    OverrideWithoutNote(&'static str),
    #[error("检查项“{0}”回答了两次")]
    Repeated(&'static str),
    #[error("发现的问题须写明内容")]
    EmptyFinding,
    #[error("发现的问题须写明责任人员")]
    NoOfficer,
    #[error("检查项“{0}”结论为符合，不能据此认定问题")]
    FindingOnPass(&'static str),
}

/// Settles a sheet: every check takes the inspector's verdict or, unanswered, the
/// prefill; a changed verdict needs a note; each finding has text and at least one
/// officer and rests on a check that failed.
pub fn settle(
    prefill: &[Prefill; 3],
    answers: &[Answer],
    findings: &[FindingSpec],
) -> Result<Vec<Settled>, SheetError> {
    let mut out = Vec::with_capacity(3);
    for p in prefill {
        let mut mine = answers.iter().filter(|a| a.check == p.check);
        let answer = mine.next();
        if mine.next().is_some() {
            return Err(SheetError::Repeated(p.check.label_zh()));
        }
        let verdict = answer.and_then(|a| a.verdict).unwrap_or(p.verdict);
        let note = answer.map(|a| a.note.trim().to_owned()).unwrap_or_default();
        let overridden = verdict != p.verdict;
        if overridden && note.is_empty() {
            return Err(SheetError::OverrideWithoutNote(p.check.label_zh()));
        }
        out.push(Settled {
            check: p.check,
            prefill: p.verdict,
            verdict,
            overridden,
            basis: p.basis.clone(),
            note,
        });
    }
    for f in findings {
        if f.text.trim().is_empty() {
            return Err(SheetError::EmptyFinding);
        }
        if f.officers.iter().all(|o| o.trim().is_empty()) {
            return Err(SheetError::NoOfficer);
        }
        if out
            .iter()
            .any(|s| s.check == f.check && s.verdict == Verdict::Pass)
        {
            return Err(SheetError::FindingOnPass(f.check.label_zh()));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "inspection_tests.rs"]
mod tests;
