//! Regression tests of issue 17 on recording modes (R1.2, R2.1): the source of a recording
//! decides its mode, unreadable files never count, and a flag that implies a step the case
//! lacks is a finding. Expected answers are written out by hand from the seed.

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::case::{CaseFlags, LinkedRecording, RecordingMode, RecordingSource, Step};
use liuhen_domain::checklist::Checklist;
use liuhen_domain::compliance::{
    ComplianceConfig, Level, StepEvidence, codes, evaluate_case, evaluate_step,
};
use liuhen_domain::{MediaKind, RecordId};

fn t(s: i64) -> Timestamp {
    let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
    t0 + SignedDuration::from_secs(s)
}

fn recording(n: u32, kind: MediaKind, source: RecordingSource) -> Option<LinkedRecording> {
    Some(LinkedRecording {
        record_id: RecordId::parse(&format!("01900000-0000-7000-8000-{n:012x}")).unwrap(),
        kind,
        mode: source.mode_for(kind)?,
        officer: "张三".into(),
        device: "CAM-1".into(),
        start: t(0),
        end: t(1800),
    })
}

fn step(row: &str) -> Step {
    Step {
        id: "s1".into(),
        checklist_row: Some(row.into()),
        name: format!("环节{row}"),
        window: (t(0), t(1800)),
        place: "某公司".into(),
        officers: vec!["张三".into()],
        on_site: true,
        disputed: false,
    }
}

fn codes_of(findings: &[liuhen_domain::compliance::Finding]) -> Vec<(Level, &'static str)> {
    findings.iter().map(|f| (f.level, f.code)).collect()
}

#[test]
fn recording_source_decides_the_mode() {
    use MediaKind::{Audio, Other, Photo, Video};
    use RecordingMode as M;
    use RecordingSource::{AudioRecorder, BodyCamera, FixedSurveillance, HandheldCamera};
    // (source, kind, mode) written out from R2.1: surveillance video is 视频监控, camera
    // video 录像, photos 照相, audio 录音; unreadable content has no mode.
    let table = [
        (BodyCamera, Video, Some(M::Video)),
        (HandheldCamera, Video, Some(M::Video)),
        (FixedSurveillance, Video, Some(M::Surveillance)),
        (AudioRecorder, Audio, Some(M::Audio)),
        (BodyCamera, Photo, Some(M::Photo)),
        (FixedSurveillance, Photo, Some(M::Photo)),
        (BodyCamera, Audio, Some(M::Audio)),
        (BodyCamera, Other, None),
        (FixedSurveillance, Other, None),
        (AudioRecorder, Other, None),
    ];
    for (source, kind, mode) in table {
        assert_eq!(source.mode_for(kind), mode, "{source:?} {kind:?}");
    }
    for s in RecordingSource::ALL {
        assert_eq!(s.code().parse::<RecordingSource>(), Ok(s));
        assert_eq!(s.label_zh().parse::<RecordingSource>(), Ok(s));
    }
    assert!("卫星".parse::<RecordingSource>().is_err());
}

/// A bureau row whose only mode is 视频监控 could never be satisfied while the mode followed
/// the content alone.
#[test]
fn surveillance_only_row_is_satisfied_by_a_fixed_surveillance_recording() {
    let checklist = Checklist::parse(
        r#"[[row]]
id = "9.1"
category = "行政检查"
step = "窗口受理"
requirement = "全过程记录"
place = "办事大厅"
modes = ["视频监控"]
obligation = "mandatory"
"#,
    )
    .unwrap();
    let cfg = ComplianceConfig::default();
    let flags = CaseFlags::default();
    let s = step("9.1");
    let judge = |recs: &[LinkedRecording]| {
        let v = evaluate_step(
            &checklist,
            &flags,
            StepEvidence {
                step: &s,
                recordings: recs,
                explanations: &[],
            },
            &cfg,
        );
        codes_of(&v.findings)
    };
    let body = recording(1, MediaKind::Video, RecordingSource::BodyCamera).unwrap();
    assert_eq!(judge(&[body]), [(Level::Violation, codes::WRONG_MODE)]);
    let fixed = recording(2, MediaKind::Video, RecordingSource::FixedSurveillance).unwrap();
    assert_eq!(judge(&[fixed]), [(Level::Ok, codes::RECORDED)]);
}

/// Linking an unreadable or non-media file to a mandatory 录像或照相 step cleared the
/// violation: the file was taken for whatever mode the link declared.
#[test]
fn unreadable_file_never_satisfies_a_recording_obligation() {
    let checklist = Checklist::default_shipped();
    let cfg = ComplianceConfig::default();
    let flags = CaseFlags::default();
    let s = step("1.2");
    for mode in RecordingMode::ALL {
        let mut file = recording(7, MediaKind::Video, RecordingSource::BodyCamera).unwrap();
        file.kind = MediaKind::Other;
        file.mode = mode;
        assert!(!mode.accepts(MediaKind::Other));
        let v = evaluate_step(
            &checklist,
            &flags,
            StepEvidence {
                step: &s,
                recordings: std::slice::from_ref(&file),
                explanations: &[],
            },
            &cfg,
        );
        assert_eq!(v.level, Level::Violation, "{mode:?}");
        assert_eq!(
            codes_of(&v.findings),
            [
                (Level::Warning, codes::UNREADABLE_RECORDING),
                (Level::Violation, codes::MISSING_RECORDING)
            ]
        );
        // the verdict names the file
        assert!(
            v.findings[0]
                .message_zh
                .contains(&file.record_id.to_string()),
            "{}",
            v.findings[0].message_zh
        );
    }
}

/// A case flagged for a hearing with no hearing step had no finding at all.
#[test]
fn hearing_flag_without_hearing_step_is_step_missing() {
    let checklist = Checklist::default_shipped();
    let cfg = ComplianceConfig::default();
    let hearing = CaseFlags {
        hearing_held: true,
        ..CaseFlags::default()
    };
    let inspection = step("2.7");
    let only_inspection = [StepEvidence {
        step: &inspection,
        recordings: &[],
        explanations: &[],
    }];
    let v = evaluate_case(&checklist, &hearing, &only_inspection, &cfg);
    assert_eq!(
        codes_of(&v.findings),
        [(Level::Violation, codes::STEP_MISSING)]
    );
    assert_eq!(v.findings[0].rule, "R1.3");
    assert!(v.findings[0].message_zh.contains("听证程序"));
    assert_eq!(v.level, Level::Violation);
    assert_eq!(v.violations(), 1);
    // without the flag: no such finding
    let v = evaluate_case(&checklist, &CaseFlags::default(), &only_inspection, &cfg);
    assert!(v.findings.is_empty());
    // with a hearing step: the case-level finding goes (the step is judged on its own)
    let h = step("1.1");
    let v = evaluate_case(
        &checklist,
        &hearing,
        &[StepEvidence {
            step: &h,
            recordings: &[],
            explanations: &[],
        }],
        &cfg,
    );
    assert!(v.findings.is_empty());
    // the flag a row implies is data: an unknown flag code is refused when loading
    let err = Checklist::parse(
        r#"[[row]]
id = "1"
category = "通用"
step = "x"
requirement = "y"
place = "z"
modes = ["录像"]
obligation = "mandatory"
implied_by_flag = "party_cried"
"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("party_cried"), "{err}");
}
