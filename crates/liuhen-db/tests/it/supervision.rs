//! The set-based reads of a period (issue 20: annual assessment, dashboard, plan
//! populations) on both backends, against counts made here by hand.

use jiff::Timestamp;
use liuhen_db::{Db, LinkedFacts, RecordTallyRow, StepRecordRow};
use liuhen_domain::MediaKind;
use liuhen_domain::case::{Explanation, InterruptionReason, RecordingSource, Step};

use crate::cases::sample_case;
use crate::sample_record;
use crate::support::for_each_backend;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn period_reads_count_and_gather_as_by_hand() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        // Six records: 甲 (张伟 ×3, one late; 李娜 ×1 late; nobody ×1), 乙 (张伟 ×1);
        // one of 甲 dated outside the period.
        let plan: [(&str, Option<&str>, bool, &str); 7] = [
            ("甲局", Some("张伟"), true, "2026-03-01"),
            ("甲局", Some("张伟"), false, "2026-03-02"),
            ("甲局", Some("张伟"), false, "2026-12-31"),
            ("甲局", Some("李娜"), true, "2026-06-01"),
            ("甲局", None, false, "2026-06-01"),
            ("乙局", Some("张伟"), false, "2026-06-01"),
            ("甲局", Some("张伟"), true, "2027-01-01"),
        ];
        let mut ids = Vec::new();
        for (n, (unit, officer, late, date)) in plan.iter().enumerate() {
            let mut r = sample_record(40 + n as u8);
            r.classification.agency = Some((*unit).into());
            r.classification.officer = officer.map(str::to_owned);
            r.late = *late;
            r.record_date = Some(date.parse().unwrap());
            if n == 1 {
                r.source = Some(RecordingSource::FixedSurveillance);
                r.media.capture_end = None;
            }
            tx.insert_record(&r, 0).await.unwrap();
            ids.push(r.id.clone());
        }
        // Two cases in the period (甲, 乙), one before it.
        let mut jia = sample_case(41);
        jia.agency = "甲局".into();
        jia.created_at = t("2026-02-01T00:00:00Z");
        let mut yi = sample_case(42);
        yi.agency = "乙局".into();
        yi.created_at = t("2026-04-01T00:00:00Z");
        let mut old = sample_case(43);
        old.agency = "甲局".into();
        old.created_at = t("2025-12-31T00:00:00Z");
        for c in [&jia, &yi, &old] {
            tx.insert_case(c).await.unwrap();
        }
        let step = Step {
            id: "step-p1".into(),
            checklist_row: Some("1.2".into()),
            name: "留置送达".into(),
            window: (t("2026-03-01T01:00:00Z"), t("2026-03-01T02:00:00Z")),
            place: "现场".into(),
            officers: vec!["张伟".into()],
            on_site: true,
            disputed: false,
        };
        tx.insert_step(&jia.id, &step, jia.created_at)
            .await
            .unwrap();
        for (k, id) in ids[..2].iter().enumerate() {
            tx.link_record(&StepRecordRow {
                step_id: step.id.clone(),
                record_id: id.clone(),
                linked_at: jia.created_at + jiff::SignedDuration::from_secs(k as i64),
                linked_by: "u".into(),
            })
            .await
            .unwrap();
        }
        tx.put_explanation(&liuhen_db::ExplanationRow {
            step_id: step.id.clone(),
            explanation: Explanation {
                resumed_record: ids[1].clone(),
                reason: InterruptionReason::from_code("battery"),
                text: "电量不足".into(),
                spoken_at_offset_s: 3,
            },
            explained_at: jia.created_at,
            explained_by: "u".into(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut tallies = db
            .record_tallies_between(None, "2026-01-01", "2026-12-31")
            .await
            .unwrap();
        tallies.sort_by(|a, b| (&a.agency, &a.officer).cmp(&(&b.agency, &b.officer)));
        let row = |agency: &str, officer: Option<&str>, records, late| RecordTallyRow {
            agency: agency.into(),
            officer: officer.map(str::to_owned),
            records,
            late,
        };
        assert_eq!(
            tallies,
            vec![
                row("乙局", Some("张伟"), 1, 0),
                row("甲局", None, 1, 0),
                row("甲局", Some("张伟"), 3, 1),
                row("甲局", Some("李娜"), 1, 1),
            ]
        );
        let only = db
            .record_tallies_between(Some("乙局"), "2026-01-01", "2026-12-31")
            .await
            .unwrap();
        assert_eq!(only, vec![row("乙局", Some("张伟"), 1, 0)]);

        let (from, to) = (
            t("2026-01-01T00:00:00Z").as_millisecond(),
            t("2027-01-01T00:00:00Z").as_millisecond(),
        );
        let cases = db.cases_created_between(None, from, to).await.unwrap();
        assert_eq!(
            cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            [jia.id.as_str(), yi.id.as_str()]
        );
        // Parties and team in order, as the one-case read gives them.
        assert_eq!(cases[0].parties, jia.parties);
        assert_eq!(
            (&cases[0].team, &cases[0].team_ids),
            (&jia.team, &jia.team_ids)
        );
        let ev = db
            .case_evidence_between(Some("甲局"), from, to)
            .await
            .unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].case.team, jia.team);
        let (s, links, explanations) = &ev[0].steps[0];
        assert_eq!(s.step, step);
        let r0 = sample_record(40);
        assert_eq!(
            links[0],
            LinkedFacts {
                record_id: ids[0].to_string(),
                kind: MediaKind::Video,
                capture_start_ms: r0.media.capture_start.map(|t| t.as_millisecond()),
                capture_end_ms: r0.media.capture_end.map(|t| t.as_millisecond()),
                duration_ms: Some(300_000),
                stored_at_ms: r0.stored_at.as_millisecond(),
                officer: Some("张伟".into()),
                device: r0.classification.device.clone(),
                device_serial: None,
                source: None,
            }
        );
        assert_eq!(links[1].source, Some(RecordingSource::FixedSurveillance));
        assert_eq!(links[1].capture_end_ms, None);
        assert_eq!(explanations.len(), 1);
        assert_eq!(explanations[0].explanation.resumed_record, ids[1]);
        assert!(
            db.case_evidence_between(Some("丙局"), from, to)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
