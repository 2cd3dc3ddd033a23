//! Table tests of `access`.

use super::*;

#[test]
fn shipped_default_is_valid_and_complete() {
    let p = Policy::default_shipped();
    assert_eq!(
        p.flow(Flow::Copy),
        &[Step::LegalReview, Step::LeaderApproval]
    );
    assert_eq!(p.outside.len(), 9);
    let lawyer = p.outside_type("lawyer").unwrap();
    assert_eq!(lawyer.papers.len(), 5);
    assert!(lawyer.conclusive_only);
    assert!(!p.outside_type("court").unwrap().conclusive_only);
    assert!(p.outside_type("court").unwrap().requisition);
    assert!(p.outside_type("reconsideration").unwrap().requisition);
    assert!(!p.outside_type("lawyer").unwrap().requisition);
    assert_eq!(p.fees.copy_fee(2, 10), 2 * 2000 + 10 * 50);
    assert_eq!(p.labels.len(), 3);
    let attached: BTreeSet<String> = ["id_card".to_owned()].into();
    assert_eq!(
        p.missing_papers("party", &attached),
        vec!["introduction_letter"]
    );
}

/// The shipped loan flow had the deputy head's approval only: A2.10 asks the case-handling
/// department's consent for borrowing as for viewing (R2.8), A4.7 the deputy head's (R4.6).
#[test]
fn loan_needs_the_case_department_consent() {
    let p = Policy::default_shipped();
    assert_eq!(p.flow(Flow::Loan), &[Step::Consent, Step::DeputyApproval]);
    assert_eq!(p.flow(Flow::View), &[Step::Consent]);
}

#[test]
fn bad_policies_name_the_entry() {
    let base = DEFAULT_POLICY;
    let cases: &[(&str, &str, &str)] = &[
        (
            "view_grant = \"168h\"",
            "view_grant = \"soon\"",
            "view_grant",
        ),
        ("view_grant = \"168h\"", "view_grant = \"0s\"", "view_grant"),
        (
            "consent = [\"case_department\"]",
            "consent = [\"boss\"]",
            "boss",
        ),
        (
            "loan = [\"consent\", \"deputy_approval\"]",
            "loan = []",
            "flows.loan",
        ),
        (
            "loan = [\"consent\", \"deputy_approval\"]",
            "loan = [\"mayor\"]",
            "mayor",
        ),
        ("scope = \"own\"", "scope = \"world\"", "rules[1]"),
        ("cases = \"archived\"", "cases = \"closed\"", "closed"),
        (
            "\"audit.view\" = [\"audit_admin\"]",
            "\"record.view\" = [\"audit_admin\"]",
            "system",
        ),
        ("per_page_cents = 50", "per_page_cents = -1", "fees"),
        (
            "papers = [\"introduction_letter\", \"id_card\"]\nconclusive_only = true",
            "papers = [\"visa\"]\nconclusive_only = true",
            "visa",
        ),
        (
            "actions = [\"record.label\"]",
            "actions = [\"users.manage\"]",
            "rules[10]",
        ),
    ];
    for (from, to, needle) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let e = Policy::parse(&text).expect_err(to);
        assert!(e.to_string().contains(needle), "{e} should name {needle}");
    }
    let missing = base.replacen("reconsideration = [\"legal_review\"]", "", 1);
    assert!(
        Policy::parse(&missing)
            .unwrap_err()
            .en
            .contains("reconsideration")
    );
    assert!(Policy::parse("nonsense = 1").is_err());
}
