//! The disposal list (销毁清册, R6.3) six years on, on both backends: a record in no case
//! and one of an archived ordinary case are due; a held record and one of an open case are
//! never listed; only the roles of the policy draw it up.

use liuhen_app::AppError;
use liuhen_app::case_work::CaseEdit;
use liuhen_app::holds::HoldTarget;
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;
use liuhen_domain::case::CaseStatus;
use liuhen_domain::disposal::Standing;

use crate::retention::{case_with_step, for_each_backend, ingest_one};

fn who(user: &str, role: Role) -> Principal {
    Principal {
        user_id: user.into(),
        roles: vec![role],
        unit: Some("甲局".into()),
        department: None,
        officer_name: user.into(),
    }
}

#[tokio::test]
async fn six_years_on_the_disposal_list_leaves_held_and_open_case_records_out() {
    for_each_backend(|c, clock, dir| async move {
        let keeper = who("keeper", Role::RecordsKeeper);
        let tag = dir.display().to_string();
        let alone = ingest_one(&c, &dir, &format!("alone {tag}")).await;
        let held = ingest_one(&c, &dir, &format!("held {tag}")).await;
        let open = ingest_one(&c, &dir, &format!("open {tag}")).await;
        let closed = ingest_one(&c, &dir, &format!("closed {tag}")).await;

        let (held_case, step) = case_with_step(&c, "2026-H").await;
        c.link_record(&step, &held, "keeper").await.unwrap();
        c.edit_case(
            &crate::retention::keeper(),
            &held_case,
            &CaseEdit {
                status: Some(CaseStatus::Archived),
                ..Default::default()
            },
            "归档",
        )
        .await
        .unwrap();
        c.place_hold(
            &keeper,
            &HoldTarget::Case(held_case.clone()),
            "obstruction",
            "",
        )
        .await
        .unwrap();
        let (_, step) = case_with_step(&c, "2026-O").await;
        c.link_record(&step, &open, "keeper").await.unwrap();
        let (closed_case, step) = case_with_step(&c, "2026-C").await;
        c.link_record(&step, &closed, "keeper").await.unwrap();
        c.edit_case(
            &crate::retention::keeper(),
            &closed_case,
            &CaseEdit {
                status: Some(CaseStatus::Archived),
                ..Default::default()
            },
            "归档",
        )
        .await
        .unwrap();

        assert!(c.disposal_due(&keeper).await.unwrap().is_empty());
        clock.advance_years(6);
        let due = c.disposal_due(&keeper).await.unwrap();
        let ids: Vec<_> = due.iter().map(|d| d.record.id.clone()).collect();
        // Own minimum (3 years) ends before the archived ordinary case's (5 from 1 January).
        assert_eq!(ids, [alone.clone(), closed.clone()]);
        assert_eq!(due[1].cases, ["2026-C"]);
        let standing = |id| {
            let c = c.clone();
            async move {
                let r = c.record(&id).await.unwrap();
                c.disposal_standing(&r).await.unwrap()
            }
        };
        assert_eq!(standing(held.clone()).await, Standing::Held);
        assert_eq!(standing(open.clone()).await, Standing::OpenCase);

        let officer = who("officer", Role::Officer);
        match c.disposal_due(&officer).await {
            Err(AppError::Refused { code, .. }) => assert_eq!(code, "disposal_not_allowed"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}
