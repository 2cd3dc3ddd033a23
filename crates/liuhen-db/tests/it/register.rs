//! The register's read model on both backends: projection steps, search filters and paging,
//! grants and approvals, acknowledgements, entry look-ups by action and time.

use jiff::Timestamp;
use liuhen_db::{
    AlertAck, Db, NewEntry, ProjectionBatch, RegisterApprovalRow as ApprovalRow, RegisterFilter,
    RegisterGrantRow as GrantRow, RegisterRow,
};
use liuhen_domain::AuditAction;

use crate::support::for_each_backend;

fn row(seq: u64, record: &str, at_ms: i64, kind: &str, actor: &str, name: &str) -> RegisterRow {
    RegisterRow {
        seq,
        record_id: record.into(),
        at_ms,
        kind: kind.into(),
        actor: actor.into(),
        actor_name: name.into(),
        actor_unit: Some("高新区应急管理局".into()),
        record_agency: Some(
            if record == "r3" {
                "卫东区应急管理局"
            } else {
                "高新区应急管理局"
            }
            .into(),
        ),
        case_name: Some(format!("{record}号化工厂安全检查案")),
        party: Some("某化工有限公司".into()),
        device: Some("执法记录仪-03".into()),
        purpose: Some("行政诉讼举证_100%".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn projection_search_and_paging() {
    for_each_backend(|db: Db| async move {
        assert_eq!(db.projection_cursor("register").await.unwrap(), None);
        let batch = ProjectionBatch {
            rows: vec![
                row(1, "r1", 1_000, "view", "u1", "张伟"),
                row(2, "r1", 2_000, "playback", "u1", "张伟"),
                row(3, "r2", 3_000, "copy", "u2", "李娜"),
                row(3, "r3", 3_000, "copy", "u2", "李娜"),
                RegisterRow {
                    fee_cents: Some(1250),
                    receipt_no: Some("NO.0001".into()),
                    approved_by: Some("王法制、赵领导".into()),
                    ..row(4, "r2", 4_000, "copy", "u3", "外部律师")
                },
            ],
            grants: vec![],
            approvals: vec![],
            receipts: vec![],
            last_seq: 4,
        };
        let mut tx = db.begin().await.unwrap();
        tx.apply_projection("register", &batch).await.unwrap();
        // Replaying the same step changes nothing and never moves the cursor back.
        tx.apply_projection(
            "register",
            &ProjectionBatch {
                last_seq: 2,
                ..batch.clone()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.projection_cursor("register").await.unwrap(), Some(4));

        let search = |f: RegisterFilter| {
            let db = db.clone();
            async move {
                let (rows, total) = db.register_search(&f, 100, 0).await.unwrap();
                let seqs: Vec<(u64, String)> =
                    rows.into_iter().map(|r| (r.seq, r.record_id)).collect();
                (seqs, total)
            }
        };
        let s = |v: &[(u64, &str)]| -> Vec<(u64, String)> {
            v.iter().map(|(a, b)| (*a, (*b).to_owned())).collect()
        };
        let all = search(RegisterFilter::default()).await;
        assert_eq!(all.1, 5);
        assert_eq!(
            all.0,
            s(&[(4, "r2"), (3, "r2"), (3, "r3"), (2, "r1"), (1, "r1")])
        );
        let cases: Vec<(RegisterFilter, Vec<(u64, &str)>)> = vec![
            (
                RegisterFilter {
                    from_ms: Some(2_000),
                    to_ms: Some(4_000),
                    ..Default::default()
                },
                vec![(3, "r2"), (3, "r3"), (2, "r1")],
            ),
            (
                RegisterFilter {
                    kinds: vec!["view".into(), "playback".into()],
                    ..Default::default()
                },
                vec![(2, "r1"), (1, "r1")],
            ),
            (
                RegisterFilter {
                    person: Some("李".into()),
                    ..Default::default()
                },
                vec![(3, "r2"), (3, "r3")],
            ),
            (
                RegisterFilter {
                    person: Some("u3".into()),
                    ..Default::default()
                },
                vec![(4, "r2")],
            ),
            (
                RegisterFilter {
                    record: Some("r1".into()),
                    ..Default::default()
                },
                vec![(2, "r1"), (1, "r1")],
            ),
            (
                RegisterFilter {
                    case: Some("r3号".into()),
                    ..Default::default()
                },
                vec![(3, "r3")],
            ),
            (
                RegisterFilter {
                    text: Some("赵领导".into()),
                    ..Default::default()
                },
                vec![(4, "r2")],
            ),
            (
                RegisterFilter {
                    text: Some("_100%".into()),
                    ..Default::default()
                },
                all.0.iter().map(|(a, b)| (*a, b.as_str())).collect(),
            ),
            (
                RegisterFilter {
                    text: Some("x%".into()),
                    ..Default::default()
                },
                vec![],
            ),
            (
                RegisterFilter {
                    unit: Some("卫东区应急管理局".into()),
                    ..Default::default()
                },
                vec![(3, "r3")],
            ),
        ];
        for (f, expected) in cases {
            let got = search(f.clone()).await;
            assert_eq!(got.0, s(&expected), "{f:?}");
            assert_eq!(got.1, expected.len() as u64, "{f:?}");
        }
        let (page, total) = db
            .register_search(&RegisterFilter::default(), 2, 2)
            .await
            .unwrap();
        assert_eq!(total, 5);
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 2]);
        // The signals' lean read: one use per entry, oldest first.
        let uses = db.register_uses_between(2_000, 5_000, 100).await.unwrap();
        let got: Vec<(u64, &str)> = uses.iter().map(|u| (u.seq, u.record_id.as_str())).collect();
        assert_eq!(got, vec![(2, "r1"), (3, "r2"), (4, "r2")]);
        assert!(
            db.record_briefs(&["r1".into(), "nope".into()])
                .await
                .unwrap()
                .is_empty()
        );
        let fee = db
            .register_search(
                &RegisterFilter {
                    person: Some("u3".into()),
                    ..Default::default()
                },
                1,
                0,
            )
            .await
            .unwrap()
            .0;
        assert_eq!(fee[0].fee_cents, Some(1250));
        assert_eq!(fee[0].receipt_no.as_deref(), Some("NO.0001"));
    })
    .await;
}

#[tokio::test]
async fn grants_approvals_and_acknowledgements() {
    for_each_backend(|db: Db| async move {
        let grant = GrantRow {
            grant_id: "g1".into(),
            request_id: Some("q1".into()),
            user_id: Some("u1".into()),
            approved_by: Some("王法制".into()),
            purpose: Some("诉讼".into()),
            records: vec!["r1".into(), "r2".into()],
            granted_ms: 1_000,
            expires_ms: Some(9_000),
            revoked_ms: None,
            seqs: vec![5],
        };
        let revoked = GrantRow {
            revoked_ms: Some(5_000),
            seqs: vec![5, 8],
            ..grant.clone()
        };
        let approval = |seq, step: &str| ApprovalRow {
            seq,
            request_id: "q1".into(),
            step: Some(step.into()),
            decision: Some("approve".into()),
            approver: "王法制".into(),
        };
        let mut tx = db.begin().await.unwrap();
        tx.apply_projection(
            "register",
            &ProjectionBatch {
                grants: vec![grant.clone(), revoked.clone()],
                approvals: vec![approval(3, "legal_review"), approval(4, "leader_approval")],
                last_seq: 8,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.register_grant("g1").await.unwrap(),
            Some(revoked.clone())
        );
        assert_eq!(db.register_grant("g2").await.unwrap(), None);
        assert_eq!(db.register_grants_between(0, 2_000).await.unwrap().len(), 1);
        assert!(
            db.register_grants_between(6_000, 7_000)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            db.register_grants_between(0, 1_000)
                .await
                .unwrap()
                .is_empty()
        );
        let steps: Vec<String> = db
            .request_approvals("q1")
            .await
            .unwrap()
            .into_iter()
            .filter_map(|a| a.step)
            .collect();
        assert_eq!(steps, vec!["legal_review", "leader_approval"]);

        let ack = AlertAck {
            alert_key: "odd_hours:u1:3".into(),
            kind: "odd_hours".into(),
            actor: "u1".into(),
            acked_by: "sup".into(),
            acked_ms: 10,
            note: "已核实，值班".into(),
            entry_seq: 9,
        };
        let mut tx = db.begin().await.unwrap();
        assert!(!tx.alert_acknowledged(&ack.alert_key).await.unwrap());
        assert!(tx.insert_alert_ack(&ack).await.unwrap());
        assert!(!tx.insert_alert_ack(&ack).await.unwrap());
        tx.commit().await.unwrap();
        let got = db
            .alert_acks(&[ack.alert_key.clone(), "x".into()])
            .await
            .unwrap();
        assert_eq!(got, vec![ack]);
    })
    .await;
}

#[tokio::test]
async fn entries_by_action_time_and_seq() {
    for_each_backend(|db: Db| async move {
        let base: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
        let mut tx = db.begin().await.unwrap();
        let actions = [
            AuditAction::RecordViewed,
            AuditAction::AccessRefused,
            AuditAction::LoginSucceeded,
            AuditAction::AccessRefused,
            AuditAction::RecordDownloaded,
        ];
        for (i, a) in actions.into_iter().enumerate() {
            let at = base + jiff::SignedDuration::from_mins(i as i64);
            tx.append(
                at,
                NewEntry {
                    actor: "u1".into(),
                    action: a,
                    subject: Some("record:r1".into()),
                    details: serde_json::json!({ "i": i }),
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let seqs = |v: Vec<liuhen_db::AuditEntry>| v.into_iter().map(|e| e.seq).collect::<Vec<_>>();
        let got = db
            .entries_with_actions(None, 5, &["record.viewed", "record.downloaded"], 10)
            .await
            .unwrap();
        assert_eq!(seqs(got), vec![0, 4]);
        let got = db
            .entries_with_actions(Some(0), 4, &["record.viewed", "record.downloaded"], 10)
            .await
            .unwrap();
        assert!(got.is_empty());
        let from = base.as_millisecond();
        let got = db
            .entries_of_action_between("access.refused", from + 60_000, from + 3 * 60_000)
            .await
            .unwrap();
        assert_eq!(seqs(got), vec![1]);
        let got = db.entries_by_seq(&[4, 2, 99]).await.unwrap();
        assert_eq!(seqs(got), vec![2, 4]);
    })
    .await;
}

#[tokio::test]
async fn a_fee_paid_later_completes_the_copy_rows_of_its_request() {
    for_each_backend(|db: Db| async move {
        let copy = |seq, record: &str, request: &str| RegisterRow {
            request_id: Some(request.into()),
            fee_cents: Some(2100),
            ..row(seq, record, 1_000, "copy", "u1", "张伟")
        };
        let view = RegisterRow {
            request_id: Some("q1".into()),
            ..row(3, "r1", 1_000, "view", "u1", "张伟")
        };
        let batch = ProjectionBatch {
            rows: vec![
                copy(1, "r1", "q1"),
                copy(1, "r2", "q1"),
                copy(2, "r3", "q2"),
                view,
            ],
            last_seq: 3,
            ..Default::default()
        };
        let mut tx = db.begin().await.unwrap();
        tx.apply_projection("register", &batch).await.unwrap();
        tx.commit().await.unwrap();
        let paid = |fee: Option<i64>| ProjectionBatch {
            receipts: vec![liuhen_db::FeeReceipt {
                request_id: "q1".into(),
                receipt_no: "NO.0007".into(),
                fee_cents: fee,
            }],
            last_seq: 4,
            ..Default::default()
        };
        for fee in [None, Some(2100)] {
            let mut tx = db.begin().await.unwrap();
            tx.apply_projection("register", &paid(fee)).await.unwrap();
            tx.commit().await.unwrap();
        }
        let (rows, _) = db
            .register_search(&RegisterFilter::default(), 50, 0)
            .await
            .unwrap();
        for r in &rows {
            let expected =
                (r.kind == "copy" && r.request_id.as_deref() == Some("q1")).then_some("NO.0007");
            assert_eq!(r.receipt_no.as_deref(), expected, "{r:?}");
            if r.kind == "copy" {
                assert_eq!(r.fee_cents, Some(2100));
            }
        }
    })
    .await;
}
