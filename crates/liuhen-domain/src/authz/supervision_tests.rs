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
    let without = crate::access::DEFAULT_POLICY
        .replace("[cases]\n", "")
        .replace(line, "");
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
