//! Preservation holds (R3.7, issue 12) on both backends: placing on a case raises its
//! records' retention to the hold's minimum and the store lock follows; flags propose a
//! hold; lifting needs a reason and an approver; refusals are logged; `verify` replays the
//! holds table against the log.

use jiff::tz::TimeZone;
use liuhen_app::cases::CaseFlag;
use liuhen_app::holds::HoldTarget;
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_app::{AppError, Custody, MovableClock, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;

use crate::retention::{case_with_step, for_each_backend, ingest_one};

fn who(user: &str, name: &str, role: Role) -> Principal {
    Principal {
        user_id: user.into(),
        roles: vec![role],
        unit: Some("甲局".into()),
        department: None,
        officer_name: name.into(),
    }
}

fn refused(r: Result<impl std::fmt::Debug, AppError>) -> &'static str {
    match r {
        Err(AppError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn verify_codes(c: &Custody) -> Vec<&'static str> {
    let report = c
        .verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap();
    report.problems.iter().map(|p| p.code).collect()
}

#[tokio::test]
async fn a_hold_on_a_case_raises_retention_and_lifting_needs_reason_and_approver() {
    for_each_backend(|c, clock, dir| async move {
        let keeper = who("keeper", "赵敏", Role::RecordsKeeper);
        let leader = who("leader", "钱局长", Role::EnforcementLeader);
        let officer = who("officer", "张伟", Role::Officer);
        let id = ingest_one(&c, &dir, &format!("held clip {}", dir.display())).await;
        let (case, step) = case_with_step(&c, "2026-077").await;
        c.link_record(&step, &id, "keeper").await.unwrap();

        // The party objects: the flag proposes the "objection" ground to the keeper.
        assert!(c.hold_proposals(&case).await.unwrap().is_empty());
        c.set_case_flag(&case, CaseFlag::Disputed, true, "当事人提出异议", "keeper")
            .await
            .unwrap();
        let proposed: Vec<String> = c
            .hold_proposals(&case)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.code)
            .collect();
        assert_eq!(proposed, ["objection"]);

        // Only a keeper places a hold, only on a listed ground; refusals are logged.
        let target = HoldTarget::Case(case.clone());
        assert_eq!(
            refused(c.place_hold(&officer, &target, "objection", "").await),
            "hold_not_allowed"
        );
        assert_eq!(
            refused(c.place_hold(&keeper, &target, "whim", "").await),
            "hold_unknown_ground"
        );
        let hold = c
            .place_hold(&keeper, &target, "objection", "当事人对处罚决定提出异议")
            .await
            .unwrap();
        assert!(c.hold_proposals(&case).await.unwrap().is_empty());

        // 30 years from the day it entered custody (worked out with the calendar here).
        let r = c.record(&id).await.unwrap();
        let tz = TimeZone::fixed(jiff::tz::offset(8));
        let want = r
            .stored_at
            .to_zoned_datetime(tz.clone())
            .date()
            .checked_add(jiff::Span::new().years(30).days(1))
            .unwrap()
            .to_zoned_datetime(tz)
            .unwrap()
            .timestamp();
        assert_eq!(r.retain_until, want);
        assert_eq!(c.blobs().retention(&r.sha256).unwrap(), Some(want));
        let shown = c.record_retention(&id).await.unwrap();
        assert_eq!(shown.target.basis.code(), "hold");
        assert_eq!(c.holds_of_record(&id).await.unwrap(), vec![hold.clone()]);

        // Lifting: a reason and an approver (not the keeper).
        clock.advance_years(1);
        assert_eq!(
            refused(c.lift_hold(&leader, &hold.id, "  ").await),
            "hold_reason_required"
        );
        assert_eq!(
            refused(c.lift_hold(&keeper, &hold.id, "异议已处理").await),
            "hold_lift_not_allowed"
        );
        let lifted = c
            .lift_hold(&leader, &hold.id, "复议结束，维持原决定")
            .await
            .unwrap();
        assert!(!lifted.in_force());
        assert_eq!(lifted.lifted_by.as_deref(), Some("leader"));
        assert_eq!(
            refused(c.lift_hold(&leader, &hold.id, "再次").await),
            "hold_already_lifted"
        );
        // The retention it gave stays.
        assert_eq!(c.record(&id).await.unwrap().retain_until, want);
        let refusals = c
            .db()
            .entries_for(&format!("case:{}", hold.target.trim_start_matches("case:")))
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "access.refused")
            .count();
        assert_eq!(refusals, 5);
        assert_eq!(verify_codes(&c).await, Vec::<&str>::new());
    })
    .await;
}

/// Tampering with the holds table (lifting or deleting a hold by hand to clear the way for
/// a disposal) is found by `verify`.
#[tokio::test]
async fn a_hold_lifted_or_deleted_by_hand_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions {
        clock: Some(MovableClock::new()),
        ..OpenOptions::new(dir.path().join("data"))
    })
    .await
    .unwrap();
    let keeper = who("keeper", "赵敏", Role::RecordsKeeper);
    let id = ingest_one(&c, dir.path(), "hold me").await;
    let a = c
        .place_hold(&keeper, &HoldTarget::Record(id.clone()), "obstruction", "")
        .await
        .unwrap();
    let b = c
        .place_hold(
            &keeper,
            &HoldTarget::Record(id.clone()),
            "mass_incident",
            "",
        )
        .await
        .unwrap();
    assert_eq!(verify_codes(&c).await, Vec::<&str>::new());
    let sql = format!(
        "UPDATE holds SET lifted_ms = 1, lifted_by = 'x', lift_reason = 'y' WHERE id = '{}'",
        a.id
    );
    assert_eq!(liuhen_db::testing::tamper(c.db(), &sql).await.unwrap(), 1);
    let sql = format!("DELETE FROM holds WHERE id = '{}'", b.id);
    assert_eq!(liuhen_db::testing::tamper(c.db(), &sql).await.unwrap(), 1);
    let mut codes = verify_codes(&c).await;
    codes.sort();
    assert_eq!(codes, ["hold_edited", "hold_missing"]);
}
