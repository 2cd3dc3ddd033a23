//! R4.7: an archived case file is closed. Regression tests of issue 17 on both backends.

use jiff::{SignedDuration, Timestamp};
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{CaseFlag, NewCase, NewStep};
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_app::{AppError, Custody};
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus};
use liuhen_domain::{RecordId, Role};

use crate::support::{for_each_backend, user};

fn refused_as_archived<T: std::fmt::Debug>(r: Result<T, AppError>) {
    match r {
        Err(AppError::Refused { code, message }) => {
            assert_eq!(code, "case_archived");
            // The message names the case (its words are the server's catalogs').
            assert!(
                matches!(message.code, "case_archived" | "evidence_case_archived"),
                "{message}"
            );
        }
        other => panic!("expected the case_archived refusal, got {other:?}"),
    }
}

fn step() -> NewStep {
    let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
    NewStep {
        checklist_row: Some("2.7".into()),
        name: None,
        window: (t0, t0 + SignedDuration::from_mins(30)),
        place: "某公司".into(),
        officers: vec!["李娜".into()],
        on_site: true,
        disputed: false,
    }
}

/// Archived cases could be changed by the team or the keeper, and set back to open.
#[tokio::test]
async fn archived_case_file_is_closed_to_changes() {
    for_each_backend(|c: Custody| async move {
        let deputy = user(&c, "zhouli", "周丽", &[Role::DeputyHead], "高新区局").await;
        let keeper = user(&c, "zhaomin", "赵敏", &[Role::RecordsKeeper], "高新区局").await;
        let case = c
            .create_case(
                &NewCase {
                    number: "高新应急检〔2026〕90号".into(),
                    name: "某公司检查".into(),
                    category: CaseCategory::Inspection,
                    agency: "高新区局".into(),
                    department: "执法监察处".into(),
                    parties: vec![],
                    team: vec!["李娜".into()],
                    flags: CaseFlags::default(),
                },
                &keeper.user_id,
            )
            .await
            .unwrap();
        let st = c
            .add_step(&case.id, &step(), &keeper.user_id)
            .await
            .unwrap();
        let archive = CaseEdit {
            status: Some(CaseStatus::Archived),
            ..CaseEdit::default()
        };
        c.edit_case(&keeper, &case.id, &archive, "结案归档")
            .await
            .unwrap();
        let before = c.case_history(&case.id).await.unwrap().len();

        // Nothing of the file changes: status, team, flags, steps, links.
        let reopen_by_edit = CaseEdit {
            status: Some(CaseStatus::Open),
            ..CaseEdit::default()
        };
        refused_as_archived(
            c.edit_case(&keeper, &case.id, &reopen_by_edit, "补充材料")
                .await,
        );
        let team = CaseEdit {
            team: Some(vec!["李娜".into(), "王强".into()]),
            ..CaseEdit::default()
        };
        refused_as_archived(c.edit_case(&keeper, &case.id, &team, "补录").await);
        refused_as_archived(
            c.set_case_flag(&case.id, CaseFlag::Disputed, true, "补标", &keeper.user_id)
                .await,
        );
        refused_as_archived(c.add_step(&case.id, &step(), &keeper.user_id).await);
        let rid = RecordId::parse("01900000-0000-7000-8000-000000000001").unwrap();
        refused_as_archived(c.link_record(&st.step.id, &rid, &keeper.user_id).await);
        refused_as_archived(
            c.unlink_record(&st.step.id, &rid, "错误关联", &keeper.user_id)
                .await,
        );
        let after = c.case(&case.id).await.unwrap();
        assert_eq!(after.status, CaseStatus::Archived);
        assert_eq!(after.team, vec!["李娜".to_owned()]);
        assert_eq!(c.case_steps(&case.id).await.unwrap().len(), 1);
        assert_eq!(c.case_history(&case.id).await.unwrap().len(), before);

        // Reopening: a reasoned request, approved by a role the configuration names
        // (never the requester).
        assert!(matches!(
            c.reopen_case(&keeper, &case.id, true, "补充证据").await,
            Err(AppError::Refused {
                code: "case_reopen_role",
                ..
            })
        ));
        assert!(matches!(
            c.reopen_case(&deputy, &case.id, true, "同意").await,
            Err(AppError::Refused {
                code: "case_reopen_no_request",
                ..
            })
        ));
        assert!(matches!(
            c.request_reopen(&keeper, &case.id, "  ").await,
            Err(AppError::Invalid(_))
        ));
        c.request_reopen(&keeper, &case.id, "行政复议决定撤销，重新调查")
            .await
            .unwrap();
        assert!(matches!(
            c.reopen_case(&deputy, &case.id, true, "  ").await,
            Err(AppError::Invalid(_))
        ));
        let reopened = c
            .reopen_case(&deputy, &case.id, true, "同意")
            .await
            .unwrap();
        assert_eq!(reopened.status, CaseStatus::Open);
        assert!(matches!(
            c.request_reopen(&keeper, &case.id, "再开").await,
            Err(AppError::Invalid(_))
        ));
        let rename = CaseEdit {
            name: Some("某公司安全生产检查".into()),
            ..CaseEdit::default()
        };
        c.edit_case(&keeper, &case.id, &rename, "更正案件名称")
            .await
            .unwrap();
        // the reopening is in the log and verify replays it
        let report = c
            .verify(VerifyOptions { fixity: false }, &Quiet)
            .await
            .unwrap();
        assert!(report.ok, "{:?}", report.problems);
    })
    .await;
}
