//! Cases, steps, links and explanations on both backends.

use jiff::Timestamp;
use liuhen_db::{
    CaseFilter, CaseRow, Db, ExplanationRow, FlagColumn, PartyRow, ReviewRow, StepRecordRow,
};
use liuhen_domain::RecordId;
use liuhen_domain::Role;
use liuhen_domain::access::Policy;
use liuhen_domain::authz::{CaseVisibility, Principal, RecordVisibility, record_visibility};
use liuhen_domain::case::{
    CaseCategory, CaseFlags, CaseStatus, Explanation, InterruptionReason, Step,
};
use liuhen_domain::review::{ReviewItem, ReviewVerdict};

use crate::sample_record;
use crate::support::for_each_backend;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) fn sample_case(n: u8) -> CaseRow {
    CaseRow {
        id: format!("0190f3a0-0000-7000-8000-0000000c00{n:02x}"),
        number: format!("平高应急罚〔2026〕{n}号"),
        name: "某化工有限公司未按规定开展隐患排查案".into(),
        category: CaseCategory::Penalty,
        agency: "高新区应急管理局".into(),
        department: "执法监察大队".into(),
        status: CaseStatus::Open,
        flags: CaseFlags {
            hearing_held: true,
            ..CaseFlags::default()
        },
        created_at: t("2026-03-01T00:00:00.123Z"),
        parties: vec![
            PartyRow {
                kind: "unit".into(),
                name: "某化工有限公司".into(),
                id_or_credit_code: "91410400MA00000000".into(),
            },
            PartyRow {
                kind: "person".into(),
                name: "王某".into(),
                id_or_credit_code: "410402199001010000".into(),
            },
        ],
        team: vec!["张伟".into(), "李娜".into()],
        team_ids: vec![Some("u-张伟".into()), None],
    }
}

pub(crate) fn sample_step(id: &str, row: Option<&str>, start: &str) -> Step {
    let start = t(start);
    Step {
        id: id.into(),
        checklist_row: row.map(str::to_owned),
        name: "听证会".into(),
        window: (start, start + jiff::SignedDuration::from_mins(30)),
        place: "局三楼听证室".into(),
        officers: vec!["张伟".into(), "李娜".into()],
        on_site: true,
        disputed: false,
    }
}

#[tokio::test]
async fn cases_steps_links_and_explanations_round_trip() {
    for_each_backend(|db: Db| async move {
        let case = sample_case(1);
        let record = sample_record(1);
        let mut tx = db.begin().await.unwrap();
        tx.insert_record(&record, 0).await.unwrap();
        tx.insert_case(&case).await.unwrap();
        let s1 = sample_step("step-1", Some("1.1"), "2026-03-01T02:00:00Z");
        let mut s2 = sample_step("step-2", None, "2026-03-01T01:00:00Z");
        s2.name = "现场勘验".into();
        s2.on_site = false;
        s2.disputed = true;
        tx.insert_step(&case.id, &s1, t("2026-03-01T03:00:00Z"))
            .await
            .unwrap();
        tx.insert_step(&case.id, &s2, t("2026-03-01T03:00:00Z"))
            .await
            .unwrap();
        let link = StepRecordRow {
            step_id: s1.id.clone(),
            record_id: record.id.clone(),
            linked_at: t("2026-03-01T04:00:00Z"),
            linked_by: "张伟".into(),
        };
        tx.link_record(&link).await.unwrap();
        let explanation = ExplanationRow {
            step_id: s1.id.clone(),
            explanation: Explanation {
                resumed_record: record.id.clone(),
                reason: InterruptionReason::from_code("battery"),
                text: String::new(),
                spoken_at_offset_s: 3,
            },
            explained_at: t("2026-03-01T05:00:00Z"),
            explained_by: "李娜".into(),
        };
        tx.put_explanation(&explanation).await.unwrap();
        tx.commit().await.unwrap();

        // By id and by number, with parties and team in order.
        assert_eq!(db.case(&case.id).await.unwrap(), Some(case.clone()));
        assert_eq!(db.case(&case.number).await.unwrap(), Some(case.clone()));
        assert_eq!(db.case("no such case").await.unwrap(), None);
        assert_eq!(db.cases(10).await.unwrap(), vec![case.clone()]);

        // Steps in time order, booleans and the nullable row survive.
        let steps = db.steps_of_case(&case.id).await.unwrap();
        assert_eq!(
            steps.iter().map(|s| s.step.clone()).collect::<Vec<_>>(),
            vec![s2.clone(), s1.clone()]
        );
        assert_eq!(steps[1].case_id, case.id);
        assert_eq!(db.step("step-1").await.unwrap().unwrap().step, s1);
        assert!(db.step("nope").await.unwrap().is_none());

        assert_eq!(db.step_records("step-1").await.unwrap(), vec![link.clone()]);
        assert!(db.step_records("step-2").await.unwrap().is_empty());
        assert_eq!(
            db.explanations("step-1").await.unwrap(),
            vec![explanation.clone()]
        );

        // A second explanation for the same recording replaces the first.
        let mut tx = db.begin().await.unwrap();
        let mut other = explanation.clone();
        other.explanation.reason = InterruptionReason::from_code("other");
        other.explanation.text = "执法对象情绪激动".into();
        tx.put_explanation(&other).await.unwrap();
        // Flags change; unknown cases report false.
        let flags = CaseFlags {
            disputed: true,
            major_hazard_or_violation: true,
            ..CaseFlags::default()
        };
        assert!(tx.update_case_flags(&case.id, &flags).await.unwrap());
        assert!(!tx.update_case_flags("nope", &flags).await.unwrap());
        // Unlinking removes exactly the link.
        assert!(tx.unlink_record("step-1", &record.id).await.unwrap());
        assert!(!tx.unlink_record("step-1", &record.id).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(db.explanations("step-1").await.unwrap(), vec![other]);
        assert_eq!(db.case(&case.id).await.unwrap().unwrap().flags, flags);
        assert!(db.step_records("step-1").await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn schema_refuses_duplicates_and_dangling_links() {
    for_each_backend(|db: Db| async move {
        let case = sample_case(2);
        let mut tx = db.begin().await.unwrap();
        tx.insert_case(&case).await.unwrap();
        tx.commit().await.unwrap();

        // Same number, other id: refused.
        let mut tx = db.begin().await.unwrap();
        let mut dup = sample_case(2);
        dup.id = "0190f3a0-0000-7000-8000-0000000c00ff".into();
        assert!(tx.insert_case(&dup).await.is_err());
        drop(tx);

        // A link to a record that does not exist: refused (foreign key).
        let mut tx = db.begin().await.unwrap();
        let step = sample_step("step-x", Some("1.1"), "2026-03-01T02:00:00Z");
        tx.insert_step(&case.id, &step, Timestamp::now())
            .await
            .unwrap();
        let missing = RecordId::parse("0190f3a0-0000-7000-8000-00000000dead").unwrap();
        let res = tx
            .link_record(&StepRecordRow {
                step_id: step.id.clone(),
                record_id: missing,
                linked_at: Timestamp::now(),
                linked_by: "x".into(),
            })
            .await;
        assert!(res.is_err());
        drop(tx);

        // Linking the same record twice: refused (primary key).
        let record = sample_record(3);
        let mut tx = db.begin().await.unwrap();
        tx.insert_record(&record, 0).await.unwrap();
        tx.insert_step(&case.id, &step, Timestamp::now())
            .await
            .unwrap();
        let link = StepRecordRow {
            step_id: step.id.clone(),
            record_id: record.id.clone(),
            linked_at: Timestamp::now(),
            linked_by: "x".into(),
        };
        tx.link_record(&link).await.unwrap();
        assert!(tx.link_record(&link).await.is_err());
        drop(tx);
        // Everything above was rolled back.
        assert!(db.step("step-x").await.unwrap().is_none());
        assert_eq!(db.cases(10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn search_edit_and_reviews() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        let a = sample_case(10);
        let mut b = sample_case(11);
        b.name = "某物流公司动火作业案".into();
        b.agency = "卫东区应急管理局".into();
        b.department = "执法二科".into();
        b.team = vec!["王芳".into()];
        b.team_ids = vec![Some("u-王芳".into())];
        b.flags = CaseFlags::default();
        b.parties[0].name = "某物流有限公司".into();
        b.created_at = t("2026-03-02T00:00:00Z");
        let mut c = sample_case(12);
        c.status = CaseStatus::Decided;
        c.category = CaseCategory::Inspection;
        c.created_at = t("2026-03-03T00:00:00Z");
        for x in [&a, &b, &c] {
            tx.insert_case(x).await.unwrap();
        }
        tx.commit().await.unwrap();
        let unit = CaseVisibility {
            unit: Some("高新区应急管理局".into()),
            ..CaseVisibility::default()
        };
        let numbers = |p: liuhen_db::CasePage| -> Vec<String> {
            p.cases.into_iter().map(|c| c.number).collect()
        };
        let all = db
            .search_cases(&unit, &CaseFilter::default(), 1, 20)
            .await
            .unwrap();
        assert_eq!(all.total, 2);
        assert_eq!(numbers(all), vec![c.number.clone(), a.number.clone()]);
        // Paging.
        let p2 = db
            .search_cases(&unit, &CaseFilter::default(), 2, 1)
            .await
            .unwrap();
        assert_eq!((p2.total, p2.pages()), (2, 2));
        assert_eq!(numbers(p2), vec![a.number.clone()]);
        // Filters.
        let f = CaseFilter {
            status: Some(CaseStatus::Decided),
            ..CaseFilter::default()
        };
        assert_eq!(
            numbers(db.search_cases(&unit, &f, 1, 20).await.unwrap()),
            vec![c.number.clone()]
        );
        let f = CaseFilter {
            category: Some(CaseCategory::Penalty),
            flag: FlagColumn::of("hearing"),
            ..CaseFilter::default()
        };
        assert_eq!(
            numbers(db.search_cases(&unit, &f, 1, 20).await.unwrap()),
            vec![a.number.clone()]
        );
        // Text over number, name and party; a wildcard is literal.
        let team = CaseVisibility {
            team_member: Some("u-王芳".into()),
            ..CaseVisibility::default()
        };
        for (text, hits) in [("物流", 1), ("动火 某物流有限", 1), ("化工", 0), ("%", 0)]
        {
            let f = CaseFilter {
                text: Some(text.into()),
                ..CaseFilter::default()
            };
            assert_eq!(
                db.search_cases(&team, &f, 1, 20).await.unwrap().total,
                hits,
                "{text}"
            );
        }
        let dept = CaseVisibility {
            department: Some(("卫东区应急管理局".into(), "执法二科".into())),
            ..CaseVisibility::default()
        };
        assert_eq!(
            numbers(
                db.search_cases(&dept, &CaseFilter::default(), 1, 20)
                    .await
                    .unwrap()
            ),
            vec![b.number.clone()]
        );
        assert_eq!(
            db.search_cases(&CaseVisibility::default(), &CaseFilter::default(), 1, 20)
                .await
                .unwrap()
                .total,
            0
        );

        // Editing replaces fields, parties and team.
        let mut edited = a.clone();
        edited.name = "改名后的案件".into();
        edited.status = CaseStatus::Archived;
        edited.team = vec!["赵敏".into()];
        edited.team_ids = vec![None];
        edited.parties.truncate(1);
        let mut tx = db.begin().await.unwrap();
        assert!(tx.update_case(&edited).await.unwrap());
        let mut ghost = edited.clone();
        ghost.id = "nope".into();
        assert!(!tx.update_case(&ghost).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(db.case(&a.id).await.unwrap(), Some(edited));

        // Reviewer sheet: a tick replaces the earlier one of the same item.
        let record = sample_record(9);
        let mut tx = db.begin().await.unwrap();
        tx.insert_record(&record, 0).await.unwrap();
        let tick = |item, verdict, note: &str| ReviewRow {
            record_id: record.id.clone(),
            item,
            verdict,
            note: note.into(),
            reviewed_by: "督察".into(),
            reviewed_at: t("2026-03-05T00:00:00Z"),
        };
        tx.put_review(&tick(
            ReviewItem::from_code("opening_statement"),
            ReviewVerdict::Met,
            "",
        ))
        .await
        .unwrap();
        tx.put_review(&tick(
            ReviewItem::from_code("environment"),
            ReviewVerdict::Met,
            "",
        ))
        .await
        .unwrap();
        tx.put_review(&tick(
            ReviewItem::from_code("environment"),
            ReviewVerdict::Deficient,
            "未拍摄现场全景",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.reviews(&record.id).await.unwrap(),
            vec![
                tick(
                    ReviewItem::from_code("environment"),
                    ReviewVerdict::Deficient,
                    "未拍摄现场全景"
                ),
                tick(
                    ReviewItem::from_code("opening_statement"),
                    ReviewVerdict::Met,
                    ""
                ),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn proposal_candidates_and_lateness_groups() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        let mut a = sample_record(21); // 张伟, 高新区, 01:00–01:05, on time
        a.officer_id = Some("u-张伟".into());
        let mut b = sample_record(22);
        b.officer_id = Some("u-张伟".into());
        b.media.capture_start = Some(t("2026-03-01T03:00:00Z"));
        b.late = true;
        b.lateness_ms = Some(30 * 3_600_000);
        let mut c = sample_record(23);
        c.classification.officer = Some("李娜".into());
        c.late = true;
        c.lateness_ms = Some(50 * 3_600_000);
        let mut d = sample_record(24);
        d.classification.agency = Some("卫东区应急管理局".into());
        d.classification.officer = Some("王芳".into());
        for r in [&a, &b, &c, &d] {
            tx.insert_record(r, 0).await.unwrap();
        }
        tx.commit().await.unwrap();
        let ms = |s: &str| t(s).as_millisecond();
        let unit = visibility(Role::RecordsKeeper, "赵敏");
        let ids = |v: Vec<liuhen_domain::Record>| -> Vec<RecordId> {
            v.into_iter().map(|r| r.id).collect()
        };
        let found = db
            .records_captured_between(
                Some(&unit),
                ms("2026-03-01T00:30:00Z"),
                ms("2026-03-01T02:00:00Z"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(ids(found), vec![a.id.clone(), c.id.clone()]);
        let own = visibility(Role::Officer, "张伟");
        let found = db
            .records_captured_between(
                Some(&own),
                ms("2026-03-01T00:00:00Z"),
                ms("2026-03-02T00:00:00Z"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(ids(found), vec![a.id.clone(), b.id.clone()]);
        let all = db
            .records_captured_between(
                None,
                ms("2026-03-01T00:00:00Z"),
                ms("2026-03-02T00:00:00Z"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 4);

        let mut groups = db.lateness_groups(&unit).await.unwrap();
        groups.sort_by(|x, y| x.officer.cmp(&y.officer));
        let summary: Vec<(Option<String>, u32, u32, i64)> = groups
            .into_iter()
            .map(|g| (g.officer, g.records, g.late, g.worst_ms))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some("张伟".into()), 2, 1, 30 * 3_600_000),
                (Some("李娜".into()), 1, 1, 50 * 3_600_000),
            ]
        );
        assert!(
            db.lateness_groups(&RecordVisibility {
                me: String::new(),
                own: None,
                team: None,
                department: None,
                unit: None,
                any: None,
                grantee: None,
                cleared_labels: Vec::new(),
                grant_opens: Vec::new(),
            })
            .await
            .unwrap()
            .is_empty()
        );
    })
    .await;
}

/// What a user of the 平顶山高新区应急管理局 with one role sees under the shipped policy.
fn visibility(role: Role, name: &str) -> RecordVisibility {
    let p = Principal {
        user_id: format!("u-{name}"),
        roles: vec![role],
        unit: Some("平顶山高新区应急管理局".into()),
        department: None,
        officer_name: name.into(),
    };
    record_visibility(&Policy::default_shipped(), &p, 0)
}
