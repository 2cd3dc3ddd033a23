//! Supervision (issue 20) on both backends: a plan's draw per unit, the three checks of
//! 第十六条 pre-filled on fixture cases that break each one, sheets with findings,
//! consequences, the officer's record, and the annual assessment against a brute-force
//! count over the same fixtures.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::cases::{NewCase, NewStep};
use liuhen_app::consequences::ConsequenceSpec;
use liuhen_app::draws::SeedPlan;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::{AppError, Custody};
use liuhen_domain::case::{CaseCategory, CaseFlags};
use liuhen_domain::compliance::Level;
use liuhen_domain::draw::Method;
use liuhen_domain::supervision::Plan;
use liuhen_domain::supervision::inspection::{Answer, Check, FindingSpec, Verdict};
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{for_each_backend, user};

/// A minimal MP4 (ftyp, moov/mvhd, one video track) starting at `start` and lasting
/// `secs`: the builtin parser reads capture start and duration from `mvhd`.
fn mp4(start: Timestamp, secs: u32) -> Vec<u8> {
    fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }
    let mac = (start.as_second() + 2_082_844_800) as u32;
    let mut mvhd = vec![0u8; 4];
    mvhd.extend(mac.to_be_bytes());
    mvhd.extend(mac.to_be_bytes());
    mvhd.extend(1000u32.to_be_bytes());
    mvhd.extend((secs * 1000).to_be_bytes());
    mvhd.extend(0x0001_0000u32.to_be_bytes());
    mvhd.extend(0x0100u16.to_be_bytes());
    mvhd.extend([0u8; 10]);
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend(m.to_be_bytes());
    }
    mvhd.extend([0u8; 24]);
    mvhd.extend(2u32.to_be_bytes());
    let mut hdlr = vec![0u8; 8];
    hdlr.extend(b"vide");
    hdlr.extend([0u8; 13]);
    let trak = bx(b"trak", &bx(b"mdia", &bx(b"hdlr", &hdlr)));
    let mut moov = bx(b"mvhd", &mvhd);
    moov.extend(trak);
    let mut file = bx(b"ftyp", b"isom\0\0\0\0isommp41");
    file.extend(bx(b"moov", &moov));
    file
}

async fn ingest(c: &Custody, dir: &Path, officer: &str, start: Timestamp, secs: u32) -> RecordId {
    let path = dir.join(format!("{}.mp4", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, mp4(start, secs)).unwrap();
    let opts = IngestOptions {
        actor: "keeper".into(),
        classification: Classification {
            agency: Some("甲局".into()),
            officer: Some(officer.into()),
            device: Some("DSJ-01".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[path], &opts, Arc::new(NoProgress)).await;
    let id = summary.reports[0].record_id.clone().expect("ingested");
    RecordId::parse(&id).unwrap()
}

async fn case(c: &Custody, unit: &str, number: &str, officer: &str) -> String {
    case_with(c, unit, number, officer, CaseFlags::default()).await
}

async fn case_with(
    c: &Custody,
    unit: &str,
    number: &str,
    officer: &str,
    flags: CaseFlags,
) -> String {
    c.create_case(
        &NewCase {
            number: number.into(),
            name: format!("案件 {number}"),
            category: CaseCategory::Penalty,
            agency: unit.into(),
            department: "执法一科".into(),
            parties: vec![],
            team: vec![officer.into()],
            flags,
        },
        "keeper",
    )
    .await
    .unwrap()
    .id
}

/// A 留置送达 step (1.2, mandatory) of ten minutes from `t0`, with these recordings linked.
async fn step(c: &Custody, case: &str, officer: &str, t0: Timestamp, records: &[RecordId]) {
    let st = c
        .add_step(
            case,
            &NewStep {
                checklist_row: Some("1.2".into()),
                name: None,
                window: (t0, t0 + SignedDuration::from_mins(10)),
                place: "某公司".into(),
                officers: vec![officer.into()],
                on_site: true,
                disputed: false,
            },
            "keeper",
        )
        .await
        .unwrap();
    for r in records {
        c.link_record(&st.step.id, r, "keeper").await.unwrap();
    }
}

struct Fixture {
    /// (number, case id)
    cases: Vec<(&'static str, String)>,
    /// (officer, late) of every record ingested.
    records: Vec<(&'static str, bool)>,
}

/// 甲局: K1 clean, K2 missing its recording, K3 interrupted, K4 stored three days late;
/// 乙局: three cases without steps.
async fn fixture(c: &Custody, dir: &Path) -> Fixture {
    let now = c.now();
    let t0 = now - SignedDuration::from_hours(2);
    let mut cases = Vec::new();
    let mut records = Vec::new();

    let k1 = case(c, "甲局", "甲罚〔2026〕1号", "张伟").await;
    let r = ingest(c, dir, "张伟", t0 - SignedDuration::from_mins(1), 12 * 60).await;
    step(c, &k1, "张伟", t0, &[r]).await;
    records.push(("张伟", false));
    cases.push(("甲罚〔2026〕1号", k1));

    let k2 = case(c, "甲局", "甲罚〔2026〕2号", "李娜").await;
    step(c, &k2, "李娜", t0, &[]).await;
    cases.push(("甲罚〔2026〕2号", k2));

    // A major hazard: the on-site step must be recorded in full (R2.2), so a gap counts.
    let hazard = CaseFlags {
        major_hazard_or_violation: true,
        ..CaseFlags::default()
    };
    let k3 = case_with(c, "甲局", "甲罚〔2026〕3号", "王芳", hazard).await;
    let a = ingest(c, dir, "王芳", t0 - SignedDuration::from_mins(1), 5 * 60).await;
    let b = ingest(c, dir, "王芳", t0 + SignedDuration::from_mins(7), 4 * 60).await;
    step(c, &k3, "王芳", t0, &[a, b]).await;
    records.extend([("王芳", false), ("王芳", false)]);
    cases.push(("甲罚〔2026〕3号", k3));

    let t_old = now - SignedDuration::from_hours(72);
    let k4 = case(c, "甲局", "甲罚〔2026〕4号", "赵强").await;
    let r = ingest(
        c,
        dir,
        "赵强",
        t_old - SignedDuration::from_mins(1),
        12 * 60,
    )
    .await;
    step(c, &k4, "赵强", t_old, &[r]).await;
    records.push(("赵强", true));
    cases.push(("甲罚〔2026〕4号", k4));

    for n in ["乙罚〔2026〕1号", "乙罚〔2026〕2号", "乙罚〔2026〕3号"] {
        cases.push((n, case(c, "乙局", n, "孙丽").await));
    }
    Fixture { cases, records }
}

fn today(c: &Custody) -> jiff::civil::Date {
    c.now()
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date()
}

fn plan(c: &Custody) -> Plan {
    let d = today(c);
    Plan {
        title: "2026年度执法音像记录抽查".into(),
        from: d.checked_sub(SignedDuration::from_hours(24 * 7)).unwrap(),
        to: d.tomorrow().unwrap(),
        units: vec!["甲局".into(), "乙局".into()],
        departments: vec![],
        officers: vec![],
        permille: 50,
        permille_by_unit: BTreeMap::from([("甲局".to_owned(), 1000)]),
        minimum: 1,
    }
}

#[tokio::test]
async fn plan_draw_sheets_consequences_and_assessment() {
    for_each_backend(|c: Custody| async move {
        let dir = tempfile::tempdir().unwrap();
        let fx = fixture(&c, dir.path()).await;
        let sup = user(&c, "jd", "监督员", &[Role::Supervisor], "甲局").await;
        let officer = user(&c, "lina", "李娜", &[Role::Officer], "甲局").await;
        let other = user(&c, "wf", "王芳", &[Role::Officer], "甲局").await;
        let id_of = |n: &str| fx.cases.iter().find(|(x, _)| *x == n).unwrap().1.clone();

        // Only supervisors and the legal office plan.
        assert!(matches!(
            c.create_plan(&officer, &plan(&c)).await,
            Err(AppError::Forbidden { .. })
        ));
        let plan_id = c.create_plan(&sup, &plan(&c)).await.unwrap();
        let draws = c
            .announce_plan_draws(&sup, &plan_id, Method::Sha256, SeedPlan::Checkpoint, None)
            .await
            .unwrap();
        assert_eq!(draws.len(), 2);
        c.checkpoint().await.unwrap();
        let mut picked = BTreeMap::new();
        for (unit, draw) in &draws {
            picked.insert(
                unit.clone(),
                c.perform_draw(&sup, draw, &[]).await.unwrap().len(),
            );
            assert!(c.verify_draw(draw).await.unwrap().ok);
        }
        // 甲局 100 % of 4; 乙局 5 % of 3, at least 1.
        assert_eq!(
            picked,
            BTreeMap::from([("甲局".into(), 4), ("乙局".into(), 1)])
        );
        let view = c.plan(&sup, &plan_id).await.unwrap();
        assert_eq!(view.draws.iter().map(|d| d.population).sum::<usize>(), 7);
        assert_eq!(c.sampled_cases(&sup, &plan_id).await.unwrap().len(), 5);

        // The three checks pre-filled: each fixture breaks exactly one.
        use Verdict::{Fail, Pass};
        let expected = [
            ("甲罚〔2026〕1号", [Pass, Pass, Pass]),
            ("甲罚〔2026〕2号", [Fail, Pass, Pass]),
            ("甲罚〔2026〕3号", [Pass, Fail, Pass]),
            ("甲罚〔2026〕4号", [Pass, Pass, Fail]),
        ];
        for (number, verdicts) in expected {
            let p = c
                .inspection_prefill(&sup, &plan_id, &id_of(number))
                .await
                .unwrap();
            let got = [p[0].verdict, p[1].verdict, p[2].verdict];
            assert_eq!(got, verdicts, "{number}: {p:?}");
        }

        // A sheet with a finding naming 李娜; an override needs a note.
        let k2 = id_of("甲罚〔2026〕2号");
        let finding = FindingSpec {
            check: Check::Steps,
            text: "留置送达未录像".into(),
            officers: vec!["李娜".into()],
        };
        let flip = Answer {
            check: Check::Steps,
            verdict: Some(Pass),
            note: String::new(),
        };
        assert!(matches!(
            c.file_inspection(&sup, &plan_id, &k2, &[flip], &[]).await,
            Err(AppError::Invalid(m)) if m.contains("须写明理由")
        ));
        c.file_inspection(&sup, &plan_id, &k2, &[], std::slice::from_ref(&finding))
            .await
            .unwrap();
        assert!(matches!(
            c.file_inspection(&sup, &plan_id, &k2, &[], &[]).await,
            Err(AppError::Invalid(m)) if m.contains("已填写")
        ));
        // K1 passes everything; the inspector overrides custody with a note.
        let k1 = id_of("甲罚〔2026〕1号");
        let over = Answer {
            check: Check::Custody,
            verdict: Some(Fail),
            note: "调阅发现移交登记缺少签字".into(),
        };
        c.file_inspection(&sup, &plan_id, &k1, &[over], &[])
            .await
            .unwrap();
        // A case outside the sample is refused.
        let sampled = c.sampled_cases(&sup, &plan_id).await.unwrap();
        let outside = fx
            .cases
            .iter()
            .find(|(n, id)| n.starts_with('乙') && !sampled.contains(id))
            .unwrap();
        assert!(matches!(
            c.file_inspection(&sup, &plan_id, &outside.1, &[], &[]).await,
            Err(AppError::Invalid(m)) if m.contains("不在")
        ));

        // A consequence against the finding: configured kinds, named officer, reasons.
        let fid = c.officer_findings(&sup, "李娜").await.unwrap()[0]
            .id
            .clone();
        let spec = |officer: &str, code: &str| ConsequenceSpec {
            officer: officer.into(),
            code: code.into(),
            reasoning: "未按规定对留置送达进行音像记录".into(),
            statement: "本人对事实无异议".into(),
        };
        assert!(
            c.decide_consequence(&sup, &fid, &spec("王芳", "written_self_criticism"))
                .await
                .is_err()
        );
        assert!(
            c.decide_consequence(&sup, &fid, &spec("李娜", "dismissal"))
                .await
                .is_err()
        );
        c.decide_consequence(&sup, &fid, &spec("李娜", "written_self_criticism"))
            .await
            .unwrap();
        // The officer sees their own record; another officer does not.
        let own = c.officer_findings(&officer, "李娜").await.unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].consequences[0].label_zh, "书面检查");
        assert_eq!(own[0].consequences[0].decided_by, sup.user_id);
        assert!(matches!(
            c.officer_findings(&other, "李娜").await,
            Err(AppError::Forbidden { .. })
        ));

        // The annual assessment against a brute-force count over the fixtures.
        let p = plan(&c);
        let report = c.assessment(&sup, p.from, p.to, None).await.unwrap();
        let a = &report.assessment;
        let mut expect: BTreeMap<&str, [u64; 2]> = BTreeMap::new();
        for (officer, late) in &fx.records {
            let e = expect.entry(officer).or_default();
            e[0] += 1;
            e[1] += u64::from(*late);
        }
        for (officer, [records, late]) in &expect {
            let l = &a.by_officer[&("甲局".to_owned(), (*officer).to_owned())];
            assert_eq!((l.records, l.late), (*records, *late), "{officer}");
        }
        let jia = &a.by_unit["甲局"];
        assert_eq!(jia.records, fx.records.len() as u64);
        assert_eq!(jia.late, fx.records.iter().filter(|r| r.1).count() as u64);
        // Violations and steps: counted here case by case from each case's verdict.
        let (mut steps, mut violations) = (0u64, 0u64);
        for (n, id) in fx.cases.iter().filter(|(n, _)| n.starts_with('甲')) {
            let v = c.case_compliance(id).await.unwrap();
            steps += v.steps.len() as u64;
            violations += v
                .steps
                .iter()
                .flat_map(|s| &s.findings)
                .chain(&v.findings)
                .filter(|f| f.level == Level::Violation)
                .count() as u64;
            assert!(!n.is_empty());
        }
        assert_eq!(jia.mandatory_steps, steps);
        assert_eq!(jia.violations, violations);
        // K2 lacks its recording: 3 of 4 mandatory steps covered.
        assert_eq!(jia.mandatory_covered, 3);
        assert_eq!((jia.sampled, jia.inspected, jia.sampled_failed), (4, 2, 2));
        assert_eq!((jia.findings, jia.consequences_total()), (1, 1));
        let li = &a.by_officer[&("甲局".to_owned(), "李娜".to_owned())];
        assert_eq!(
            (li.findings, li.consequences["written_self_criticism"]),
            (1, 1)
        );
        let yi = &a.by_unit["乙局"];
        assert_eq!((yi.records, yi.sampled, yi.inspected), (0, 1, 0));
        let only = c
            .assessment(&sup, p.from, p.to, Some("乙局"))
            .await
            .unwrap();
        assert_eq!(only.assessment.by_unit.keys().collect::<Vec<_>>(), ["乙局"]);
        let csv = String::from_utf8(report.csv()).unwrap();
        assert_eq!(csv.lines().count(), 1 + report.rows().len());
        assert!(csv.contains("甲局,李娜,0,"), "{csv}");
        assert!(report.pdf("测试局").starts_with(b"%PDF-"));
    })
    .await;
}

/// The dashboard with a period counts every visible case created in it (no cap), and
/// none of a period before they existed.
#[tokio::test]
async fn dashboard_period_counts_all_cases_of_the_period() {
    for_each_backend(|c: Custody| async move {
        let dir = tempfile::tempdir().unwrap();
        let fx = fixture(&c, dir.path()).await;
        let sup = user(&c, "jd", "监督员", &[Role::Supervisor], "甲局").await;
        let p = plan(&c);
        let d = c.dashboard_in(&sup, Some((p.from, p.to))).await.unwrap();
        // A supervisor of 甲局 sees that unit's cases (4 of the 7).
        let jia = fx.cases.iter().filter(|(n, _)| n.starts_with('甲')).count();
        assert_eq!(d.cases, jia as u64);
        assert!(!d.truncated);
        // K2 lacks its recording, K3 is interrupted: two cases with violations.
        assert_eq!(d.cases_with_violations, 2);
        assert_eq!(d.late_total, 1);
        let before = jiff::civil::date(2020, 1, 1);
        let old = c
            .dashboard_in(&sup, Some((before, before.tomorrow().unwrap())))
            .await
            .unwrap();
        assert_eq!((old.cases, old.late_total), (0, 0));
    })
    .await;
}
