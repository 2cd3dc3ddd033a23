//! The legal-review use cases on both backends with the clock moved by the test (never
//! slept): time limits in working days across the Spring Festival and its make-up day,
//! overdue from the day after, one extension, the return loop, an approval voided by a new
//! draft, and `verify` clean at the end.

use jiff::Timestamp;
use liuhen_app::AppError;
use liuhen_app::cases::NewCase;
use liuhen_app::decisions::NewDecision;
use liuhen_domain::Role;
use liuhen_domain::case::{CaseCategory, CaseFlags};
use liuhen_domain::decision::{DecisionKind, DecisionStatus, PartyType, ReviewOutcome};

use crate::support::{for_each_backend, user};

const GX: &str = "平顶山高新区应急管理局";

/// Beijing time (the shipped `bureau.utc_offset` is +08:00).
fn at(local: &str) -> Timestamp {
    format!("{local}+08:00").parse::<Timestamp>().unwrap()
}

fn code(e: AppError) -> &'static str {
    match e {
        AppError::Refused { code, .. } | AppError::Forbidden { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn review_time_limits_count_working_days_and_the_gate_holds_on_both_backends() {
    for_each_backend(|c| async move {
        let officer = user(&c, "zhangwei", "张伟", &[Role::Officer], GX).await;
        let legal = user(&c, "chenjing", "陈静", &[Role::LegalOffice], GX).await;
        c.set_legal_qualification(
            &user(&c, "sysadmin", "管理员", &[Role::SystemAdmin], GX).await,
            &legal.user_id,
            "A20161234567",
            at("2026-02-01T09:00:00"),
        )
        .await
        .unwrap();
        let case = c
            .create_case(
                &NewCase {
                    number: "平高应急罚〔2026〕7号".into(),
                    name: "某化工有限公司案".into(),
                    category: CaseCategory::Penalty,
                    agency: GX.into(),
                    department: "执法监察大队".into(),
                    parties: vec![],
                    team: vec!["张伟".into()],
                    flags: CaseFlags::default(),
                },
                &officer.user_id,
            )
            .await
            .unwrap();
        let t0 = at("2026-02-12T10:00:00"); // Thursday before the Spring Festival
        let d = c
            .create_decision(
                &officer,
                &case.id,
                &NewDecision {
                    kind: DecisionKind::Coercion,
                    measure: "seal_seize".into(),
                    party_type: PartyType::Organisation,
                    party_name: "平顶山市某化工有限公司".into(),
                    fine_fen: 0,
                    after_hearing: false,
                    summary: "查封违法储存的危险化学品".into(),
                },
                t0,
            )
            .await
            .unwrap();
        assert!(c.needs_review(&d), "查封扣押 is in the catalog");
        c.upload_draft(&officer, &d.id, "查封决定书.txt", b"v1".to_vec(), t0)
            .await
            .unwrap();
        let materials: Vec<String> = [
            "draft_decision",
            "investigation_report",
            "evidence",
            "legal_basis",
        ]
        .map(String::from)
        .to_vec();
        let round = c
            .submit_for_review(&officer, &d.id, &materials, t0)
            .await
            .unwrap();
        // Fri 13 (1), Sat 14 make-up day (2), 15–23 holidays, Tue 24 (3), 25 (4), 26 (5).
        assert_eq!(round.due_date, "2026-02-26");
        let overdue = |now: &str| {
            let c = c.clone();
            let now = at(now);
            async move { c.pending_reviews(now).await.unwrap()[0].overdue }
        };
        assert!(!overdue("2026-02-26T23:59:00").await);
        assert!(overdue("2026-02-27T00:00:00").await);
        // One extension of 5 working days: Fri 27, Sat 28 (make-up), Mon 2, 3, 4 March.
        let r = c
            .extend_review(&legal, &d.id, "案情复杂", at("2026-02-25T09:00:00"))
            .await
            .unwrap();
        assert_eq!(r.due_date, "2026-03-04");
        assert!(!overdue("2026-03-01T12:00:00").await);
        let again = c
            .extend_review(&legal, &d.id, "再延", at("2026-02-25T10:00:00"))
            .await;
        assert_eq!(code(again.unwrap_err()), "already_extended");
        // Returned, resubmitted, approved; a new draft voids the approval.
        let t1 = at("2026-03-02T09:00:00");
        c.review_decision(
            &legal,
            &d.id,
            ReviewOutcome::Return,
            "补充现场检查笔录",
            "",
            t1,
        )
        .await
        .unwrap();
        let issue = c.issue_decision(&officer, &d.id, t1).await;
        assert_eq!(code(issue.unwrap_err()), "review_returned");
        let r2 = c
            .submit_for_review(&officer, &d.id, &materials, t1)
            .await
            .unwrap();
        assert_eq!(r2.round, 2);
        c.review_decision(&legal, &d.id, ReviewOutcome::Approve, "同意", "", t1)
            .await
            .unwrap();
        c.upload_draft(&officer, &d.id, "查封决定书.txt", b"v2".to_vec(), t1)
            .await
            .unwrap();
        let issue = c.issue_decision(&officer, &d.id, t1).await;
        assert_eq!(code(issue.unwrap_err()), "draft_changed");
        c.submit_for_review(&officer, &d.id, &materials, t1)
            .await
            .unwrap();
        c.review_decision(&legal, &d.id, ReviewOutcome::Approve, "同意", "", t1)
            .await
            .unwrap();
        let issued = c.issue_decision(&officer, &d.id, t1).await.unwrap();
        assert_eq!(issued.status, DecisionStatus::Issued);
        let report = c
            .verify(
                liuhen_app::verify::VerifyOptions { fixity: false },
                &liuhen_app::verify::Quiet,
            )
            .await
            .unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
    })
    .await;
}
