//! The approvals inbox is selected by unit and by the steps a reader may decide in SQL
//! (issue 17): it read the newest 500 requests of all units and filtered afterwards, so in
//! a bureau with several units pending requests disappeared from approvers' inboxes.

use liuhen_db::{Db, RequestQuery, RequestRow};

use crate::support::for_each_backend;

const UNITS: [&str; 3] = ["高新区应急管理局", "卫东区应急管理局", "新华区应急管理局"];

/// Request `i`: unit A holds the 600 oldest, B the next 700, C the 700 newest; kinds and
/// flows cycle loan / copy / view / approved copy; every tenth odd one was refused.
fn request(i: usize) -> RequestRow {
    let unit = if i < 600 {
        UNITS[0]
    } else if i < 1300 {
        UNITS[1]
    } else {
        UNITS[2]
    };
    let (kind, flow): (&str, &[&str]) = match i % 4 {
        0 => ("loan", &["consent", "deputy_approval"]),
        1 | 3 => ("copy", &["legal_review", "leader_approval"]),
        _ => ("view", &["consent"]),
    };
    let status = if i % 4 == 3 {
        "approved"
    } else if i % 10 == 9 {
        "refused"
    } else {
        "pending"
    };
    RequestRow {
        id: format!("req-{i:04}"),
        kind: kind.into(),
        flow: flow.iter().map(|s| (*s).to_owned()).collect(),
        filed_by: format!("u-{}", i % 7),
        requester_name: "张伟".into(),
        requester_type: "internal".into(),
        purpose: "整改复查".into(),
        agency: unit.into(),
        basis: "b".into(),
        status: status.into(),
        filed_ms: 1_700_000_000_000 + i as i64,
        ..Default::default()
    }
}

/// The same selection written plainly over the generated rows, newest first.
fn expected(unit: &str, steps: &[&str], keeper: bool) -> Vec<String> {
    let all: Vec<RequestRow> = (0..2000).map(request).collect();
    let mut pending: Vec<&RequestRow> = all
        .iter()
        .filter(|r| r.agency == unit && r.status == "pending")
        .filter(|r| r.flow.iter().any(|s| steps.contains(&s.as_str())))
        .collect();
    let mut approved: Vec<&RequestRow> = all
        .iter()
        .filter(|r| keeper && r.agency == unit && r.status == "approved" && r.kind != "view")
        .collect();
    pending.sort_by_key(|r| std::cmp::Reverse(r.filed_ms));
    approved.sort_by_key(|r| std::cmp::Reverse(r.filed_ms));
    pending
        .into_iter()
        .chain(approved)
        .map(|r| r.id.clone())
        .collect()
}

fn ids(rows: &[RequestRow]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test]
async fn approvals_inbox_selects_by_unit_with_three_units_and_2000_requests() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        for i in 0..2000 {
            tx.insert_request(&request(i)).await.unwrap();
        }
        tx.commit().await.unwrap();

        // The oldest unit's deputy head sees all its pending loans: 150 of them, although
        // 1,400 newer requests of other units were filed after them.
        let deputy = db
            .inbox_requests(UNITS[0], &["deputy_approval"], false, 2000)
            .await
            .unwrap();
        assert_eq!(
            ids(&deputy),
            expected(UNITS[0], &["deputy_approval"], false)
        );
        assert_eq!(deputy.len(), 150);
        assert!(
            deputy
                .iter()
                .all(|r| r.agency == UNITS[0] && r.kind == "loan")
        );

        for unit in UNITS {
            for steps in [
                &["consent"][..],
                &["legal_review", "leader_approval"],
                &["deputy_approval"],
                &[],
            ] {
                for keeper in [false, true] {
                    let got = db.inbox_requests(unit, steps, keeper, 2000).await.unwrap();
                    assert_eq!(
                        ids(&got),
                        expected(unit, steps, keeper),
                        "{unit} {steps:?} keeper={keeper}"
                    );
                }
            }
        }
        // The limit keeps the newest pending first.
        let few = db
            .inbox_requests(UNITS[1], &["consent"], true, 10)
            .await
            .unwrap();
        assert_eq!(ids(&few), expected(UNITS[1], &["consent"], true)[..10]);

        // A whole unit's list: that unit only.
        let unit_c = db
            .requests(&RequestQuery {
                agency: Some(UNITS[2].into()),
                limit: 2000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(unit_c.len(), 700);
        assert!(unit_c.iter().all(|r| r.agency == UNITS[2]));
    })
    .await;
}
