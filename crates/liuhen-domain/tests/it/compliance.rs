//! Compliance of steps with the default checklist (R1.2, R1.3), full process (R2.2) and
//! continuity (R2.5), through the public API only.

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::case::{
    CaseFlags, Explanation, InterruptionReason, LinkedRecording, RecordingMode, Step,
};
use liuhen_domain::checklist::Checklist;
use liuhen_domain::compliance::{
    CaseVerdict, ComplianceConfig, ExplanationError, Level, StepEvidence, StepVerdict, codes,
    evaluate_case, evaluate_step,
};
use liuhen_domain::lists::Lists;
use liuhen_domain::{MediaKind, RecordId};

use RecordingMode::{Audio, Photo, Surveillance, Video};

/// Seconds after 2026-03-02 10:00 (+08).
fn t(s: i64) -> Timestamp {
    let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
    t0 + SignedDuration::from_secs(s)
}

fn rid(n: u32) -> RecordId {
    RecordId::parse(&format!("01900000-0000-7000-8000-{n:012x}")).unwrap()
}

fn rec_by(
    n: u32,
    mode: RecordingMode,
    officer: &str,
    device: &str,
    s: i64,
    e: i64,
) -> LinkedRecording {
    let kind = match mode {
        Video | Surveillance => MediaKind::Video,
        Photo => MediaKind::Photo,
        Audio => MediaKind::Audio,
    };
    LinkedRecording {
        record_id: rid(n),
        kind,
        mode,
        officer: officer.into(),
        device: device.into(),
        start: t(s),
        end: t(e),
    }
}

fn rec(n: u32, mode: RecordingMode, s: i64, e: i64) -> LinkedRecording {
    rec_by(n, mode, "张三", "DSJ-01", s, e)
}

/// A step of 30 minutes, on site.
fn step(row: Option<&str>, disputed: bool) -> Step {
    Step {
        id: "s1".into(),
        checklist_row: row.map(str::to_owned),
        name: row.map_or("现场执法".into(), |r| format!("环节{r}")),
        window: (t(0), t(1800)),
        place: "某公司厂区".into(),
        officers: vec!["张三".into(), "李四".into()],
        on_site: true,
        disputed,
    }
}

fn judge(
    flags: CaseFlags,
    step: &Step,
    recs: &[LinkedRecording],
    ex: &[Explanation],
) -> StepVerdict {
    judge_with(flags, step, recs, ex, &ComplianceConfig::default())
}

fn judge_with(
    flags: CaseFlags,
    step: &Step,
    recs: &[LinkedRecording],
    ex: &[Explanation],
    cfg: &ComplianceConfig,
) -> StepVerdict {
    let ev = StepEvidence {
        step,
        recordings: recs,
        explanations: ex,
    };
    evaluate_step(&Checklist::default_shipped(), &flags, ev, cfg)
}

fn codes_at(v: &StepVerdict, level: Level) -> Vec<&'static str> {
    v.findings
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.code)
        .collect()
}

/// The default rows as the seed states them, written out here independently of the data
/// file: (id, mandatory?, allowed modes).
const ROWS: [(&str, bool, &[RecordingMode]); 12] = [
    ("1.1", true, &[Video, Surveillance]),
    ("1.2", true, &[Video, Photo]),
    ("1.3", true, &[Video, Photo]),
    ("1.4", true, &[Video, Photo]),
    ("1.5", true, &[Video, Photo]),
    ("2.1", false, &[Video, Photo]),
    ("2.2", false, &[Video, Photo]),
    ("2.3", false, &[Video, Photo]),
    ("2.4", false, &[Video, Photo]),
    ("2.5", false, &[Video, Photo]),
    ("2.6", false, &[Video, Photo]),
    ("2.7", false, &[Video, Photo]),
];

#[derive(Debug, Clone, Copy)]
enum Dispute {
    None,
    Case,
    Step,
}

#[test]
fn every_default_row_is_satisfied_and_violated() {
    let checklist = Checklist::default_shipped();
    assert_eq!(checklist.len(), ROWS.len());
    let mut checked = 0;
    for (id, mandatory, allowed) in ROWS {
        let row = checklist.row(id).unwrap();
        for dispute in [Dispute::None, Dispute::Case, Dispute::Step] {
            let flags = CaseFlags {
                disputed: matches!(dispute, Dispute::Case),
                ..CaseFlags::default()
            };
            let s = step(Some(id), matches!(dispute, Dispute::Step));
            let ctx = format!("row {id}, dispute {dispute:?}");

            // Satisfied: each allowed mode on its own ("or").
            for &mode in allowed {
                let r = if mode.is_continuous() {
                    rec(1, mode, 0, 1800)
                } else {
                    rec(1, mode, 600, 600)
                };
                let v = judge(flags, &s, &[r], &[]);
                assert_eq!(v.level, Level::Ok, "{ctx}, {mode:?}: {:#?}", v.findings);
                assert!(codes_at(&v, Level::Ok).contains(&codes::RECORDED), "{ctx}");
                checked += 1;
            }

            // Violated (or a warning while a "when disputed" row is not disputed).
            let required = mandatory || !matches!(dispute, Dispute::None);
            let expected = if required {
                Level::Violation
            } else {
                Level::Warning
            };
            let wrong: Vec<RecordingMode> = [Video, Photo, Surveillance, Audio]
                .into_iter()
                .filter(|m| !allowed.contains(m))
                .collect();
            let cases: Vec<(Vec<LinkedRecording>, &str)> =
                std::iter::once((vec![], codes::MISSING_RECORDING))
                    .chain(wrong.iter().map(|&m| {
                        let r = if m.is_continuous() {
                            rec(2, m, 0, 1800)
                        } else {
                            rec(2, m, 60, 60)
                        };
                        (vec![r], codes::WRONG_MODE)
                    }))
                    .collect();
            for (recs, code) in cases {
                let v = judge(flags, &s, &recs, &[]);
                assert_eq!(v.level, expected, "{ctx}, {code}: {:#?}", v.findings);
                let f = v
                    .findings
                    .iter()
                    .find(|f| f.code == code)
                    .unwrap_or_else(|| panic!("{ctx}: no {code}"));
                assert_eq!(f.level, expected, "{ctx}");
                assert_eq!(
                    f.rule,
                    if row.full_process { "R1.3" } else { "R1.2" },
                    "{ctx}"
                );
                assert!(
                    f.message_zh.contains(&format!("清单 {id}")),
                    "{}",
                    f.message_zh
                );
                assert!(
                    f.message_zh.contains(&row.modes_label()),
                    "{}",
                    f.message_zh
                );
                if !required {
                    assert!(
                        f.message_zh.contains("尚未标记为可能引发争议"),
                        "{}",
                        f.message_zh
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 12 * 3 * 3, "{checked}");
}

#[test]
fn hearing_must_be_covered_in_full() {
    let s = step(Some("1.1"), false);
    let f = CaseFlags::default();
    // a photo does not satisfy a video requirement
    let v = judge(f, &s, &[rec(1, Photo, 60, 60)], &[]);
    assert_eq!(v.level, Level::Violation);
    assert!(v.full_process);
    assert_eq!(
        codes_at(&v, Level::Violation),
        [codes::WRONG_MODE, codes::NO_CONTINUOUS_RECORDING]
    );
    // surveillance alone is enough ("or")
    let v = judge(
        f,
        &s,
        &[rec_by(1, Surveillance, "听证室", "CAM-3", -30, 1830)],
        &[],
    );
    assert_eq!(v.level, Level::Ok, "{:#?}", v.findings);
    // first ten minutes and the last minute not recorded
    let v = judge(f, &s, &[rec(1, Video, 600, 1740)], &[]);
    assert_eq!(v.level, Level::Violation);
    let holes: Vec<&str> = v
        .findings
        .iter()
        .filter(|f| f.code == codes::NOT_COVERED_IN_FULL)
        .map(|f| f.message_zh.as_str())
        .collect();
    assert_eq!(holes.len(), 2, "{holes:?}");
    assert!(
        holes[0].contains("环节开始后 00:00:00 至 00:10:00（600 秒）没有录像或视频监控记录"),
        "{}",
        holes[0]
    );
    assert!(
        holes[1].contains("00:29:00 至 00:30:00（60 秒）"),
        "{}",
        holes[1]
    );
    // slack at the edges within the tolerance
    let v = judge(f, &s, &[rec(1, Video, 3, 1797)], &[]);
    assert_eq!(v.level, Level::Ok, "{:#?}", v.findings);
}

fn hearing_with_gap(gap_s: i64) -> (Step, Vec<LinkedRecording>) {
    // two body-camera files, then a third after `gap_s` seconds
    let recs = vec![
        rec(1, Video, 0, 600),
        rec(2, Video, 602, 1200),
        rec(3, Video, 1200 + gap_s, 1800),
    ];
    (step(Some("1.1"), false), recs)
}

#[test]
fn continuity_splits_within_tolerance_pass() {
    let (s, recs) = hearing_with_gap(5);
    let v = judge(CaseFlags::default(), &s, &recs, &[]);
    assert_eq!(v.level, Level::Ok, "{:#?}", v.findings);
    assert!(v.interruptions.is_empty());
    assert!(codes_at(&v, Level::Ok).contains(&codes::COVERED_IN_FULL));
    // overlapping files are no gap either
    let recs = [rec(1, Video, 0, 900), rec(2, Video, 890, 1800)];
    assert_eq!(judge(CaseFlags::default(), &s, &recs, &[]).level, Level::Ok);
}

#[test]
fn continuity_gap_fails_until_explained() {
    let (s, recs) = hearing_with_gap(60);
    let f = CaseFlags::default();
    let v = judge(f, &s, &recs, &[]);
    assert_eq!(v.level, Level::Violation);
    assert_eq!(
        codes_at(&v, Level::Violation),
        [codes::UNEXPLAINED_INTERRUPTION],
        "coverage does not report the same gap twice"
    );
    assert_eq!(v.interruptions.len(), 1);
    let gap = &v.interruptions[0];
    assert_eq!((gap.before.clone(), gap.after.clone()), (rid(2), rid(3)));
    assert_eq!(gap.gap(), SignedDuration::from_secs(60));
    let msg = &v
        .findings
        .iter()
        .find(|f| f.code == codes::UNEXPLAINED_INTERRUPTION)
        .unwrap()
        .message_zh;
    assert!(
        msg.starts_with("环节「环节1.1」（清单 1.1 行政处罚·听证程序）：执法人员 张三 的设备 DSJ-01 在环节开始后 00:20:00 至 00:21:00 中断记录 60 秒，未说明中断原因"),
        "{msg}"
    );

    let explanation = Explanation {
        resumed_record: rid(3),
        reason: InterruptionReason::from_code("battery"),
        text: String::new(),
        spoken_at_offset_s: 4,
    };
    assert_eq!(gap.accept(&explanation, &Lists::shipped()), Ok(()));
    let v = judge(f, &s, &recs, std::slice::from_ref(&explanation));
    assert_eq!(v.level, Level::Ok, "{:#?}", v.findings);
    let ok = v
        .findings
        .iter()
        .find(|f| f.code == codes::INTERRUPTION_EXPLAINED)
        .unwrap();
    assert!(
        ok.message_zh.contains("原因“电量不足”"),
        "{}",
        ok.message_zh
    );
    assert_eq!(
        CaseVerdict {
            level: v.level,
            steps: vec![v],
            findings: vec![],
        }
        .unexplained_interruptions(),
        0
    );

    // the last second of the next recording still counts
    let at_end = Explanation {
        spoken_at_offset_s: 540,
        ..explanation
    };
    assert_eq!(gap.accept(&at_end, &Lists::shipped()), Ok(()));
}

#[test]
fn continuity_explanation_outside_next_recording_is_refused() {
    let (s, recs) = hearing_with_gap(60);
    let f = CaseFlags::default();
    let gap = judge(f, &s, &recs, &[]).interruptions.remove(0);
    // the resumed recording (#3) is 540 s long
    let outside = Explanation {
        resumed_record: rid(3),
        reason: InterruptionReason::from_code("device_fault"),
        text: "设备死机".into(),
        spoken_at_offset_s: 541,
    };
    let err = gap.accept(&outside, &Lists::shipped()).unwrap_err();
    assert_eq!(
        err,
        ExplanationError::OutsideNextRecording {
            offset_s: 541,
            duration_s: 540
        }
    );
    assert!(
        err.to_string().contains("不在中断后的下一段记录内"),
        "{err}"
    );
    let v = judge(f, &s, &recs, std::slice::from_ref(&outside));
    assert_eq!(v.level, Level::Violation);
    assert_eq!(codes_at(&v, Level::Violation), [codes::EXPLANATION_REFUSED]);
    assert_eq!(
        CaseVerdict {
            level: v.level,
            steps: vec![v],
            findings: vec![],
        }
        .unexplained_interruptions(),
        1
    );

    // attached to the recording before the gap: refused, and the gap stays unexplained
    let wrong = Explanation {
        resumed_record: rid(2),
        spoken_at_offset_s: 3,
        ..outside.clone()
    };
    assert!(matches!(
        gap.accept(&wrong, &Lists::shipped()),
        Err(ExplanationError::WrongRecording { .. })
    ));
    let v = judge(f, &s, &recs, &[wrong]);
    assert_eq!(
        codes_at(&v, Level::Violation),
        [codes::UNEXPLAINED_INTERRUPTION]
    );

    // "other" needs its text
    let other = Explanation {
        reason: InterruptionReason::from_code("other"),
        text: " ".into(),
        spoken_at_offset_s: 3,
        ..outside
    };
    assert_eq!(
        gap.accept(&other, &Lists::shipped()),
        Err(ExplanationError::MissingText)
    );
}

#[test]
fn continuity_tolerance_is_configuration() {
    let (s, recs) = hearing_with_gap(8);
    let f = CaseFlags::default();
    assert_eq!(judge(f, &s, &recs, &[]).level, Level::Violation);
    let lenient = ComplianceConfig {
        gap_tolerance: SignedDuration::from_secs(10),
        ..ComplianceConfig::default()
    };
    assert_eq!(judge_with(f, &s, &recs, &[], &lenient).level, Level::Ok);
}

#[test]
fn continuity_is_per_officer_device() {
    let s = step(Some("1.1"), false);
    let f = CaseFlags::default();
    // A hands over to B with a minute between: no device interrupted, but the step has a hole
    let recs = [
        rec_by(1, Video, "张三", "DSJ-01", 0, 900),
        rec_by(2, Video, "李四", "DSJ-02", 960, 1800),
    ];
    let v = judge(f, &s, &recs, &[]);
    assert!(v.interruptions.is_empty());
    assert_eq!(codes_at(&v, Level::Violation), [codes::NOT_COVERED_IN_FULL]);
    // A's camera stops for a minute while B's keeps running: A's gap still needs its reason
    let recs = [
        rec_by(1, Video, "张三", "DSJ-01", 0, 900),
        rec_by(2, Video, "张三", "DSJ-01", 960, 1800),
        rec_by(3, Video, "李四", "DSJ-02", 0, 1800),
    ];
    let v = judge(f, &s, &recs, &[]);
    assert_eq!(
        codes_at(&v, Level::Violation),
        [codes::UNEXPLAINED_INTERRUPTION]
    );
    // a photo taken during the gap does not cover it
    let recs = [
        rec(1, Video, 0, 900),
        rec_by(2, Photo, "李四", "CAM", 930, 930),
        rec_by(3, Video, "李四", "DSJ-02", 960, 1800),
    ];
    assert_eq!(
        codes_at(&judge(f, &s, &recs, &[]), Level::Violation),
        [codes::NOT_COVERED_IN_FULL]
    );
}

#[test]
fn major_hazard_on_site_steps_need_full_process() {
    let hazard = CaseFlags {
        major_hazard_or_violation: true,
        ..CaseFlags::default()
    };
    // a free on-site step, photos only
    let free = step(None, false);
    let v = judge(hazard, &free, &[rec(1, Photo, 60, 60)], &[]);
    assert_eq!(v.level, Level::Violation);
    let f = v
        .findings
        .iter()
        .find(|f| f.code == codes::NO_CONTINUOUS_RECORDING)
        .unwrap();
    assert_eq!(f.rule, "R2.2");
    assert!(
        f.message_zh.contains("重大事故隐患、重大违法行为"),
        "{}",
        f.message_zh
    );
    // covered by video with a camera split: fine
    let recs = [rec(1, Video, 0, 900), rec(2, Video, 902, 1800)];
    assert_eq!(judge(hazard, &free, &recs, &[]).level, Level::Ok);
    // a checklist row that a photo satisfies still needs full process on site (R2.2)
    let inspection = step(Some("2.7"), false);
    let v = judge(hazard, &inspection, &[rec(1, Photo, 60, 60)], &[]);
    assert_eq!(codes_at(&v, Level::Ok), [codes::RECORDED]);
    assert_eq!(
        codes_at(&v, Level::Violation),
        [codes::NO_CONTINUOUS_RECORDING]
    );
    // without the flag, or off site, the photo is enough
    assert_eq!(
        judge(
            CaseFlags::default(),
            &inspection,
            &[rec(1, Photo, 60, 60)],
            &[]
        )
        .level,
        Level::Ok
    );
    let off_site = Step {
        on_site: false,
        ..inspection
    };
    let v = judge(hazard, &off_site, &[rec(1, Photo, 60, 60)], &[]);
    assert_eq!(v.level, Level::Ok);
    assert!(!v.full_process);
    // a free off-site step has no requirement at all
    let v = judge(
        hazard,
        &Step {
            on_site: false,
            ..free
        },
        &[],
        &[],
    );
    assert_eq!(codes_at(&v, Level::Ok), [codes::NOT_REQUIRED]);
}

#[test]
fn records_that_cannot_count_are_named() {
    let s = step(Some("1.2"), false);
    let f = CaseFlags::default();
    // labelled video, but the content is a photo
    let mut r = rec(1, Video, 0, 1800);
    r.kind = MediaKind::Photo;
    let v = judge(f, &s, &[r], &[]);
    assert_eq!(codes_at(&v, Level::Warning), [codes::MODE_KIND_MISMATCH]);
    assert_eq!(codes_at(&v, Level::Violation), [codes::MISSING_RECORDING]);
    // end before start
    let v = judge(f, &s, &[rec(1, Video, 100, 50)], &[]);
    assert_eq!(codes_at(&v, Level::Warning), [codes::INVALID_RECORDING]);
    // a step pointing at a row the checklist does not have
    let v = judge(f, &step(Some("3.1"), false), &[], &[]);
    assert_eq!(
        (v.level, codes_at(&v, Level::Warning)),
        (Level::Warning, vec![codes::UNKNOWN_CHECKLIST_ROW])
    );
}

#[test]
fn case_verdict_clears_when_a_covering_recording_is_linked() {
    let checklist = Checklist::default_shipped();
    let flags = CaseFlags {
        hearing_held: true,
        ..CaseFlags::default()
    };
    let cfg = ComplianceConfig::default();
    let hearing = step(Some("1.1"), false);
    let mut questioning = step(Some("2.1"), false);
    questioning.id = "s2".into();
    let photo = [rec(9, Photo, 60, 60)];
    let before = evaluate_case(
        &checklist,
        &flags,
        &[
            StepEvidence {
                step: &hearing,
                recordings: &[],
                explanations: &[],
            },
            StepEvidence {
                step: &questioning,
                recordings: &[],
                explanations: &[],
            },
        ],
        &cfg,
    );
    assert_eq!(before.level, Level::Violation);
    assert_eq!((before.violations(), before.warnings()), (2, 1));
    assert_eq!(before.steps[1].level, Level::Warning);
    let video = [rec(1, Video, 0, 1800)];
    let after = evaluate_case(
        &checklist,
        &flags,
        &[
            StepEvidence {
                step: &hearing,
                recordings: &video,
                explanations: &[],
            },
            StepEvidence {
                step: &questioning,
                recordings: &photo,
                explanations: &[],
            },
        ],
        &cfg,
    );
    assert_eq!(after.level, Level::Ok, "{:#?}", after.steps);
    assert_eq!((after.violations(), after.warnings()), (0, 0));
}
