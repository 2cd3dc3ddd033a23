use super::*;

fn person(id: &str, roles: &[Role]) -> Principal {
    Principal {
        user_id: id.into(),
        roles: roles.to_vec(),
        unit: None,
        department: None,
        officer_name: id.into(),
    }
}

const CHAIN: [Role; 3] = [Role::RecordsKeeper, Role::LegalOffice, Role::DeputyHead];

fn approved(step: usize, by: &str) -> Decision {
    Decision {
        step,
        role: CHAIN[step],
        approver_id: by.into(),
        decision: StepDecision::Approve,
        reason: "已到期，无保存价值".into(),
        decided_ms: 0,
    }
}

type Row<'a> = (
    &'a [Decision],
    ListStatus,
    &'a Principal,
    StepDecision,
    &'a str,
    Result<(usize, Role, ListStatus), DisposalRefusal>,
);

#[test]
fn decide_table() {
    let keeper2 = person("k2", &[Role::RecordsKeeper]);
    let drafter = person("k1", &[Role::RecordsKeeper, Role::LegalOffice]);
    let legal = person("l1", &[Role::LegalOffice]);
    let both = person("kb", &[Role::RecordsKeeper, Role::LegalOffice]);
    let lead = person("d1", &[Role::DeputyHead]);
    let none: Vec<Decision> = vec![];
    let one = vec![approved(0, "kb")];
    let two = vec![approved(0, "k2"), approved(1, "l1")];
    let ok = "同意";
    // (decisions so far, status, who, decision, reason, expected)
    use DisposalRefusal as R;
    use StepDecision::{Approve, Reject};
    let rows: Vec<Row<'_>> = vec![
        (
            &none,
            ListStatus::Pending,
            &keeper2,
            Approve,
            ok,
            Ok((0, Role::RecordsKeeper, ListStatus::Pending)),
        ),
        (
            &none,
            ListStatus::Pending,
            &drafter,
            Approve,
            ok,
            Err(R::SelfApproval),
        ),
        (
            &none,
            ListStatus::Pending,
            &legal,
            Approve,
            ok,
            Err(R::WrongRole),
        ),
        (
            &none,
            ListStatus::Pending,
            &keeper2,
            Approve,
            "  ",
            Err(R::ReasonRequired),
        ),
        (
            &none,
            ListStatus::Pending,
            &keeper2,
            Reject,
            "尚有争议",
            Ok((0, Role::RecordsKeeper, ListStatus::Rejected)),
        ),
        (
            &one,
            ListStatus::Pending,
            &both,
            Approve,
            ok,
            Err(R::SecondStep),
        ),
        (
            &one,
            ListStatus::Pending,
            &legal,
            Approve,
            ok,
            Ok((1, Role::LegalOffice, ListStatus::Pending)),
        ),
        (
            &two,
            ListStatus::Pending,
            &lead,
            Approve,
            ok,
            Ok((2, Role::DeputyHead, ListStatus::Approved)),
        ),
        (
            &two,
            ListStatus::Pending,
            &legal,
            Approve,
            ok,
            Err(R::WrongRole),
        ),
        (
            &two,
            ListStatus::Rejected,
            &lead,
            Approve,
            ok,
            Err(R::NotPending),
        ),
        (
            &two,
            ListStatus::Executed,
            &lead,
            Approve,
            ok,
            Err(R::AlreadyExecuted),
        ),
    ];
    for (i, (decisions, status, who, d, reason, want)) in rows.into_iter().enumerate() {
        let state = ListState {
            drafted_by: "k1",
            status,
            chain: &CHAIN,
            decisions,
        };
        assert_eq!(decide(&state, who, d, reason), want, "row {i}");
    }
}

#[test]
fn warrant_only_for_a_fully_approved_list() {
    let sha: Sha256Digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        .parse()
        .unwrap();
    let at: Timestamp = "2033-01-01T00:00:00Z".parse().unwrap();
    let full = vec![approved(0, "k2"), approved(1, "l1"), approved(2, "d1")];
    let mut same_person = full.clone();
    same_person[2].approver_id = "l1".into();
    let mut by_drafter = full.clone();
    by_drafter[0].approver_id = "k1".into();
    let mut rejected = full.clone();
    rejected[2].decision = StepDecision::Reject;
    let rows: Vec<(&[Decision], ListStatus, bool)> = vec![
        (&full, ListStatus::Approved, true),
        (&full[..2], ListStatus::Approved, false),
        (&same_person, ListStatus::Approved, false),
        (&by_drafter, ListStatus::Approved, false),
        (&rejected, ListStatus::Approved, false),
        (&full, ListStatus::Pending, false),
        (&full, ListStatus::Executed, false),
    ];
    for (i, (decisions, status, ok)) in rows.into_iter().enumerate() {
        let state = ListState {
            drafted_by: "k1",
            status,
            chain: &CHAIN,
            decisions,
        };
        let w = Warrant::issue("L1", &state, [sha], at);
        assert_eq!(w.is_ok(), ok, "row {i}: {w:?}");
        if let Ok(w) = w {
            assert!(w.covers(&sha));
            assert_eq!((w.list_id(), w.at()), ("L1", at));
        }
    }
}

#[test]
fn codes_are_distinct_and_statuses_parse() {
    let codes: BTreeSet<_> = DisposalRefusal::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), DisposalRefusal::ALL.len());
    for s in ListStatus::ALL {
        assert_eq!(ListStatus::parse(s.code()), Some(s));
    }
}
