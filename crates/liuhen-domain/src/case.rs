//! Cases and their enforcement steps (issue 4): plain types, plus the retention class a
//! case's flags imply (R2.10). Persistence, flag history and UI live elsewhere.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;

use crate::{MediaKind, RecordId};

/// 执法类别. The four categories of 附件1; parsed from the Chinese label or the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseCategory {
    /// 行政处罚
    Penalty,
    /// 行政许可
    Licensing,
    /// 行政强制
    Coercion,
    /// 行政检查
    Inspection,
}

impl CaseCategory {
    pub const ALL: [CaseCategory; 4] = [
        Self::Penalty,
        Self::Licensing,
        Self::Coercion,
        Self::Inspection,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Penalty => "penalty",
            Self::Licensing => "licensing",
            Self::Coercion => "coercion",
            Self::Inspection => "inspection",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Penalty => "行政处罚",
            Self::Licensing => "行政许可",
            Self::Coercion => "行政强制",
            Self::Inspection => "行政检查",
        }
    }
}

impl fmt::Display for CaseCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知的执法类别 {0:?}（应为 行政处罚、行政许可、行政强制 或 行政检查） / unknown case category"
)]
pub struct UnknownCaseCategory(pub String);

impl FromStr for CaseCategory {
    type Err = UnknownCaseCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.label_zh() == s || c.code() == s)
            .ok_or_else(|| UnknownCaseCategory(s.to_owned()))
    }
}

/// The flags of a case that change what the rules demand. Each is set and cleared with a
/// reason by the application (and logged); here they are plain facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFlags {
    /// 直接涉及重大事故隐患、重大违法行为 (R2.2): every on-site step needs full-process,
    /// uninterrupted recording.
    pub major_hazard_or_violation: bool,
    /// 可能引发争议 (R1.2): every "when disputed" step of the case becomes mandatory.
    pub disputed: bool,
    /// 适用听证程序 (R2.10: 10 years).
    pub hearing_held: bool,
    /// 行政强制执行 (R2.10: 10 years).
    pub enforced_execution: bool,
    /// 案件情况复杂、涉及多个法律关系 (R2.10: 30 years).
    pub complex_multiple_relationships: bool,
    /// 重大行政处罚 or 重大社会影响 (R2.10: permanent).
    pub major_penalty_or_social_impact: bool,
}

impl CaseFlags {
    /// The flag named by its stable code (the codes the application and the checklist's
    /// `implied_by_flag` use), `None` for an unknown code.
    pub fn by_code(&self, code: &str) -> Option<bool> {
        Some(match code {
            "major_hazard" => self.major_hazard_or_violation,
            "disputed" => self.disputed,
            "hearing" => self.hearing_held,
            "enforced_execution" => self.enforced_execution,
            "complex" => self.complex_multiple_relationships,
            "major_penalty" => self.major_penalty_or_social_impact,
            _ => return None,
        })
    }

    /// The Chinese name of a flag code, for messages.
    pub fn label_zh(code: &str) -> &str {
        match code {
            "major_hazard" => "重大事故隐患或重大违法行为",
            "disputed" => "可能引发争议",
            "hearing" => "适用听证程序",
            "enforced_execution" => "行政强制执行",
            "complex" => "案情复杂、涉及多个法律关系",
            "major_penalty" => "重大行政处罚或重大社会影响",
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    Open,
    Decided,
    Archived,
}

impl CaseStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Decided => "decided",
            Self::Archived => "archived",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Open => "办理中",
            Self::Decided => "已决定",
            Self::Archived => "已归档",
        }
    }
}

/// How a recording was made (记录方式). The checklist allows 录像 / 照相 / 视频监控; 录音
/// exists for recordings that are audio only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordingMode {
    /// 录像 (body camera or handheld video)
    Video,
    /// 照相
    Photo,
    /// 视频监控 (fixed surveillance)
    Surveillance,
    /// 录音
    Audio,
}

impl RecordingMode {
    pub const ALL: [RecordingMode; 4] = [Self::Video, Self::Photo, Self::Surveillance, Self::Audio];

    pub fn code(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Photo => "photo",
            Self::Surveillance => "surveillance",
            Self::Audio => "audio",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Video => "录像",
            Self::Photo => "照相",
            Self::Surveillance => "视频监控",
            Self::Audio => "录音",
        }
    }

    /// Whether a recording in this mode spans time (and so can cover a step window).
    pub fn is_continuous(self) -> bool {
        !matches!(self, Self::Photo)
    }

    /// Whether content of `kind` can be a recording in this mode. `Other` (content the
    /// prober could not read) is never a recording in any mode (R1.2).
    pub fn accepts(self, kind: MediaKind) -> bool {
        match (self, kind) {
            (_, MediaKind::Other) => false,
            (Self::Video | Self::Surveillance, k) => k == MediaKind::Video,
            (Self::Photo, k) => k == MediaKind::Photo,
            (Self::Audio, k) => k == MediaKind::Audio,
        }
    }
}

impl fmt::Display for RecordingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的记录方式 {0:?}（应为 录像、照相、视频监控 或 录音） / unknown recording mode")]
pub struct UnknownRecordingMode(pub String);

impl FromStr for RecordingMode {
    type Err = UnknownRecordingMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.label_zh() == s || m.code() == s)
            .ok_or_else(|| UnknownRecordingMode(s.to_owned()))
    }
}

/// Where a recording comes from (R2.1: recorders and surveillance): body camera, handheld
/// camera, fixed surveillance camera or audio recorder. Set per device in the configuration
/// (`[[devices]] source = …`); the recording mode follows from it and the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordingSource {
    /// 执法记录仪 (the default for a device the registry does not know)
    #[default]
    BodyCamera,
    /// 手持摄像机、照相机
    HandheldCamera,
    /// 固定视频监控
    FixedSurveillance,
    /// 录音设备
    AudioRecorder,
}

impl RecordingSource {
    pub const ALL: [RecordingSource; 4] = [
        Self::BodyCamera,
        Self::HandheldCamera,
        Self::FixedSurveillance,
        Self::AudioRecorder,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::BodyCamera => "body_camera",
            Self::HandheldCamera => "handheld_camera",
            Self::FixedSurveillance => "fixed_surveillance",
            Self::AudioRecorder => "audio_recorder",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::BodyCamera => "执法记录仪",
            Self::HandheldCamera => "手持摄像机",
            Self::FixedSurveillance => "固定视频监控",
            Self::AudioRecorder => "录音设备",
        }
    }

    /// The recording mode of content of `kind` from this source: video from a fixed
    /// surveillance camera is 视频监控, from a camera 录像; photos 照相; audio 录音. Content
    /// the prober could not read has no mode (`None`): it never satisfies a checklist row.
    pub fn mode_for(self, kind: MediaKind) -> Option<RecordingMode> {
        match (self, kind) {
            (_, MediaKind::Other) => None,
            (Self::FixedSurveillance, MediaKind::Video) => Some(RecordingMode::Surveillance),
            (_, MediaKind::Video) => Some(RecordingMode::Video),
            (_, MediaKind::Photo) => Some(RecordingMode::Photo),
            (_, MediaKind::Audio) => Some(RecordingMode::Audio),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知的记录来源 {0:?}（应为 body_camera、handheld_camera、fixed_surveillance 或 audio_recorder） / unknown recording source {0:?}"
)]
pub struct UnknownRecordingSource(pub String);

impl FromStr for RecordingSource {
    type Err = UnknownRecordingSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.code() == s || m.label_zh() == s)
            .ok_or_else(|| UnknownRecordingSource(s.to_owned()))
    }
}

/// One enforcement step (执法环节) of a case: from the checklist (`checklist_row`) or free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    /// Id of the checklist row this step instantiates ("1.1" … "2.7"), `None` for a free step.
    pub checklist_row: Option<String>,
    pub name: String,
    /// Start and end of the step (half-open: `[start, end)`).
    pub window: (Timestamp, Timestamp),
    pub place: String,
    pub officers: Vec<String>,
    /// Took place on site (现场执法活动), which matters for R2.2.
    pub on_site: bool,
    /// This step (rather than the whole case) may cause a dispute (R1.2).
    pub disputed: bool,
}

/// A record linked (and confirmed) to a step, with what compliance needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedRecording {
    pub record_id: RecordId,
    pub kind: MediaKind,
    pub mode: RecordingMode,
    pub officer: String,
    pub device: String,
    /// Capture start; for a photo `start == end`.
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Why a full-process recording was interrupted (R2.5): the code of an entry of the
/// configured list ([`crate::lists::Lists`], shipped with the reasons of A2.7). Stored as
/// that code (database column, log details), so a stored value reads back unchanged even
/// when a bureau's list renames it; input is checked against the list in force.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InterruptionReason(String);

impl InterruptionReason {
    /// The reason with this code (as stored, or after the list resolved an input).
    pub fn from_code(code: &str) -> Self {
        Self(code.trim().to_owned())
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的中断原因 {0:?} / unknown interruption reason")]
pub struct UnknownInterruptionReason(pub String);

/// The stated reason of one interruption (R2.5). It is attached to the recording in which
/// recording resumed, and says where in that recording the reason is spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The recording that resumed after the gap (the NEXT recording).
    pub resumed_record: RecordId,
    pub reason: InterruptionReason,
    /// Free text; required when the reason's entry says `note_required` ("other").
    pub text: String,
    /// Seconds from the start of the resumed recording to the spoken explanation.
    pub spoken_at_offset_s: u32,
}

/// 保管期限 class of a case file and so of its records (R2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetentionClass {
    /// 其他案件档案
    Ordinary,
    /// 适用听证程序 / 行政强制执行
    HearingOrEnforcedExecution,
    /// 案件情况复杂、涉及多个法律关系
    Complex,
    /// 重大行政处罚 / 重大社会影响: 永久
    Permanent,
}

impl RetentionClass {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::HearingOrEnforcedExecution => "hearing_or_enforced_execution",
            Self::Complex => "complex",
            Self::Permanent => "permanent",
        }
    }
}

/// The periods of R2.10 as data (a bureau may load its own); `None` means permanent.
/// `Permanent` is always kept forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPeriods {
    pub complex_years: Option<u16>,
    pub hearing_or_enforced_execution_years: Option<u16>,
    pub ordinary_years: Option<u16>,
}

impl Default for RetentionPeriods {
    fn default() -> Self {
        Self {
            complex_years: Some(30),
            hearing_or_enforced_execution_years: Some(10),
            ordinary_years: Some(5),
        }
    }
}

impl RetentionPeriods {
    /// Years to keep a case file of `class`; `None` = permanent (永久).
    pub fn years(&self, class: RetentionClass) -> Option<u16> {
        match class {
            RetentionClass::Permanent => None,
            RetentionClass::Complex => self.complex_years,
            RetentionClass::HearingOrEnforcedExecution => self.hearing_or_enforced_execution_years,
            RetentionClass::Ordinary => self.ordinary_years,
        }
    }
}

/// The retention class the flags imply; when several apply the longest wins (R2.10).
pub fn retention_class(flags: &CaseFlags) -> RetentionClass {
    if flags.major_penalty_or_social_impact {
        RetentionClass::Permanent
    } else if flags.complex_multiple_relationships {
        RetentionClass::Complex
    } else if flags.hearing_held || flags.enforced_execution {
        RetentionClass::HearingOrEnforcedExecution
    } else {
        RetentionClass::Ordinary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_table() {
        let f = CaseFlags::default;
        let p = RetentionPeriods::default();
        // (flags, class, years)
        let cases: &[(CaseFlags, RetentionClass, Option<u16>)] = &[
            (f(), RetentionClass::Ordinary, Some(5)),
            (
                CaseFlags {
                    disputed: true,
                    major_hazard_or_violation: true,
                    ..f()
                },
                RetentionClass::Ordinary,
                Some(5),
            ),
            (
                CaseFlags {
                    hearing_held: true,
                    ..f()
                },
                RetentionClass::HearingOrEnforcedExecution,
                Some(10),
            ),
            (
                CaseFlags {
                    enforced_execution: true,
                    ..f()
                },
                RetentionClass::HearingOrEnforcedExecution,
                Some(10),
            ),
            (
                CaseFlags {
                    complex_multiple_relationships: true,
                    hearing_held: true,
                    ..f()
                },
                RetentionClass::Complex,
                Some(30),
            ),
            (
                CaseFlags {
                    major_penalty_or_social_impact: true,
                    complex_multiple_relationships: true,
                    enforced_execution: true,
                    ..f()
                },
                RetentionClass::Permanent,
                None,
            ),
        ];
        for (flags, class, years) in cases {
            assert_eq!(retention_class(flags), *class, "{flags:?}");
            assert_eq!(p.years(*class), *years, "{class:?}");
        }
        let longer = RetentionPeriods {
            ordinary_years: Some(8),
            ..p
        };
        assert_eq!(longer.years(RetentionClass::Ordinary), Some(8));
    }

    #[test]
    fn labels_round_trip() {
        for c in CaseCategory::ALL {
            assert_eq!(c.label_zh().parse::<CaseCategory>(), Ok(c));
            assert_eq!(c.code().parse::<CaseCategory>(), Ok(c));
        }
        for m in RecordingMode::ALL {
            assert_eq!(m.label_zh().parse::<RecordingMode>(), Ok(m));
            assert_eq!(m.code().parse::<RecordingMode>(), Ok(m));
        }
        assert!("行政征收".parse::<CaseCategory>().is_err());
        assert!("录像或照相".parse::<RecordingMode>().is_err());
    }

    #[test]
    fn mode_accepts_kind() {
        use MediaKind::*;
        assert!(RecordingMode::Video.accepts(Video));
        assert!(RecordingMode::Surveillance.accepts(Video));
        assert!(!RecordingMode::Video.accepts(Photo));
        assert!(!RecordingMode::Photo.accepts(Video));
        assert!(RecordingMode::Photo.accepts(Photo));
        assert!(RecordingMode::Audio.accepts(Audio));
        assert!(!RecordingMode::Video.accepts(Audio));
        assert!(!RecordingMode::Video.accepts(Other));
        assert!(!RecordingMode::Surveillance.accepts(Other));
    }
}
