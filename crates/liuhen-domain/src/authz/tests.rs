//! Table tests of `authz`.

use super::*;
use Action::*;
use Role::*;

pub(super) const GX: &str = "高新区应急管理局";
const WD: &str = "卫东区应急管理局";

pub(super) fn who(roles: &[Role], unit: &str, dept: Option<&str>, name: &str) -> Principal {
    Principal {
        user_id: format!("u-{name}"),
        roles: roles.to_vec(),
        unit: Some(unit.into()),
        department: dept.map(str::to_owned),
        officer_name: name.into(),
    }
}

pub(super) struct State {
    pub(super) name: &'static str,
    agency: &'static str,
    officer: &'static str,
    case: Option<(&'static str, bool, &'static [&'static str])>,
    labels: &'static [&'static str],
    grant: Option<(bool, bool)>, // (expired, revoked)
}

pub(super) const STATES: &[State] = &[
    State {
        name: "own, no case",
        agency: GX,
        officer: "张伟",
        case: None,
        labels: &[],
        grant: None,
    },
    State {
        name: "colleague, no case",
        agency: GX,
        officer: "李娜",
        case: None,
        labels: &[],
        grant: None,
    },
    State {
        name: "other unit",
        agency: WD,
        officer: "王芳",
        case: None,
        labels: &[],
        grant: None,
    },
    State {
        name: "team, open case",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", false, &["张伟", "李娜"])),
        labels: &[],
        grant: None,
    },
    State {
        name: "other, open case",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", false, &["李娜"])),
        labels: &[],
        grant: None,
    },
    State {
        name: "other, archived",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["李娜"])),
        labels: &[],
        grant: None,
    },
    State {
        name: "team, archived",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["张伟"])),
        labels: &[],
        grant: None,
    },
    State {
        name: "personal info",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["李娜"])),
        labels: &["personal_info"],
        grant: None,
    },
    State {
        name: "state secret",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["李娜"])),
        labels: &["state_secret"],
        grant: None,
    },
    State {
        name: "granted",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["李娜"])),
        labels: &[],
        grant: Some((false, false)),
    },
    State {
        name: "granted, personal info",
        agency: GX,
        officer: "李娜",
        case: None,
        labels: &["personal_info"],
        grant: Some((false, false)),
    },
    State {
        name: "granted, state secret",
        agency: GX,
        officer: "李娜",
        case: None,
        labels: &["state_secret"],
        grant: Some((false, false)),
    },
    State {
        name: "expired grant",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", true, &["李娜"])),
        labels: &[],
        grant: Some((true, false)),
    },
    State {
        name: "revoked grant",
        agency: GX,
        officer: "李娜",
        case: None,
        labels: &[],
        grant: Some((false, true)),
    },
    State {
        name: "granted, open case",
        agency: GX,
        officer: "李娜",
        case: Some(("危化科", false, &["李娜"])),
        labels: &[],
        grant: Some((false, false)),
    },
];

pub(super) fn with_scope<T>(s: &State, f: impl FnOnce(RecordScope<'_>) -> T) -> T {
    let team: Vec<String> = s
        .case
        .map(|c| c.2.iter().map(|m| format!("u-{m}")).collect())
        .unwrap_or_default();
    let officer_id = format!("u-{}", s.officer);
    let cases: Vec<CaseFacts> = s
        .case
        .map(|(dept, archived, _)| CaseFacts {
            id: "c1",
            department: dept,
            archived,
            team_ids: &team,
        })
        .into_iter()
        .collect();
    let labels: Vec<String> = s.labels.iter().map(|l| (*l).to_owned()).collect();
    let actions = [ViewRecord, PlayRecord];
    let grants: Vec<GrantFacts> = s
        .grant
        .map(|(expired, revoked)| GrantFacts {
            id: "g1",
            actions: &actions,
            expires_ms: if expired { 500 } else { 2_000 },
            revoked,
        })
        .into_iter()
        .collect();
    f(RecordScope {
        agency: Some(s.agency),
        officer_id: Some(&officer_id),
        cases: &cases,
        labels: &labels,
        grants: &grants,
        now_ms: 1_000,
        pending_request: None,
    })
}

/// Every role × record state × record action, against the answer written out by hand.
/// In the "granted" states the grant is the person's own (an approved request).
/// (V = view, P = play, D = download, E = edit, L = label, C = copy; lower case none).
/// Supervisors checked only closed files: 附件3 第十六条 asks regular checks of ongoing work
/// too (R3.12), so the shipped policy lets them view, play and review the unit's records of
/// open cases (the column "supervisor" of rows "team, open case", "other, open case" and
/// "granted, open case" in `policy_table`).
#[test]
fn supervisors_check_ongoing_work_per_a3_16() {
    let policy = Policy::default_shipped();
    let supervisor = who(&[Supervisor], GX, Some("法规科"), "吴芳");
    let open = STATES
        .iter()
        .find(|s| s.name == "other, open case")
        .unwrap();
    for action in [ViewRecord, PlayRecord, ReviewRecord] {
        let got = with_scope(open, |r| {
            decide(&policy, &supervisor, action, Target::Record(r))
        });
        assert_eq!(got, Decision::Allow, "{}", action.code());
    }
    let other_unit = STATES.iter().find(|s| s.name == "other unit").unwrap();
    let got = with_scope(other_unit, |r| {
        decide(&policy, &supervisor, ViewRecord, Target::Record(r))
    });
    assert_ne!(got, Decision::Allow, "one unit's supervision");
}

#[test]
fn policy_table() {
    let policy = Policy::default_shipped();
    let officer = who(&[Officer], GX, Some("大队"), "张伟");
    let keeper = who(&[RecordsKeeper], GX, Some("办公室"), "赵敏");
    let dept = who(&[CaseDepartment], GX, Some("危化科"), "郭磊");
    let legal = who(&[LegalOffice], GX, Some("法规科"), "陈静");
    let archive = who(&[ArchiveKeeper], GX, Some("办公室"), "徐明");
    let supervisor = who(&[Supervisor], GX, Some("法规科"), "吴芳");
    let leader = who(&[EnforcementLeader], GX, None, "杨军");
    let sec = who(&[SecurityAdmin], GX, None, "保密员");
    let sys = who(&[SystemAdmin], GX, None, "管理员");
    let people: [(&str, &Principal); 9] = [
        ("officer", &officer),
        ("keeper", &keeper),
        ("dept", &dept),
        ("legal", &legal),
        ("archive", &archive),
        ("supervisor", &supervisor),
        ("leader", &leader),
        ("security", &sec),
        ("sysadmin", &sys),
    ];
    // One row per state; one column per person, in the order above.
    let expected: [[&str; 9]; 15] = [
        ["VP", "VPDELC", "", "", "", "VP", "", "L", ""],
        ["", "VPDELC", "", "", "", "VP", "", "L", ""],
        ["", "", "", "", "", "", "", "L", ""],
        ["VP", "VEL", "VP", "", "", "VP", "", "L", ""],
        ["", "VEL", "VP", "", "", "VP", "", "L", ""],
        ["", "VPDELC", "VP", "", "VP", "VP", "", "L", ""],
        ["VP", "VPDELC", "VP", "", "VP", "VP", "", "L", ""],
        ["", "VPDELC", "VP", "", "", "VP", "", "L", ""],
        ["", "VPDELC", "", "", "", "", "", "L", ""],
        ["VP", "VPDELC", "VP", "VP", "VP", "VP", "VP", "LVP", "VP"],
        ["VP", "VPDELC", "VP", "VP", "VP", "VP", "VP", "LVP", "VP"],
        ["", "VPDELC", "", "", "", "", "VP", "LVP", ""],
        ["", "VPDELC", "VP", "", "VP", "VP", "", "L", ""],
        ["", "VPDELC", "", "", "", "VP", "", "L", ""],
        ["", "VEL", "VP", "", "", "VP", "", "L", ""],
    ];
    let letters = [
        ('V', ViewRecord),
        ('P', PlayRecord),
        ('D', DownloadOriginal),
        ('E', EditRecord),
        ('L', LabelRecord),
        ('C', MakeCopy),
    ];
    let mut mismatches = Vec::new();
    for (s, row) in STATES.iter().zip(expected) {
        for ((name, p), want) in people.iter().zip(row) {
            for (letter, action) in letters {
                let got = with_scope(s, |r| decide(&policy, p, action, Target::Record(r)));
                if (got == Decision::Allow) != want.contains(letter) {
                    mismatches.push(format!("{} / {name} / {}: {got:?}", s.name, action.code()));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn deny_reasons() {
    let policy = Policy::default_shipped();
    let officer = who(&[Officer], GX, Some("大队"), "张伟");
    let keeper = who(&[RecordsKeeper], GX, None, "赵敏");
    let reason = |p: &Principal, state: usize, a: Action| {
        with_scope(&STATES[state], |r| decide(&policy, p, a, Target::Record(r)))
    };
    use DenyReason::*;
    assert_eq!(
        reason(&officer, 0, DownloadOriginal),
        Decision::Deny(RoleNotPermitted)
    );
    assert_eq!(
        reason(&officer, 1, ViewRecord),
        Decision::Deny(OutsideScope)
    );
    assert_eq!(
        reason(&officer, 8, ViewRecord),
        Decision::Deny(Confidential)
    );
    assert_eq!(
        reason(&officer, 12, ViewRecord),
        Decision::Deny(GrantExpired)
    );
    assert_eq!(
        reason(&officer, 13, PlayRecord),
        Decision::Deny(GrantRevoked)
    );
    assert_eq!(
        reason(&officer, 14, ViewRecord),
        Decision::Deny(CaseNotArchived)
    );
    assert_eq!(
        reason(&keeper, 4, PlayRecord),
        Decision::Deny(CaseNotArchived)
    );
    assert_eq!(
        decide(&policy, &officer, ViewRecord, Target::System),
        Decision::Deny(WrongTarget)
    );
    assert_eq!(
        decide(
            &policy,
            &officer,
            UploadRecord,
            Target::Record(RecordScope::plain(None, None))
        ),
        Decision::Deny(WrongTarget)
    );
    let v = with_scope(&STATES[9], |r| {
        decide_detail(&policy, &officer, PlayRecord, Target::Record(r))
            .via_grant
            .map(str::to_owned)
    });
    assert_eq!(v.as_deref(), Some("g1"));
    let v = with_scope(&STATES[0], |r| {
        decide_detail(&policy, &officer, PlayRecord, Target::Record(r))
            .via_grant
            .is_none()
    });
    assert!(v);
}

#[test]
fn system_actions() {
    let policy = Policy::default_shipped();
    let table: &[(Role, Action, bool)] = &[
        (Officer, UploadRecord, true),
        (Officer, FileRequest, true),
        (Officer, DecideRequest, false),
        (LegalOffice, DecideRequest, true),
        (EnforcementLeader, DecideRequest, true),
        (DeputyHead, DecideRequest, true),
        (RecordsKeeper, RegisterOutside, true),
        (RecordsKeeper, HandleRequest, true),
        (Officer, HandleRequest, false),
        (SystemAdmin, ManageUsers, true),
        (SystemAdmin, FileRequest, false),
        (AuditAdmin, ViewAuditLog, true),
        (AuditAdmin, ManageUsers, false),
        (SecurityAdmin, ManageSecurity, true),
        (ExternalRequester, FileRequest, false),
    ];
    for (role, action, ok) in table {
        let p = who(&[*role], GX, None, "x");
        assert_eq!(
            decide(&policy, &p, *action, Target::System) == Decision::Allow,
            *ok,
            "{role} {action:?}"
        );
    }
}

#[test]
fn visibility_agrees_with_decide() {
    let policy = Policy::default_shipped();
    let mut checked = 0;
    for role in Role::ALL {
        for dept in [None, Some("危化科"), Some("大队")] {
            let p = who(&[role], GX, dept, "张伟");
            let v = record_visibility(&policy, &p, 1_000);
            for s in STATES {
                let (d, a) = with_scope(s, |r| {
                    (
                        decide(&policy, &p, ViewRecord, Target::Record(r)) == Decision::Allow,
                        v.admits(&r),
                    )
                });
                assert_eq!(d, a, "{role} {dept:?} {}", s.name);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 14 * 3 * STATES.len());
}

#[test]
fn case_policy_table() {
    let policy = Policy::default_shipped();
    let team = vec!["u-张伟".to_owned(), "u-李娜".to_owned()];
    let case = CaseScope {
        agency: Some(GX),
        department: Some("执法一科"),
        team_ids: &team,
    };
    let other_unit = CaseScope {
        agency: Some(WD),
        department: Some("执法一科"),
        team_ids: &[],
    };
    let member = who(&[Officer], GX, None, "张伟");
    let outsider = who(&[Officer], GX, None, "王芳");
    let keeper = who(&[RecordsKeeper], GX, None, "赵敏");
    let supervisor = who(&[Supervisor], GX, None, "督察");
    let legal = who(&[LegalOffice], GX, None, "法规");
    let leader = who(&[EnforcementLeader], GX, None, "领导");
    let dept = who(&[CaseDepartment], GX, Some("执法一科"), "处室");
    let other_dept = who(&[CaseDepartment], GX, Some("执法二科"), "处室");
    let sysadmin = who(&[SystemAdmin], GX, None, "管理员");
    let auditor = who(&[AuditAdmin], GX, None, "审计员");
    let allow = Decision::Allow;
    let scope = Decision::Deny(DenyReason::OutsideScope);
    let role = Decision::Deny(DenyReason::RoleNotPermitted);
    let wrong = Decision::Deny(DenyReason::WrongTarget);
    let c = Target::Case(case);
    let o = Target::Case(other_unit);
    let rec = Target::Record(RecordScope::plain(Some(GX), Some("u-张伟")));
    let rec_other = Target::Record(RecordScope::plain(Some(WD), Some("u-王芳")));
    let rows: Vec<(&Principal, Action, Target, Decision)> = vec![
        (&member, ViewCase, c, allow),
        (&member, ManageCase, c, allow),
        (&outsider, ViewCase, c, scope),
        (&outsider, ManageCase, c, scope),
        (&keeper, ViewCase, c, allow),
        (&keeper, ManageCase, c, allow),
        (&keeper, ManageCase, o, scope),
        (&keeper, ViewCase, o, scope),
        (&supervisor, ViewCase, c, allow),
        (&supervisor, ManageCase, c, role),
        (&supervisor, ViewCase, o, scope),
        (&legal, ViewCase, c, allow),
        (&legal, ManageCase, c, role),
        (&leader, ViewCase, c, allow),
        (&dept, ViewCase, c, allow),
        (&dept, ManageCase, c, role),
        (&other_dept, ViewCase, c, scope),
        (&sysadmin, ViewCase, c, role),
        (&sysadmin, ManageCase, c, role),
        (&auditor, ViewCase, c, role),
        (&keeper, ReviewRecord, rec, allow),
        (&keeper, ReviewRecord, rec_other, scope),
        (&supervisor, ReviewRecord, rec, allow),
        (&member, ReviewRecord, rec, role),
        (&keeper, ViewCase, rec, wrong),
        (&keeper, ViewRecord, c, wrong),
    ];
    for (p, action, target, expected) in rows {
        assert_eq!(
            decide(&policy, p, action, target),
            expected,
            "{:?} {action:?} {target:?}",
            p.roles
        );
    }
}

#[test]
fn case_visibility_agrees_with_decide() {
    let dept = who(&[CaseDepartment], "甲局", Some("一科"), "处室");
    let v = case_visibility(&Policy::default_shipped(), &dept);
    assert_eq!(v.department, Some(("甲局".into(), "一科".into())));
    assert!(v.unit.is_none() && v.team_member.is_none());
    let officer = case_visibility(
        &Policy::default_shipped(),
        &who(&[Officer], "甲局", None, "张伟"),
    );
    assert_eq!(officer.team_member.as_deref(), Some("u-张伟"));
    assert!(officer.unit.is_none());
    let supervisor = case_visibility(
        &Policy::default_shipped(),
        &who(&[Supervisor], "甲局", None, "x"),
    );
    assert_eq!(supervisor.unit.as_deref(), Some("甲局"));
    assert!(
        case_visibility(
            &Policy::default_shipped(),
            &who(&[SecurityAdmin], "甲局", None, "x")
        )
        .nothing()
    );
}

/// Issue 10.1: the same display name in another unit is another person. An account of
/// 卫东区 named 张伟 is neither the officer of 高新区 张伟's records nor on his case team,
/// so it sees none of them, a 国家秘密-labelled one included; an unmapped officer's
/// record is nobody's own.
#[test]
fn same_display_name_in_another_unit_is_not_the_officer() {
    let policy = Policy::default_shipped();
    let mut other = who(&[Officer], WD, Some("大队"), "张伟");
    other.user_id = "u-wd-zhangwei".into();
    let mine = who(&[Officer], GX, Some("大队"), "张伟");
    let team = vec!["u-张伟".to_owned()];
    let cases = [CaseFacts {
        id: "c1",
        department: "大队",
        archived: false,
        team_ids: &team,
    }];
    let secret = vec!["state_secret".to_owned()];
    let own = RecordScope::plain(Some(GX), Some("u-张伟"));
    let in_case = RecordScope {
        cases: &cases,
        ..RecordScope::plain(Some(GX), None)
    };
    let labelled = RecordScope {
        labels: &secret,
        ..own
    };
    let case = Target::Case(CaseScope {
        agency: Some(GX),
        department: Some("大队"),
        team_ids: &team,
    });
    // (who, action, target, allowed) written out by hand.
    let rows: Vec<(&Principal, Action, Target, bool)> = vec![
        (&mine, ViewRecord, Target::Record(own), true),
        (&mine, ViewRecord, Target::Record(in_case), true),
        (&mine, ViewRecord, Target::Record(labelled), true),
        (&mine, ManageCase, case, true),
        (&other, ViewRecord, Target::Record(own), false),
        (&other, EditRecord, Target::Record(own), false),
        (&other, ViewRecord, Target::Record(in_case), false),
        (&other, ViewRecord, Target::Record(labelled), false),
        (&other, ViewCase, case, false),
        (&other, ManageCase, case, false),
        // Unmapped officer: nobody's own, whatever the name.
        (
            &mine,
            ViewRecord,
            Target::Record(RecordScope::plain(Some(GX), None)),
            false,
        ),
    ];
    for (p, action, target, allowed) in rows {
        assert_eq!(
            decide(&policy, p, action, target) == Decision::Allow,
            allowed,
            "{} {action:?} {target:?}",
            p.user_id
        );
        if action == ViewRecord
            && let Target::Record(r) = target
        {
            let v = record_visibility(&policy, p, 0);
            assert_eq!(v.admits(&r), allowed, "visibility {} {r:?}", p.user_id);
        }
    }
}
