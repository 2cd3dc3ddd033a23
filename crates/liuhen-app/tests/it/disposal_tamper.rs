//! `verify` replays the disposal tables (lists, items, decisions) against their
//! `disposal.drafted` / `disposal.decided` / `disposal.executed` entries, on both backends:
//! an untouched list verifies; an appraisal rewritten by hand, a decision deleted (a
//! rejection removed so the list could go on), a status moved by hand and an item slipped
//! into an approved list are each caught and named.

use liuhen_app::disposal_list::DraftItem;
use liuhen_app::verify::{Quiet, VerifyOptions, VerifyReport};
use liuhen_app::{Custody, MovableClock};
use liuhen_domain::Role;
use liuhen_domain::approval::StepDecision;
use liuhen_domain::authz::Principal;
use liuhen_domain::disposal_list::ListStatus;

use crate::retention::{for_each_backend, ingest_one};

fn who(user: &str, name: &str, role: Role) -> Principal {
    Principal {
        user_id: user.into(),
        roles: vec![role],
        unit: Some("甲局".into()),
        department: None,
        officer_name: name.into(),
    }
}

/// Two due records, six years on; a list of the first drafted by a keeper, approved by a
/// second keeper and the legal office, the leader's step still open. Returns the list id
/// and the second (unlisted) record.
async fn pending_list(
    c: &Custody,
    clock: &MovableClock,
    dir: &std::path::Path,
) -> (String, String) {
    let tag = dir.display().to_string();
    let listed = ingest_one(c, dir, &format!("listed {tag}")).await;
    let other = ingest_one(c, dir, &format!("not listed {tag}")).await;
    clock.advance_years(6);
    let keeper = who("keeper", "赵敏", Role::RecordsKeeper);
    let list = c
        .draft_disposal_list(
            &keeper,
            "第一批",
            &[DraftItem {
                record: listed,
                appraisal: "保管期限届满，经鉴定无继续保存价值".into(),
            }],
        )
        .await
        .unwrap();
    for p in [
        who("keeper2", "钱立", Role::RecordsKeeper),
        who("legal", "孙法", Role::LegalOffice),
    ] {
        c.decide_disposal_list(&p, &list.row.id, StepDecision::Approve, "同意销毁")
            .await
            .unwrap();
    }
    (list.row.id, other.to_string())
}

async fn verify(c: &Custody) -> VerifyReport {
    c.verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap()
}

fn codes(report: &VerifyReport) -> Vec<&'static str> {
    let mut codes: Vec<_> = report.problems.iter().map(|p| p.code).collect();
    codes.sort();
    codes
}

async fn tamper(c: &Custody, sql: &str) {
    let n = liuhen_db::testing::tamper(c.db(), sql).await.unwrap();
    assert_eq!(n, 1, "{sql}");
}

#[tokio::test]
async fn an_untouched_list_verifies_through_its_execution() {
    for_each_backend(|c, clock, dir| async move {
        let (id, _) = pending_list(&c, &clock, &dir).await;
        assert!(verify(&c).await.ok);
        c.decide_disposal_list(
            &who("lead", "李领", Role::DeputyHead),
            &id,
            StepDecision::Approve,
            "同意销毁",
        )
        .await
        .unwrap();
        c.execute_disposal_list(&who("keeper", "赵敏", Role::RecordsKeeper), &id)
            .await
            .unwrap();
        assert_eq!(
            c.disposal_list(&id).await.unwrap().status,
            ListStatus::Executed
        );
        let report = verify(&c).await;
        assert!(report.ok, "{:?}", report.problems);
    })
    .await;
}

#[tokio::test]
async fn an_edited_disposal_item_is_caught() {
    for_each_backend(|c, clock, dir| async move {
        let (id, _) = pending_list(&c, &clock, &dir).await;
        tamper(
            &c,
            &format!(
                "UPDATE disposal_items SET appraisal = '具有继续保存价值' WHERE list_id = '{id}'"
            ),
        )
        .await;
        let report = verify(&c).await;
        assert_eq!(
            codes(&report),
            ["disposal_item_edited"],
            "{:?}",
            report.problems
        );
        let p = &report.problems[0];
        assert_eq!(p.subject, format!("disposal:{id}"));
        assert!(p.message.contains("具有继续保存价值"), "{}", p.message);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_disposal_decision_is_caught() {
    for_each_backend(|c, clock, dir| async move {
        let (id, _) = pending_list(&c, &clock, &dir).await;
        tamper(
            &c,
            &format!("DELETE FROM disposal_decisions WHERE list_id = '{id}' AND step = 1"),
        )
        .await;
        let report = verify(&c).await;
        assert_eq!(
            codes(&report),
            ["disposal_decision_missing"],
            "{:?}",
            report.problems
        );
        assert!(report.problems[0].message.contains("step 1"));
    })
    .await;
}

#[tokio::test]
async fn a_status_moved_by_hand_and_a_slipped_in_item_are_caught() {
    for_each_backend(|c, clock, dir| async move {
        let (id, other) = pending_list(&c, &clock, &dir).await;
        tamper(
            &c,
            &format!("UPDATE disposal_lists SET status = 'approved' WHERE id = '{id}'"),
        )
        .await;
        tamper(
            &c,
            &format!(
                "INSERT INTO disposal_items (list_id, record_id, appraisal) VALUES ('{id}', '{other}', '到期')"
            ),
        )
        .await;
        let report = verify(&c).await;
        assert_eq!(
            codes(&report),
            ["disposal_item_unlogged", "disposal_list_edited"],
            "{:?}",
            report.problems
        );
    })
    .await;
}
