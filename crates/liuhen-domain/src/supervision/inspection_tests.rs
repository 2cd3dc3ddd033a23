use super::*;
use crate::compliance::{CaseVerdict, Finding, StepVerdict};

fn finding(level: Level, code: &'static str, msg: &str) -> Finding {
    Finding {
        level,
        rule: "R1.2",
        code,
        message_zh: msg.into(),
    }
}

fn verdict(step_findings: Vec<Finding>, case_findings: Vec<Finding>) -> CaseVerdict {
    CaseVerdict {
        level: Level::Ok,
        steps: vec![StepVerdict {
            step_id: "s1".into(),
            level: Level::Ok,
            full_process: true,
            interruptions: vec![],
            findings: step_findings,
        }],
        findings: case_findings,
    }
}

fn names() -> Vec<(String, String)> {
    vec![("s1".into(), "现场检查".into())]
}

fn verdicts(p: &[Prefill; 3]) -> [Verdict; 3] {
    [p[0].verdict, p[1].verdict, p[2].verdict]
}

use Verdict::{Fail, Pass};

/// One fixture per check that breaks only it; a clean case passes all three.
#[test]
fn each_check_prefilled_from_what_breaks_it() {
    let ok = finding(Level::Ok, codes::RECORDED, "已记录");
    let table: Vec<(&str, CaseVerdict, CustodyFacts, [Verdict; 3])> = vec![
        (
            "clean",
            verdict(vec![ok.clone()], vec![]),
            CustodyFacts::default(),
            [Pass, Pass, Pass],
        ),
        (
            "missing recording",
            verdict(
                vec![finding(
                    Level::Violation,
                    codes::MISSING_RECORDING,
                    "未记录",
                )],
                vec![],
            ),
            CustodyFacts::default(),
            [Fail, Pass, Pass],
        ),
        (
            "implied step missing (case level)",
            verdict(
                vec![ok.clone()],
                vec![finding(
                    Level::Violation,
                    codes::STEP_MISSING,
                    "缺少听证环节",
                )],
            ),
            CustodyFacts::default(),
            [Fail, Pass, Pass],
        ),
        (
            "unexplained interruption",
            verdict(
                vec![finding(
                    Level::Violation,
                    codes::UNEXPLAINED_INTERRUPTION,
                    "10:05–10:20 中断未说明",
                )],
                vec![],
            ),
            CustodyFacts::default(),
            [Pass, Fail, Pass],
        ),
        (
            "explained interruption passes",
            verdict(
                vec![finding(
                    Level::Ok,
                    codes::INTERRUPTION_EXPLAINED,
                    "10:05–10:20 设备故障",
                )],
                vec![],
            ),
            CustodyFacts::default(),
            [Pass, Pass, Pass],
        ),
        (
            "late storage",
            verdict(vec![ok.clone()], vec![]),
            CustodyFacts {
                late_records: vec!["rec-1（逾期 30 小时）".into()],
                ..CustodyFacts::default()
            },
            [Pass, Pass, Fail],
        ),
        (
            "misconduct signal",
            verdict(vec![ok.clone()], vec![]),
            CustodyFacts {
                signals: vec!["批量下载".into()],
                ..CustodyFacts::default()
            },
            [Pass, Pass, Fail],
        ),
        (
            "refused use",
            verdict(vec![ok], vec![]),
            CustodyFacts {
                refusals: vec!["删除原始文件被拒绝".into()],
                ..CustodyFacts::default()
            },
            [Pass, Pass, Fail],
        ),
    ];
    for (name, v, custody, expected) in table {
        let p = prefill(&v, &names(), &custody);
        assert_eq!(verdicts(&p), expected, "{name}");
        for (pre, exp) in p.iter().zip(expected) {
            // A failed check says why; an explained interruption is listed though it passes.
            let listed = exp == Fail
                || (name == "explained interruption passes" && pre.check == Check::Continuity);
            assert_eq!(!pre.basis.is_empty(), listed, "{name} {:?}", pre.check);
        }
    }
    let p = prefill(
        &verdict(
            vec![finding(
                Level::Violation,
                codes::MISSING_RECORDING,
                "未记录",
            )],
            vec![],
        ),
        &names(),
        &CustodyFacts::default(),
    );
    assert_eq!(p[0].basis, ["现场检查：未记录"]);
}

#[test]
fn settle_confirms_overrides_with_note_and_checks_findings() {
    let p = prefill(
        &verdict(
            vec![finding(
                Level::Violation,
                codes::MISSING_RECORDING,
                "未记录",
            )],
            vec![],
        ),
        &names(),
        &CustodyFacts::default(),
    );
    let finding = FindingSpec {
        check: Check::Steps,
        text: "现场检查未录像".into(),
        officers: vec!["张伟".into()],
    };
    let s = settle(&p, &[], std::slice::from_ref(&finding)).unwrap();
    assert_eq!(
        s.iter().map(|s| s.verdict).collect::<Vec<_>>(),
        [Fail, Pass, Pass]
    );
    assert!(s.iter().all(|s| !s.overridden));

    let flip = Answer {
        check: Check::Steps,
        verdict: Some(Pass),
        note: " ".into(),
    };
    assert_eq!(
        settle(&p, std::slice::from_ref(&flip), &[]),
        Err(SheetError::OverrideWithoutNote(Check::Steps.label_zh()))
    );
    let flip = Answer {
        note: "录像存于执法记录仪备用卡，已补录".into(),
        ..flip
    };
    let s = settle(&p, std::slice::from_ref(&flip), &[]).unwrap();
    assert!(s[0].overridden && s[0].verdict == Pass && s[0].prefill == Fail);
    assert_eq!(
        settle(&p, &[flip.clone(), flip], &[]),
        Err(SheetError::Repeated(Check::Steps.label_zh()))
    );
    let on_pass = FindingSpec {
        check: Check::Custody,
        ..finding.clone()
    };
    assert_eq!(
        settle(&p, &[], &[on_pass]),
        Err(SheetError::FindingOnPass(Check::Custody.label_zh()))
    );
    let nobody = FindingSpec {
        officers: vec![" ".into()],
        ..finding.clone()
    };
    assert_eq!(settle(&p, &[], &[nobody]), Err(SheetError::NoOfficer));
    let empty = FindingSpec {
        text: "".into(),
        ..finding
    };
    assert_eq!(settle(&p, &[], &[empty]), Err(SheetError::EmptyFinding));
}
