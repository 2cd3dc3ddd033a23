//! Cases, enforcement steps, links from steps to records, explanations of interruptions,
//! and the compliance of a case with the checklist (issue 4). Every change writes its
//! audit entry (subject `case:<id>`) in the same transaction as the rows.
//!
//! Authorization: the functions here take an `actor` and do not authorize; they are the
//! local operator's (CLI, demo). Pages and the API call their twins in
//! [`crate::case_acts`], which take the [`liuhen_domain::authz::Principal`] and authorize.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use liuhen_db::{AuditEntry, NewEntry};
pub use liuhen_db::{CaseRow, ExplanationRow, PartyRow, StepRecordRow, StepRow};
use liuhen_domain::case::{
    CaseCategory, CaseFlags, CaseStatus, Explanation, LinkedRecording, RecordingMode,
    RecordingSource, Step,
};
use liuhen_domain::compliance::{self, CaseVerdict, ComplianceConfig, StepEvidence};
use liuhen_domain::{AuditAction, Record, RecordId};
use serde_json::json;

use crate::log_snapshot::{self, CaseSnapshot, LinkSnapshot, StepSnapshot, UnlinkSnapshot};
use crate::{AppError, Custody};

/// The flags of a case, one by one (set and cleared with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseFlag {
    MajorHazard,
    Disputed,
    HearingHeld,
    EnforcedExecution,
    Complex,
    MajorPenalty,
}

impl CaseFlag {
    pub const ALL: [CaseFlag; 6] = [
        Self::MajorHazard,
        Self::Disputed,
        Self::HearingHeld,
        Self::EnforcedExecution,
        Self::Complex,
        Self::MajorPenalty,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::MajorHazard => "major_hazard",
            Self::Disputed => "disputed",
            Self::HearingHeld => "hearing",
            Self::EnforcedExecution => "enforced_execution",
            Self::Complex => "complex",
            Self::MajorPenalty => "major_penalty",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::MajorHazard => "重大事故隐患或重大违法行为",
            Self::Disputed => "可能引发争议",
            Self::HearingHeld => "适用听证程序",
            Self::EnforcedExecution => "行政强制执行",
            Self::Complex => "案情复杂、涉及多个法律关系",
            Self::MajorPenalty => "重大行政处罚或重大社会影响",
        }
    }

    pub fn get(self, f: &CaseFlags) -> bool {
        match self {
            Self::MajorHazard => f.major_hazard_or_violation,
            Self::Disputed => f.disputed,
            Self::HearingHeld => f.hearing_held,
            Self::EnforcedExecution => f.enforced_execution,
            Self::Complex => f.complex_multiple_relationships,
            Self::MajorPenalty => f.major_penalty_or_social_impact,
        }
    }

    fn slot(self, f: &mut CaseFlags) -> &mut bool {
        match self {
            Self::MajorHazard => &mut f.major_hazard_or_violation,
            Self::Disputed => &mut f.disputed,
            Self::HearingHeld => &mut f.hearing_held,
            Self::EnforcedExecution => &mut f.enforced_execution,
            Self::Complex => &mut f.complex_multiple_relationships,
            Self::MajorPenalty => &mut f.major_penalty_or_social_impact,
        }
    }
}

impl fmt::Display for CaseFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for CaseFlag {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Self, AppError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.code() == s || f.label_zh() == s)
            .ok_or_else(|| {
                let codes: Vec<&str> = Self::ALL.iter().map(|f| f.code()).collect();
                AppError::Invalid(format!(
                    "未知的案件标记 {s:?}（应为 {}） / unknown case flag",
                    codes.join("、")
                ))
            })
    }
}

/// A case to create.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub number: String,
    pub name: String,
    pub category: CaseCategory,
    /// 执法机构 (the unit; may be empty for a local operator's case).
    pub agency: String,
    pub department: String,
    pub parties: Vec<PartyRow>,
    pub team: Vec<String>,
    pub flags: CaseFlags,
}

/// A step to add: from a row of the shipped checklist (`checklist_row`) or free.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub checklist_row: Option<String>,
    /// Defaults to the checklist row's step name.
    pub name: Option<String>,
    pub window: (Timestamp, Timestamp),
    pub place: String,
    pub officers: Vec<String>,
    pub on_site: bool,
    pub disputed: bool,
}

fn invalid(msg: impl Into<String>) -> AppError {
    AppError::Invalid(msg.into())
}

/// Parties: kind `person` or `unit`, name and ID or credit code required.
pub(crate) fn checked_parties(parties: &[PartyRow]) -> Result<Vec<PartyRow>, AppError> {
    let mut out = Vec::new();
    for p in parties {
        let kind = p.kind.trim();
        if kind != "person" && kind != "unit" {
            return Err(invalid(format!(
                "当事人类型 {kind:?} 无效（应为 person 或 unit） / party kind must be person or unit"
            )));
        }
        out.push(PartyRow {
            kind: kind.to_owned(),
            name: required(&p.name, "当事人姓名或单位名称", "party name")?,
            id_or_credit_code: required(
                &p.id_or_credit_code,
                "当事人身份证号或统一社会信用代码",
                "party ID or credit code",
            )?,
        });
    }
    Ok(out)
}

pub(crate) fn required(value: &str, zh: &str, en: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        Err(invalid(format!("{zh}不能为空 / {en} is required")))
    } else {
        Ok(v.to_owned())
    }
}

/// Names of officers: trimmed, non-empty, without commas (stored comma-separated), unique.
pub(crate) fn officer_list(names: &[String], zh: &str, en: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = n.trim();
        if n.is_empty() || n.contains(',') || n.contains('，') {
            return Err(invalid(format!(
                "{zh}中的姓名 {n:?} 无效 / invalid officer name in {en}"
            )));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    }
    if out.is_empty() {
        return Err(invalid(format!(
            "{zh}至少需要一人 / {en} needs at least one officer"
        )));
    }
    Ok(out)
}

/// What compliance knows about a linked record: the mode follows the source of its device
/// and the content (R2.1: video from a fixed surveillance camera → 视频监控, other video →
/// 录像, photo → 照相, audio → 录音; content the prober could not read has no mode, is kept
/// as 录像 here and never counts: compliance names it), officer and device from the
/// classification, times from the capture metadata (unknown start: the storage time;
/// unknown end: start plus duration, or the start).
pub fn linked_recording(r: &Record, source: RecordingSource) -> LinkedRecording {
    linked(
        r.id.clone(),
        r.kind,
        (
            r.media.capture_start,
            r.media.capture_end,
            r.media.duration_ms,
        ),
        r.stored_at,
        r.classification.officer.as_deref(),
        r.classification
            .device
            .as_deref()
            .or(r.media.device_serial.as_deref()),
        source,
    )
}

/// [`linked_recording`] from the narrow read of a period's links (`LinkedFacts`).
pub fn linked_from_facts(
    f: &liuhen_db::LinkedFacts,
    source: RecordingSource,
) -> Result<LinkedRecording, AppError> {
    let corrupt = |detail: String| {
        AppError::Db(liuhen_db::DbError::Corrupt {
            what: format!("record {}", f.record_id),
            detail,
        })
    };
    let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| corrupt(e.to_string()));
    Ok(linked(
        liuhen_domain::RecordId::parse(&f.record_id).map_err(|e| corrupt(e.to_string()))?,
        f.kind,
        (
            f.capture_start_ms.map(at).transpose()?,
            f.capture_end_ms.map(at).transpose()?,
            f.duration_ms.map(|d| d as u64),
        ),
        at(f.stored_at_ms)?,
        f.officer.as_deref(),
        f.device.as_deref().or(f.device_serial.as_deref()),
        source,
    ))
}

/// The one rule of both: times `(capture start, capture end, duration ms)`.
fn linked(
    record_id: liuhen_domain::RecordId,
    kind: liuhen_domain::MediaKind,
    (capture_start, capture_end, duration_ms): (Option<Timestamp>, Option<Timestamp>, Option<u64>),
    stored_at: Timestamp,
    officer: Option<&str>,
    device: Option<&str>,
    source: RecordingSource,
) -> LinkedRecording {
    let mode = source.mode_for(kind).unwrap_or(RecordingMode::Video);
    let start = capture_start.unwrap_or(stored_at);
    let end = capture_end.unwrap_or_else(|| {
        duration_ms
            .and_then(|d| {
                start
                    .checked_add(jiff::SignedDuration::from_millis(d as i64))
                    .ok()
            })
            .unwrap_or(start)
    });
    LinkedRecording {
        record_id,
        kind,
        mode,
        officer: officer.unwrap_or_default().to_owned(),
        device: device.unwrap_or_default().to_owned(),
        start,
        end: if mode == RecordingMode::Photo {
            start
        } else {
            end
        },
    }
}

impl Custody {
    /// The thresholds of the compliance rules from the configuration.
    pub fn compliance_config(&self) -> ComplianceConfig {
        self.config.compliance()
    }

    /// A case by id or number.
    pub async fn case(&self, id_or_number: &str) -> Result<CaseRow, AppError> {
        self.db
            .case(id_or_number.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("案件 case {id_or_number:?}")))
    }

    pub async fn cases(&self, limit: u32) -> Result<Vec<CaseRow>, AppError> {
        Ok(self.db.cases(limit).await?)
    }

    pub async fn case_steps(&self, case_id: &str) -> Result<Vec<StepRow>, AppError> {
        Ok(self.db.steps_of_case(case_id).await?)
    }

    pub async fn step(&self, step_id: &str) -> Result<StepRow, AppError> {
        self.db
            .step(step_id.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("执法环节 step {step_id:?}")))
    }

    /// The case's audit trail (creation, flags, steps, links, explanations), oldest first.
    pub async fn case_history(&self, case_id: &str) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.db.entries_for(&format!("case:{case_id}")).await?)
    }

    testing_pub! {
    /// Creates a case as the local operator (CLI, demo): the unit as given; a team name
    /// without exactly one account of the unit is kept without one (listed to resolve).
    async fn create_case(&self, new: &NewCase, actor: &str) -> Result<CaseRow, AppError> {
        let team = officer_list(&new.team, "办案人员", "the team")?;
        let ids = self
            .team_accounts(new.agency.trim(), &team, None, false)
            .await?;
        self.insert_new_case(new, new.agency.trim(), team, ids, actor)
            .await
    }
    }

    pub(crate) async fn insert_new_case(
        &self,
        new: &NewCase,
        agency: &str,
        team: Vec<String>,
        team_ids: Vec<Option<String>>,
        actor: &str,
    ) -> Result<CaseRow, AppError> {
        let parties = checked_parties(&new.parties)?;
        let now = self.now();
        let case = CaseRow {
            id: uuid::Uuid::now_v7().to_string(),
            number: required(&new.number, "案件编号", "case number")?,
            name: required(&new.name, "案件名称", "case name")?,
            category: new.category,
            agency: agency.to_owned(),
            department: required(&new.department, "办案部门", "department")?,
            status: CaseStatus::Open,
            flags: new.flags,
            created_at: now,
            parties,
            team,
            team_ids,
        };
        let mut tx = self.db.begin().await?;
        if self.db.case(&case.number).await?.is_some() {
            return Err(invalid(format!(
                "案件编号 {} 已存在 / case number already exists",
                case.number
            )));
        }
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::CaseCreated,
                subject: Some(format!("case:{}", case.id)),
                details: json!({
                    "case": CaseSnapshot::of(&case).to_value(),
                }),
            },
        )
        .await?;
        tx.insert_case(&case).await?;
        tx.commit().await?;
        Ok(case)
    }

    testing_pub! {
    /// Sets (`value = true`) or clears a flag with a stated reason. Nothing changes, and
    /// nothing is logged, when the reason is empty or the flag already has that value.
    async fn set_case_flag(
        &self,
        case: &str,
        flag: CaseFlag,
        value: bool,
        reason: &str,
        actor: &str,
    ) -> Result<CaseRow, AppError> {
        let reason = required(reason, "变更理由", "a reason")?;
        let mut tx = self.db.begin().await?;
        let mut row = self.case(case).await?;
        crate::case_archive::ensure_not_archived(&row)?;
        if flag.get(&row.flags) == value {
            return Err(invalid(format!(
                "案件 {} 的标记“{}”{} / flag {flag} is already {}",
                row.number,
                flag.label_zh(),
                if value {
                    "已经设置"
                } else {
                    "本来就未设置"
                },
                if value { "set" } else { "clear" },
            )));
        }
        *flag.slot(&mut row.flags) = value;
        tx.append(
            self.now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::CaseChanged,
                subject: Some(format!("case:{}", row.id)),
                details: json!({
                    "flag": flag.code(),
                    "value": value,
                    "reason": reason,
                }),
            },
        )
        .await?;
        tx.update_case_flags(&row.id, &row.flags).await?;
        tx.commit().await?;
        self.follow_case_retention(&row.id, actor, "案件标记变更")
            .await?;
        Ok(row)
    }
    }

    testing_pub! {
    /// Adds a step to a case, from a row of the shipped checklist or free.
    async fn add_step(
        &self,
        case: &str,
        new: &NewStep,
        actor: &str,
    ) -> Result<StepRow, AppError> {
        let checklist = self.config.checklist();
        let row = match new.checklist_row.as_deref().map(str::trim) {
            Some(id) => Some(checklist.row(id).ok_or_else(|| {
                let ids: Vec<&str> = checklist.rows().iter().map(|r| r.id.as_str()).collect();
                invalid(format!(
                    "清单中没有条目 {id:?}（可用：{}） / no such checklist row",
                    ids.join(" ")
                ))
            })?),
            None => None,
        };
        let name = match (&new.name, row) {
            (Some(n), _) if !n.trim().is_empty() => n.trim().to_owned(),
            (_, Some(r)) => r.step.clone(),
            _ => {
                return Err(invalid("自由环节必须填写名称 / a free step needs a name"));
            }
        };
        if new.window.1 <= new.window.0 {
            return Err(invalid(format!(
                "环节结束时间 {} 必须晚于开始时间 {} / the step must end after it starts",
                new.window.1, new.window.0
            )));
        }
        let now = self.now();
        let step = Step {
            id: uuid::Uuid::now_v7().to_string(),
            checklist_row: row.map(|r| r.id.clone()),
            name,
            window: new.window,
            place: required(&new.place, "地点", "place")?,
            officers: officer_list(&new.officers, "执法人员", "officers")?,
            on_site: new.on_site,
            disputed: new.disputed,
        };
        let mut tx = self.db.begin().await?;
        let case = self.case(case).await?;
        crate::case_archive::ensure_not_archived(&case)?;
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::StepAdded,
                subject: Some(format!("case:{}", case.id)),
                details: json!({
                    "step": log_snapshot::value(&StepSnapshot::of(&step)),
                }),
            },
        )
        .await?;
        tx.insert_step(&case.id, &step, now).await?;
        tx.commit().await?;
        Ok(StepRow {
            case_id: case.id,
            step,
            created_at: now,
        })
    }
    }

    testing_pub! {
    /// Links (a person confirms) a record to a step. The record must exist.
    async fn link_record(
        &self,
        step_id: &str,
        record_id: &RecordId,
        actor: &str,
    ) -> Result<StepRecordRow, AppError> {
        let mut tx = self.db.begin().await?;
        let step = self.step(step_id).await?;
        crate::case_archive::ensure_not_archived(&self.case(&step.case_id).await?)?;
        let record = self.record(record_id).await?;
        let linked = self.db.step_records(&step.step.id).await?;
        if linked.iter().any(|l| l.record_id == *record_id) {
            return Err(invalid(format!(
                "记录 {record_id} 已关联到环节「{}」 / the record is already linked to this step",
                step.step.name
            )));
        }
        let now = self.now();
        let link = StepRecordRow {
            step_id: step.step.id.clone(),
            record_id: record.id.clone(),
            linked_at: now,
            linked_by: actor.to_owned(),
        };
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::RecordLinked,
                subject: Some(format!("case:{}", step.case_id)),
                details: log_snapshot::value(&LinkSnapshot {
                    step: step.step.id.clone(),
                    record: record.id.as_str().to_owned(),
                    sha256: record.sha256.to_hex(),
                }),
            },
        )
        .await?;
        tx.link_record(&link).await?;
        tx.commit().await?;
        // Retention follows the case (R3.5): its own entry once the link is committed.
        self.follow_retention(record_id, actor, "关联到案件")
            .await?;
        self.mirror_hold_on_link(record_id).await?;
        Ok(link)
    }
    }

    testing_pub! {
    /// Removes a link with a stated reason.
    async fn unlink_record(
        &self,
        step_id: &str,
        record_id: &RecordId,
        reason: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let reason = required(reason, "取消关联理由", "a reason")?;
        let mut tx = self.db.begin().await?;
        let step = self.step(step_id).await?;
        crate::case_archive::ensure_not_archived(&self.case(&step.case_id).await?)?;
        tx.append(
            self.now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::RecordUnlinked,
                subject: Some(format!("case:{}", step.case_id)),
                details: log_snapshot::value(&UnlinkSnapshot {
                    step: step.step.id.clone(),
                    record: record_id.as_str().to_owned(),
                    reason: reason.to_owned(),
                }),
            },
        )
        .await?;
        if !tx.unlink_record(&step.step.id, record_id).await? {
            return Err(invalid(format!(
                "记录 {record_id} 未关联到环节「{}」 / the record is not linked to this step",
                step.step.name
            )));
        }
        tx.commit().await?;
        Ok(())
    }
    }

    /// States why recording was interrupted before `explanation.resumed_record`, after
    /// checking it against the interruption the rules find there (R2.5).
    pub(crate) async fn explain_interruption(
        &self,
        step_id: &str,
        explanation: &Explanation,
        actor: &str,
    ) -> Result<ExplanationRow, AppError> {
        let mut tx = self.db.begin().await?;
        let step = self.step(step_id).await?;
        let case = self.case(&step.case_id).await?;
        crate::case_archive::ensure_not_archived(&case)?;
        // The reason as the list in force names it (code or Chinese label), stored by code.
        let cfg = self.compliance_config();
        let explanation = &Explanation {
            reason: cfg
                .lists
                .reason(explanation.reason.code())
                .map_err(|e| invalid(e.to_string()))?
                .reason(),
            ..explanation.clone()
        };
        let (recordings, explanations) = self.step_evidence(&step.step.id).await?;
        let verdict = compliance::evaluate_step(
            &self.config.checklist(),
            &case.flags,
            StepEvidence {
                step: &step.step,
                recordings: &recordings,
                explanations: &explanations,
            },
            &cfg,
        );
        let Some(interruption) = verdict
            .interruptions
            .iter()
            .find(|i| i.after == explanation.resumed_record)
        else {
            return Err(invalid(format!(
                "环节「{}」中没有在记录 {} 处恢复的中断 / no interruption of this step resumes in that record",
                step.step.name, explanation.resumed_record
            )));
        };
        interruption
            .accept(explanation, &cfg.lists)
            .map_err(|e| invalid(e.to_string()))?;
        let now = self.now();
        let row = ExplanationRow {
            step_id: step.step.id.clone(),
            explanation: explanation.clone(),
            explained_at: now,
            explained_by: actor.to_owned(),
        };
        tx.append(
            now,
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::InterruptionExplained,
                subject: Some(format!("case:{}", case.id)),
                details: json!({
                    "step": step.step.id,
                    "before": interruption.before.as_str(),
                    "resumed_record": explanation.resumed_record.as_str(),
                    "reason": explanation.reason.code(),
                    "text": explanation.text,
                    "spoken_at_offset_s": explanation.spoken_at_offset_s,
                }),
            },
        )
        .await?;
        tx.put_explanation(&row).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn step_evidence(
        &self,
        step_id: &str,
    ) -> Result<(Vec<LinkedRecording>, Vec<Explanation>), AppError> {
        let mut recordings = Vec::new();
        for link in self.db.step_records(step_id).await? {
            let record = self.record(&link.record_id).await?;
            recordings.push(linked_recording(
                &record,
                self.config.recording_source(&record),
            ));
        }
        let explanations = self
            .db
            .explanations(step_id)
            .await?
            .into_iter()
            .map(|e| e.explanation)
            .collect();
        Ok((recordings, explanations))
    }

    /// The compliance of every step of a case with the shipped checklist (R1.2, R1.3,
    /// R2.2, R2.5), each verdict explained in Chinese.
    pub async fn case_compliance(&self, case: &str) -> Result<CaseVerdict, AppError> {
        let case = self.case(case).await?;
        let steps = self.db.steps_of_case(&case.id).await?;
        let mut evidence = Vec::with_capacity(steps.len());
        for s in &steps {
            evidence.push(self.step_evidence(&s.step.id).await?);
        }
        let inputs: Vec<StepEvidence<'_>> = steps
            .iter()
            .zip(&evidence)
            .map(|(s, (recordings, explanations))| StepEvidence {
                step: &s.step,
                recordings,
                explanations,
            })
            .collect();
        Ok(compliance::evaluate_case(
            &self.config.checklist(),
            &case.flags,
            &inputs,
            &self.compliance_config(),
        ))
    }
}

/// The case as the API and the CLI show it: their view, not the log's
/// ([`crate::log_snapshot::CaseSnapshot`]), so it may change without changing the log.
pub fn case_json(c: &CaseRow) -> serde_json::Value {
    let flags: Vec<&str> = CaseFlag::ALL
        .into_iter()
        .filter(|f| f.get(&c.flags))
        .map(CaseFlag::code)
        .collect();
    json!({
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "category": c.category.code(),
        "agency": c.agency,
        "department": c.department,
        "status": c.status.code(),
        "flags": flags,
        "created_ms": c.created_at.as_millisecond(),
        "parties": c.parties.iter().map(|p| json!({
            "kind": p.kind,
            "name": p.name,
            "id_or_credit_code": p.id_or_credit_code,
        })).collect::<Vec<_>>(),
        "team": c.team,
        "team_ids": c.team_ids,
    })
}
