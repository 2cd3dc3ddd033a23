//! Decisions, review rounds and legal qualifications on both backends: written whole,
//! updated in place (rounds refer to their decision), read back field for field.

use liuhen_db::{Db, DecisionRow, NewUserRow, QualificationRow, RoundRow};
use liuhen_domain::Role;
use liuhen_domain::decision::{DecisionKind, DecisionStatus, PartyType, ReviewOutcome};

use crate::cases::sample_case;
use crate::support::for_each_backend;

fn decision(case_id: &str) -> DecisionRow {
    DecisionRow {
        id: "dec-1".into(),
        case_id: case_id.into(),
        kind: DecisionKind::Penalty,
        measure: "fine".into(),
        party_type: PartyType::Organisation,
        party_name: "平顶山市某化工有限公司".into(),
        fine_fen: 20_000_000,
        after_hearing: true,
        summary: "未按规定对重大危险源进行辨识评估".into(),
        marked_reason: String::new(),
        draft_sha256: "ab".repeat(32),
        draft_name: "决定书草案.docx".into(),
        draft_version: 1,
        status: DecisionStatus::UnderReview,
        created_by: "u-officer".into(),
        created_ms: 1_796_000_000_000,
        issued_ms: 0,
        served_ms: 0,
    }
}

fn round(n: i64, outcome: Option<ReviewOutcome>, due: &str) -> RoundRow {
    RoundRow {
        id: format!("round-{n}"),
        decision_id: "dec-1".into(),
        round: n,
        submitted_by: "u-officer".into(),
        submitted_ms: 1_796_000_100_000 + n,
        materials: vec!["draft_decision".into(), "compliance_report".into()],
        draft_sha256: "ab".repeat(32),
        due_date: due.into(),
        extend_reason: String::new(),
        outcome,
        opinion: String::new(),
        changes: String::new(),
        reviewer: String::new(),
        reviewer_cert: String::new(),
        reviewed_ms: 0,
    }
}

#[tokio::test]
async fn decisions_rounds_and_qualifications_round_trip() {
    for_each_backend(|db: Db| async move {
        let case = sample_case(9);
        let mut d = decision(&case.id);
        let mut tx = db.begin().await.unwrap();
        tx.insert_case(&case).await.unwrap();
        tx.insert_user(&NewUserRow {
            id: "u-legal",
            username: "chenjing",
            display_name: "陈静",
            unit_id: None,
            department_id: None,
            roles: &[Role::LegalOffice],
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            must_change_password: false,
            now_ms: 1_700_000_000_000,
        })
        .await
        .unwrap();
        tx.put_decision(&d).await.unwrap();
        tx.put_round(&round(1, Some(ReviewOutcome::Return), "2026-12-15"))
            .await
            .unwrap();
        tx.put_round(&round(2, None, "2026-12-10")).await.unwrap();
        tx.put_qualification(&QualificationRow {
            user_id: "u-legal".into(),
            cert_no: "A20161234567".into(),
            set_by: "u-admin".into(),
            set_ms: 5,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.decision("dec-1").await.unwrap(), Some(d.clone()));
        assert_eq!(
            db.decisions_of_case(&case.id).await.unwrap(),
            vec![d.clone()]
        );
        let rounds = db.rounds("dec-1").await.unwrap();
        assert_eq!(
            rounds,
            vec![
                round(1, Some(ReviewOutcome::Return), "2026-12-15"),
                round(2, None, "2026-12-10")
            ]
        );
        assert_eq!(
            db.pending_rounds().await.unwrap(),
            vec![round(2, None, "2026-12-10")]
        );
        // Updated in place although rounds refer to the decision.
        let mut tx = db.begin().await.unwrap();
        d.status = DecisionStatus::Reviewed;
        d.marked_reason = "依法须审核".into();
        tx.put_decision(&d).await.unwrap();
        let mut r2 = round(2, Some(ReviewOutcome::ApproveWithChanges), "2026-12-10");
        r2.opinion = "同意".into();
        r2.reviewer = "u-legal".into();
        r2.reviewer_cert = "A20161234567".into();
        r2.reviewed_ms = 9;
        tx.put_round(&r2).await.unwrap();
        tx.put_qualification(&QualificationRow {
            user_id: "u-legal".into(),
            cert_no: String::new(),
            set_by: "u-admin".into(),
            set_ms: 6,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.all_decisions().await.unwrap(), vec![d]);
        assert_eq!(db.rounds("dec-1").await.unwrap()[1], r2);
        assert_eq!(db.all_rounds().await.unwrap().len(), 2);
        assert!(db.pending_rounds().await.unwrap().is_empty());
        assert_eq!(db.qualification("u-legal").await.unwrap(), None, "cleared");
        assert!(db.all_qualifications().await.unwrap().is_empty());
    })
    .await;
}
