//! Table tests of the reviewer's view (issue 18): who must decide a pending request's step
//! views and plays its records, and nothing more.

use super::tests::{GX, who};
use super::*;
use Action::*;
use Role::*;

type Row<'a> = (
    &'a str,
    &'a Principal,
    Action,
    RecordScope<'a>,
    Decision,
    Option<&'a str>,
);

#[test]
fn the_decider_sees_what_he_decides() {
    let policy = Policy::default_shipped();
    let legal = who(&[LegalOffice], GX, Some("法规科"), "孙丽");
    let leader = who(&[EnforcementLeader], GX, None, "赵强");
    let team = vec!["u-张伟".to_owned()];
    let open = [CaseFacts {
        id: "c1",
        department: "大队",
        archived: false,
        team_ids: &team,
    }];
    let secret = vec!["state_secret".to_owned()];
    let trade = vec!["trade_secret".to_owned()];
    let plain = RecordScope {
        cases: &open,
        ..RecordScope::plain(Some(GX), Some("u-张伟"))
    };
    let pending = RecordScope {
        pending_request: Some("q1"),
        ..plain
    };
    let pending_secret = RecordScope {
        labels: &secret,
        ..pending
    };
    let pending_trade = RecordScope {
        labels: &trade,
        ..pending
    };
    let no_case_pending = RecordScope {
        pending_request: Some("q1"),
        ..RecordScope::plain(Some(GX), None)
    };
    let deny = |r| Decision::Deny(r);
    use DenyReason::*;
    // (name, who, action, scope, decision, via_request), written out by hand.
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("no request: the legal office sees nothing", &legal, ViewRecord, plain, deny(RoleNotPermitted), None),
        ("reviewing: views", &legal, ViewRecord, pending, Decision::Allow, Some("q1")),
        ("reviewing: plays, though the case is open", &legal, PlayRecord, pending, Decision::Allow, Some("q1")),
        ("reviewing: never downloads", &legal, DownloadOriginal, pending, deny(RoleNotPermitted), None),
        ("reviewing: never edits", &legal, EditRecord, pending, deny(RoleNotPermitted), None),
        ("reviewing: never copies", &legal, MakeCopy, pending, deny(RoleNotPermitted), None),
        ("reviewing: a record of no case", &leader, PlayRecord, no_case_pending, Decision::Allow, Some("q1")),
        ("a state secret needs clearance", &legal, ViewRecord, pending_secret, deny(Confidential), None),
        ("a cleared leader sees the state secret", &leader, ViewRecord, pending_secret, Decision::Allow, Some("q1")),
        ("a grantable label opens as for a grant", &leader, PlayRecord, pending_trade, Decision::Allow, Some("q1")),
    ];
    for (name, p, action, scope, decision, via) in rows {
        let v = decide_detail(&policy, p, action, Target::Record(scope));
        assert_eq!((v.decision, v.via_request), (decision, via), "{name}");
    }
    // A rule of one's roles allows it anyway: the verdict names no request.
    let keeper = who(&[RecordsKeeper], GX, None, "赵敏");
    let v = decide_detail(&policy, &keeper, ViewRecord, Target::Record(pending));
    assert_eq!((v.decision, v.via_request), (Decision::Allow, None));
    // The list of records one sees is not widened: only the request's page shows them.
    assert!(!record_visibility(&policy, &legal, 0).admits(&pending));
}
