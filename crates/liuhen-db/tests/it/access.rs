//! Access rows (requests, approvals, papers, grants, copies, loans, visits, labels) and the
//! list visibility SQL, on both backends. The SQL is checked against the pure
//! `RecordVisibility::admits` for principals of every role over records in every state.

use jiff::Timestamp;
use liuhen_db::{
    ApprovalRow, CaseRow, CopyRow, Db, GrantRow, LoanRow, PaperRow, PartyRow, RecordFilter,
    RecordSort, RequestQuery, RequestRow, StepRecordRow, VisitRow,
};
use liuhen_domain::access::Policy;
use liuhen_domain::authz::{
    Action, CaseFacts, GrantFacts, Principal, RecordScope, record_visibility,
};
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus, Step};
use liuhen_domain::{RecordId, Role};

use crate::sample_record;
use crate::support::for_each_backend;

const GX: &str = "平顶山高新区应急管理局";
const DEPT: &str = "危险化学品监管科";

fn case(n: u8, team: &[&str], status: CaseStatus) -> CaseRow {
    CaseRow {
        id: format!("case-{n}"),
        number: format!("平高应急检〔2026〕{n}号"),
        name: "检查".into(),
        category: CaseCategory::Inspection,
        department: DEPT.into(),
        agency: GX.into(),
        status,
        flags: CaseFlags::default(),
        created_at: Timestamp::now(),
        parties: vec![PartyRow {
            kind: "unit".into(),
            name: "某公司".into(),
            id_or_credit_code: "9141".into(),
        }],
        team: team.iter().map(|t| (*t).to_owned()).collect(),
        team_ids: team.iter().map(|t| Some(format!("u-{t}"))).collect(),
    }
}

/// (record n, officer, case (n, team, archived), labels on record, grant to 张伟: (expired, revoked))
type Fixture = (
    u8,
    &'static str,
    Option<(u8, &'static [&'static str], bool)>,
    &'static [&'static str],
    Option<(bool, bool)>,
);

const FIXTURES: &[Fixture] = &[
    (1, "张伟", Some((1, &["张伟", "李娜"], false)), &[], None),
    (2, "李娜", Some((2, &["李娜"], false)), &[], None),
    (3, "李娜", Some((3, &["李娜"], true)), &[], None),
    (
        4,
        "李娜",
        Some((3, &["李娜"], true)),
        &["personal_info"],
        None,
    ),
    (5, "李娜", None, &["state_secret"], None),
    (
        6,
        "李娜",
        Some((3, &["李娜"], true)),
        &[],
        Some((false, false)),
    ),
    (
        7,
        "李娜",
        Some((3, &["李娜"], true)),
        &[],
        Some((true, false)),
    ),
    (8, "李娜", None, &[], Some((false, true))),
    (9, "李娜", None, &["personal_info"], Some((false, false))),
    (
        10,
        "李娜",
        Some((2, &["李娜"], false)),
        &[],
        Some((false, false)),
    ),
];

fn rid(n: u8) -> RecordId {
    RecordId::parse(&format!("0190f3a0-0000-7000-8000-0000000000{n:02x}")).unwrap()
}

async fn fill(db: &Db, now: i64) -> Vec<String> {
    let mut tx = db.begin().await.unwrap();
    let mut cases = std::collections::BTreeSet::new();
    for (n, officer, c, labels, grant) in FIXTURES {
        let mut r = sample_record(*n);
        r.classification.officer = Some((*officer).into());
        r.officer_id = Some(format!("u-{officer}"));
        tx.insert_record(&r, 0).await.unwrap();
        if let Some((cn, team, archived)) = c {
            let status = if *archived {
                CaseStatus::Archived
            } else {
                CaseStatus::Open
            };
            if cases.insert(*cn) {
                tx.insert_case(&case(*cn, team, status)).await.unwrap();
                let step = Step {
                    id: format!("step-{cn}"),
                    checklist_row: None,
                    name: "现场检查".into(),
                    window: (Timestamp::now(), Timestamp::now()),
                    place: "厂区".into(),
                    officers: team.iter().map(|t| (*t).to_owned()).collect(),
                    on_site: true,
                    disputed: false,
                };
                tx.insert_step(&format!("case-{cn}"), &step, Timestamp::now())
                    .await
                    .unwrap();
            }
            tx.link_record(&StepRecordRow {
                step_id: format!("step-{cn}"),
                record_id: r.id.clone(),
                linked_at: Timestamp::now(),
                linked_by: "t".into(),
            })
            .await
            .unwrap();
        }
        for l in *labels {
            assert!(
                tx.set_label(false, r.id.as_str(), l, true, "keeper", now)
                    .await
                    .unwrap()
            );
        }
        if let Some((expired, revoked)) = grant {
            let req = RequestRow {
                id: format!("req-{n}"),
                kind: "view".into(),
                flow: vec!["consent".into()],
                filed_by: "u-张伟".into(),
                requester_name: "张伟".into(),
                requester_type: "internal".into(),
                purpose: "研究".into(),
                agency: GX.into(),
                basis: "b".into(),
                status: "approved".into(),
                filed_ms: now,
                records: vec![r.id.to_string()],
                ..Default::default()
            };
            tx.insert_request(&req).await.unwrap();
            tx.insert_grant(&GrantRow {
                id: format!("grant-{n}"),
                request_id: req.id.clone(),
                grantee_id: "u-张伟".into(),
                purpose: "研究".into(),
                can_view: true,
                can_play: true,
                can_download: false,
                expires_ms: if *expired { now - 1 } else { now + 60_000 },
                created_ms: now,
                revoked_ms: None,
                revoked_by: None,
                revoke_reason: None,
                records: vec![r.id.to_string()],
            })
            .await
            .unwrap();
            if *revoked {
                assert!(
                    tx.revoke_grant(&format!("grant-{n}"), "keeper", "用毕", now)
                        .await
                        .unwrap()
                );
            }
        }
    }
    // A case label reaches every record of the case.
    assert!(
        tx.set_label(true, "case-2", "trade_secret", true, "keeper", now)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    FIXTURES.iter().map(|f| rid(f.0).to_string()).collect()
}

#[tokio::test]
async fn list_visibility_agrees_with_the_policy_on_both_backends() {
    for_each_backend(|db: Db| async move {
        let now = Timestamp::now().as_millisecond();
        fill(&db, now).await;
        let policy = Policy::default_shipped();
        let mut checked = 0;
        for role in Role::ALL {
            for (dept, name) in [
                (Some(DEPT), "张伟"),
                (Some("执法监察大队"), "张伟"),
                (None, "李娜"),
            ] {
                let p = Principal {
                    user_id: format!("u-{name}"),
                    roles: vec![role],
                    unit: Some(GX.into()),
                    department: dept.map(str::to_owned),
                    officer_name: name.into(),
                };
                let v = record_visibility(&policy, &p, now);
                let page = db
                    .search_records(&v, &RecordFilter::default(), RecordSort::default(), 0, 100)
                    .await
                    .unwrap();
                let got: std::collections::BTreeSet<String> =
                    page.records.iter().map(|r| r.id.to_string()).collect();
                let mut want = std::collections::BTreeSet::new();
                for (n, officer, c, labels, grant) in FIXTURES {
                    let team: Vec<String> = c
                        .map(|c| c.1.iter().map(|t| format!("u-{t}")).collect())
                        .unwrap_or_default();
                    let officer_id = format!("u-{officer}");
                    let cases: Vec<CaseFacts> = c
                        .iter()
                        .map(|(_, _, archived)| CaseFacts {
                            id: "c",
                            department: DEPT,
                            archived: *archived,
                            team_ids: &team,
                        })
                        .collect();
                    let mut labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
                    if c.is_some_and(|c| c.0 == 2) {
                        labels.push("trade_secret".into());
                    }
                    let actions = [Action::ViewRecord, Action::PlayRecord];
                    let grants: Vec<GrantFacts> = grant
                        .iter()
                        .filter(|_| name == "张伟")
                        .map(|(expired, revoked)| GrantFacts {
                            id: "g",
                            actions: &actions,
                            expires_ms: if *expired { now - 1 } else { now + 60_000 },
                            revoked: *revoked,
                        })
                        .collect();
                    let scope = RecordScope {
                        agency: Some(GX),
                        officer_id: Some(&officer_id),
                        cases: &cases,
                        labels: &labels,
                        grants: &grants,
                        now_ms: now,
                        pending_request: None,
                    };
                    if v.admits(&scope) {
                        want.insert(rid(*n).to_string());
                    }
                    checked += 1;
                }
                assert_eq!(got, want, "{role} {dept:?} {name}");
            }
        }
        assert_eq!(checked, 14 * 3 * FIXTURES.len());
    })
    .await;
}

#[tokio::test]
async fn access_rows_round_trip() {
    for_each_backend(|db: Db| async move {
        let now = Timestamp::now().as_millisecond();
        fill(&db, now).await;
        let r = db.request("req-6").await.unwrap().unwrap();
        assert_eq!(r.records, vec![rid(6).to_string()]);
        assert_eq!(r.flow, vec!["consent".to_owned()]);
        let mut tx = db.begin().await.unwrap();
        tx.insert_approval(&ApprovalRow {
            request_id: "req-6".into(),
            step: "consent".into(),
            decision: "approve".into(),
            approver_id: "u-郭磊".into(),
            approver_name: "郭磊".into(),
            basis: "b".into(),
            comment: "同意".into(),
            decided_ms: now,
        })
        .await
        .unwrap();
        tx.put_paper(&PaperRow {
            request_id: "req-6".into(),
            paper: "id_card".into(),
            sha256: "ab".into(),
            file_name: "身份证.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 10,
            attached_ms: now,
            attached_by: "keeper".into(),
        })
        .await
        .unwrap();
        tx.insert_copy(&CopyRow {
            id: "copy-1".into(),
            request_id: "req-6".into(),
            record_id: rid(6).to_string(),
            original_sha256: "aa".into(),
            statement_sha256: "bb".into(),
            maker_id: "keeper".into(),
            maker_name: "赵敏".into(),
            extractor: "李娜".into(),
            extracted_ms: now,
            proves: "事实".into(),
            created_ms: now,
            number: Some("平高应急复制件〔2026〕1号".into()),
        })
        .await
        .unwrap();
        tx.set_request_fee("req-6", 2200).await.unwrap();
        assert!(tx.record_payment("req-6", "NO.1", now).await.unwrap());
        assert!(!tx.record_payment("req-6", "NO.2", now).await.unwrap());
        tx.insert_loan(&LoanRow {
            request_id: "req-6".into(),
            borrower_id: "u-张伟".into(),
            grant_id: "grant-6".into(),
            issued_ms: now,
            issued_by: "keeper".into(),
            due_ms: now - 1,
            returned_ms: None,
            returned_by: None,
        })
        .await
        .unwrap();
        tx.insert_visit(&VisitRow {
            id: "visit-1".into(),
            request_id: "req-6".into(),
            visited_ms: now,
            recorded_by: "keeper".into(),
            note: "当场查阅".into(),
        })
        .await
        .unwrap();
        assert!(
            tx.set_request_status("req-6", "approved", "done", Some(now))
                .await
                .unwrap()
        );
        assert!(
            !tx.set_request_status("req-6", "approved", "done", Some(now))
                .await
                .unwrap()
        );
        assert!(
            tx.set_conclusive(rid(3).as_str(), true, "keeper", now)
                .await
                .unwrap()
        );
        assert!(
            !tx.set_conclusive(rid(3).as_str(), true, "keeper", now)
                .await
                .unwrap()
        );
        assert!(
            tx.set_label(
                false,
                rid(4).as_str(),
                "personal_info",
                false,
                "keeper",
                now
            )
            .await
            .unwrap()
        );
        tx.commit().await.unwrap();
        let r = db.request("req-6").await.unwrap().unwrap();
        assert_eq!(
            (r.status.as_str(), r.fee_cents, r.receipt_no.as_deref()),
            ("done", Some(2200), Some("NO.1"))
        );
        assert_eq!(
            db.approvals("req-6").await.unwrap()[0].approver_name,
            "郭磊"
        );
        assert_eq!(db.papers("req-6").await.unwrap()[0].file_name, "身份证.pdf");
        let copy = &db.copies("req-6").await.unwrap()[0];
        assert_eq!(copy.extractor, "李娜");
        assert_eq!(copy.number.as_deref(), Some("平高应急复制件〔2026〕1号"));
        assert_eq!(db.open_loans(GX, 10).await.unwrap().len(), 1);
        assert!(
            db.open_loans("卫东区应急管理局", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(db.visits("req-6").await.unwrap().len(), 1);
        assert!(db.is_conclusive(rid(3).as_str()).await.unwrap());
        assert!(db.labels(false, rid(4).as_str()).await.unwrap().is_empty());
        assert_eq!(
            db.labels(true, "case-2").await.unwrap(),
            vec!["trade_secret".to_owned()]
        );
        let cases = db.record_cases(rid(1).as_str()).await.unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(
            cases[0].team_ids,
            vec!["u-张伟".to_owned(), "u-李娜".to_owned()]
        );
        assert!(!cases[0].archived);
        let g = db.grants_for("u-张伟", rid(8).as_str()).await.unwrap();
        assert!(g[0].revoked_ms.is_some());
        assert_eq!(db.grants(Some("u-张伟"), None, 100).await.unwrap().len(), 5);
        let mine = db
            .requests(&RequestQuery {
                filed_by: Some("u-张伟".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(mine.len(), 5);
        let mut tx = db.begin().await.unwrap();
        assert!(tx.return_loan("req-6", "keeper", now).await.unwrap());
        assert!(!tx.return_loan("req-6", "keeper", now).await.unwrap());
        tx.commit().await.unwrap();
        assert!(db.open_loans(GX, 10).await.unwrap().is_empty());
    })
    .await;
}

/// Issue 18: the pending requests naming a record (their deciders see it), and only those.
#[tokio::test]
async fn pending_requests_naming_a_record() {
    for_each_backend(|db: Db| async move {
        let now = Timestamp::now().as_millisecond();
        fill(&db, now).await;
        let (r1, r2) = (rid(1).to_string(), rid(2).to_string());
        let ids = |rows: Vec<RequestRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let before = ids(db.pending_requests_naming(&r1).await.unwrap());
        let mut tx = db.begin().await.unwrap();
        for (id, status, records) in [
            ("pend-a", "pending", vec![r1.clone(), r2.clone()]),
            ("pend-b", "approved", vec![r1.clone()]),
            ("pend-c", "pending", vec![r2.clone()]),
        ] {
            tx.insert_request(&RequestRow {
                id: id.into(),
                kind: "copy".into(),
                flow: vec!["legal_review".into(), "leader_approval".into()],
                filed_by: "u-张伟".into(),
                requester_name: "张伟".into(),
                requester_type: "internal".into(),
                purpose: "诉讼".into(),
                agency: GX.into(),
                basis: "b".into(),
                status: status.into(),
                filed_ms: now,
                records,
                ..Default::default()
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let mut want = before.clone();
        want.push("pend-a".into());
        assert_eq!(ids(db.pending_requests_naming(&r1).await.unwrap()), want);
        let found = db.pending_requests_naming(&r2).await.unwrap();
        assert!(
            found
                .iter()
                .any(|r| r.id == "pend-a" && r.records.len() == 2)
        );
        assert!(found.iter().any(|r| r.id == "pend-c"));
        let mut tx = db.begin().await.unwrap();
        assert!(
            tx.set_request_status("pend-a", "pending", "approved", Some(now))
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(ids(db.pending_requests_naming(&r1).await.unwrap()), before);
    })
    .await;
}
