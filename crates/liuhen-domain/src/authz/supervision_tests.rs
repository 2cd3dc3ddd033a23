//! The supervision scope is policy data (issue 17, R3.12): which cases supervisors see
//! (`[cases] unit_wide`) and which of their records they view, play and review
//! (`[[rules]]`). The shipped policy follows 附件3 第十六条 (regular checks of ongoing work
//! too); a bureau file narrows it to closed files. Answers written out by hand.

use super::tests::{GX, STATES, who, with_scope};
use super::*;
use Action::*;
use Role::*;

/// The shipped policy with supervision narrowed to archived cases and records of no case.
fn narrowed() -> Policy {
    let text = crate::access::DEFAULT_POLICY
        .replace(
            "unit_wide = [\"records_keeper\", \"legal_office\", \"supervisor\", ",
            "unit_wide = [\"records_keeper\", \"legal_office\", ",
        )
        .replace(
            "roles = [\"supervisor\"]\nactions = [\"record.view\", \"record.play\"]\nscope = \"unit\"\ncases = \"any\"",
            "roles = [\"supervisor\"]\nactions = [\"record.view\", \"record.play\"]\nscope = \"unit\"\ncases = \"archived_or_none\"",
        )
        .replace(
            "roles = [\"supervisor\"]\nactions = [\"record.review\"]\nscope = \"unit\"\ncases = \"any\"",
            "roles = [\"supervisor\"]\nactions = [\"record.review\"]\nscope = \"unit\"\ncases = \"archived_or_none\"",
        );
    assert_ne!(text, crate::access::DEFAULT_POLICY);
    Policy::parse(&text).expect("the narrowed bureau file is valid")
}

#[test]
fn supervision_scope_is_policy_data_and_a_bureau_file_narrows_it() {
    let shipped = Policy::default_shipped();
    let bureau = narrowed();
    assert!(shipped.unit_case_viewers.contains(&Supervisor));
    assert!(!bureau.unit_case_viewers.contains(&Supervisor));
    let sup = who(&[Supervisor], GX, Some("法规科"), "吴芳");
    let team = ["u-李娜".to_owned()];
    let case = Target::Case(CaseScope {
        agency: Some(GX),
        department: Some("执法监察大队"),
        team_ids: &team,
    });
    let allow = Decision::Allow;
    let deny = |d: Decision| d != Decision::Allow;
    // Cases: the unit's (ongoing and archived) with the shipped policy, none narrowed.
    assert_eq!(case_visibility(&shipped, &sup).unit.as_deref(), Some(GX));
    assert_eq!(decide(&shipped, &sup, ViewCase, case), allow);
    assert!(case_visibility(&bureau, &sup).nothing());
    assert!(deny(decide(&bureau, &sup, ViewCase, case)));
    // Records: (state, action, shipped, narrowed), by hand from the two files.
    let state = |n: &str| STATES.iter().find(|s| s.name == n).unwrap();
    let table = [
        ("other, open case", ViewRecord, true, false),
        ("other, open case", PlayRecord, true, false),
        ("other, open case", ReviewRecord, true, false),
        ("other, archived", ViewRecord, true, true),
        ("other, archived", ReviewRecord, true, true),
        ("colleague, no case", ViewRecord, true, true),
        ("colleague, no case", ReviewRecord, true, true),
        ("other unit", ViewRecord, false, false),
    ];
    for (name, action, in_shipped, in_bureau) in table {
        for (policy, want, which) in [
            (&shipped, in_shipped, "shipped"),
            (&bureau, in_bureau, "bureau"),
        ] {
            let got = with_scope(state(name), |r| {
                decide(policy, &sup, action, Target::Record(r))
            });
            assert_eq!(got == allow, want, "{which}: {name} {}", action.code());
        }
    }
    // A policy without [cases] keeps the shipped list; an unknown role is an error.
    let line = crate::access::DEFAULT_POLICY
        .lines()
        .find(|l| l.starts_with("unit_wide = "))
        .unwrap();
    // The whole `[cases]` table gone: its keys' lines and its header.
    let without: String = crate::access::DEFAULT_POLICY
        .replace("[cases]\n", "")
        .replace(line, "")
        .lines()
        .filter(|l| {
            !["unit_managers = ", "team = ", "department = "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let default = Policy::parse(&without).unwrap();
    assert_eq!(
        default.unit_case_viewers,
        crate::access::DEFAULT_UNIT_CASE_VIEWERS.to_vec()
    );
    let bad = crate::access::DEFAULT_POLICY.replace(
        "unit_wide = [\"records_keeper\"",
        "unit_wide = [\"inspector\"",
    );
    let e = Policy::parse(&bad).unwrap_err().to_string();
    assert!(
        e.contains("cases.unit_wide") && e.contains("inspector"),
        "{e}"
    );
}

/// Issue 11: the case and supervision role lists are the policy file's. A bureau file that
/// lets only the legal office run draws, has the department head acknowledge signals, lets
/// case departments manage their cases' teams' work as a team role, and leaves the records
/// keeper out of the unit's managers: each change takes effect; answers by hand.
#[test]
fn case_and_supervision_role_lists_are_policy_data() {
    let text = crate::access::DEFAULT_POLICY
        .replace(
            "draws_run = [\"supervisor\", \"legal_office\"]",
            "draws_run = [\"legal_office\"]",
        )
        .replace(
            "alerts_acknowledge = [\"supervisor\"]",
            "alerts_acknowledge = [\"supervisor\", \"department_head\"]",
        )
        .replace("unit_managers = [\"records_keeper\"]", "unit_managers = []")
        .replace(
            "team = [\"officer\", \"camera_operator\"]",
            "team = [\"officer\"]",
        );
    assert_ne!(text, crate::access::DEFAULT_POLICY);
    let bureau = Policy::parse(&text).expect("the bureau file is valid");
    let shipped = Policy::default_shipped();
    let sup = who(&[Supervisor], GX, None, "吴芳");
    let head = who(&[DepartmentHead], GX, None, "王局");
    let keeper = who(&[RecordsKeeper], GX, None, "赵敏");
    let operator = who(&[CameraOperator], GX, None, "李娜");
    let team = [operator.user_id.clone()];
    let case = Target::Case(CaseScope {
        agency: Some(GX),
        department: Some("执法监察大队"),
        team_ids: &team,
    });
    let allowed =
        |p: &Policy, w: &Principal, a: Action, t: Target<'_>| decide(p, w, a, t) == Decision::Allow;
    // (who, action, target, shipped, bureau)
    let table: [(&Principal, Action, Target<'_>, bool, bool); 8] = [
        (&sup, RunDraw, Target::System, true, false),
        (&sup, AcknowledgeAlert, Target::System, true, true),
        (&head, AcknowledgeAlert, Target::System, false, true),
        (&head, ViewAlerts, Target::System, false, false),
        (&keeper, ManageCase, case, true, false),
        (&keeper, ViewCase, case, true, true),
        (&operator, ManageCase, case, true, false),
        (&operator, ViewCase, case, true, false),
    ];
    for (w, a, t, want_shipped, want_bureau) in table {
        assert_eq!(
            allowed(&shipped, w, a, t),
            want_shipped,
            "shipped {:?} {a:?}",
            w.roles
        );
        assert_eq!(
            allowed(&bureau, w, a, t),
            want_bureau,
            "bureau {:?} {a:?}",
            w.roles
        );
    }
    // A role the file does not know is refused with the entry named.
    let bad = crate::access::DEFAULT_POLICY.replace(
        "draws_run = [\"supervisor\", \"legal_office\"]",
        "draws_run = [\"mayor\"]",
    );
    let e = Policy::parse(&bad).unwrap_err();
    assert!(
        e.en.contains("supervision.draws_run") && e.en.contains("mayor"),
        "{e}"
    );
}
