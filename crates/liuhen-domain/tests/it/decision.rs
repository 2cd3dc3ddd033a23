//! The catalog of 附件5 (each entry's predicate, both fine thresholds at, below and above
//! the limit; the shipped text against the seed), the gate's refusals, and working days
//! across holidays with make-up days. Expected answers are written out by hand.

use jiff::civil::{Date, date};
use liuhen_domain::decision::calendar::Calendar;
use liuhen_domain::decision::catalog::Catalog;
use liuhen_domain::decision::gate::{
    GateRefusal, ReviewerFacts, RoundFacts, check_issue, check_new_draft, check_review,
    check_submit,
};
use liuhen_domain::decision::{
    DecisionFacts, DecisionKind as K, DecisionStatus as S, PartyType as P, ReviewOutcome as O,
    format_yuan, parse_yuan,
};

/// (kind, measure, party, fine in yuan as typed, after a hearing, marked) → entries.
#[allow(clippy::type_complexity)]
const TABLE: &[(K, &str, P, &str, bool, bool, &[&str])] = &[
    // 一、行政处罚类
    (
        K::Penalty,
        "suspend_production",
        P::Organisation,
        "",
        false,
        false,
        &["penalty.suspend"],
    ),
    (
        K::Penalty,
        "suspend_business",
        P::Individual,
        "",
        false,
        false,
        &["penalty.suspend"],
    ),
    (
        K::Penalty,
        "stop_construction",
        P::Organisation,
        "",
        false,
        false,
        &["penalty.suspend"],
    ),
    (
        K::Penalty,
        "stop_operations",
        P::Organisation,
        "",
        false,
        false,
        &["penalty.suspend"],
    ),
    (
        K::Penalty,
        "revoke_licence",
        P::Organisation,
        "",
        false,
        false,
        &["penalty.revoke_licence"],
    ),
    (
        K::Penalty,
        "revoke_qualification",
        P::Individual,
        "",
        false,
        false,
        &["penalty.revoke_qualification"],
    ),
    // 较大数额罚款: individuals from 20,000 yuan, organisations from 50,000 yuan.
    (
        K::Penalty,
        "fine",
        P::Individual,
        "19999.99",
        false,
        false,
        &[],
    ),
    (
        K::Penalty,
        "fine",
        P::Individual,
        "20000",
        false,
        false,
        &["penalty.large_fine"],
    ),
    (
        K::Penalty,
        "fine",
        P::Individual,
        "20000.01",
        false,
        false,
        &["penalty.large_fine"],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "49999.99",
        false,
        false,
        &[],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "50000.00",
        false,
        false,
        &["penalty.large_fine"],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "50000.01",
        false,
        false,
        &["penalty.large_fine"],
    ),
    // An organisation's threshold does not apply to an individual and the reverse.
    (
        K::Penalty,
        "fine",
        P::Individual,
        "49999.99",
        false,
        false,
        &["penalty.large_fine"],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "20000",
        false,
        false,
        &[],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "200000",
        false,
        false,
        &["penalty.large_fine"],
    ),
    (K::Penalty, "warning", P::Individual, "", false, false, &[]),
    (
        K::Penalty,
        "warning",
        P::Individual,
        "",
        false,
        true,
        &["penalty.other"],
    ),
    (
        K::Penalty,
        "fine",
        P::Organisation,
        "60000",
        false,
        true,
        &["penalty.large_fine", "penalty.other"],
    ),
    // 二、行政许可类
    (
        K::Licensing,
        "grant",
        P::Organisation,
        "",
        true,
        false,
        &["licensing.hearing"],
    ),
    (
        K::Licensing,
        "grant",
        P::Organisation,
        "",
        false,
        false,
        &[],
    ),
    (
        K::Licensing,
        "revoke",
        P::Organisation,
        "",
        false,
        false,
        &["licensing.revoke"],
    ),
    (
        K::Licensing,
        "refuse",
        P::Individual,
        "",
        false,
        true,
        &["licensing.other"],
    ),
    // 三、行政强制类
    (
        K::Coercion,
        "seal_seize",
        P::Organisation,
        "",
        false,
        false,
        &["coercion.seal_seize"],
    ),
    (
        K::Coercion,
        "stop_supply",
        P::Organisation,
        "",
        false,
        false,
        &["coercion.stop_supply"],
    ),
    (K::Coercion, "other", P::Organisation, "", false, false, &[]),
    (
        K::Coercion,
        "other",
        P::Organisation,
        "",
        false,
        true,
        &["coercion.other"],
    ),
    // 四、行政给付类
    (
        K::Payment,
        "disaster_relief",
        P::Individual,
        "",
        false,
        false,
        &["payment.disaster_relief"],
    ),
    (K::Payment, "other", P::Individual, "", false, false, &[]),
    // A measure of another kind never matches (kinds are part of every predicate).
    (
        K::Coercion,
        "fine",
        P::Organisation,
        "900000",
        false,
        false,
        &[],
    ),
];

#[test]
fn each_catalog_entry_matches_its_decisions_only() {
    let catalog = Catalog::default_shipped();
    let mut hit = std::collections::BTreeSet::new();
    for (i, (kind, measure, party, fine, hearing, marked, want)) in TABLE.iter().enumerate() {
        let facts = DecisionFacts {
            kind: *kind,
            measure,
            party: *party,
            fine_fen: (!fine.is_empty()).then(|| parse_yuan(fine).unwrap()),
            after_hearing: *hearing,
            marked: *marked,
        };
        let got: Vec<&str> = catalog
            .matching(&facts)
            .iter()
            .map(|e| e.code.as_str())
            .collect();
        assert_eq!(&got, want, "row {i}: {facts:?}");
        hit.extend(got);
    }
    assert_eq!(hit.len(), 12, "every entry is exercised: {hit:?}");
}

#[test]
fn the_shipped_catalog_has_the_seeds_twelve_entries_word_for_word() {
    let seed = include_str!("seed_annex5.txt");
    let seed_lines: Vec<&str> = seed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let catalog = Catalog::default_shipped();
    assert_eq!(catalog.entries.len(), 12);
    let mut shipped = Vec::new();
    let mut group = "";
    for e in &catalog.entries {
        if group != e.group {
            group = &e.group;
            shipped.push(group);
        }
        shipped.push(e.text.as_str());
    }
    // The seed's title line, then groups and entries in order.
    assert_eq!(
        seed_lines[0],
        "平顶山高新区应急管理局 重大执法决定法制审核目录清单"
    );
    assert_eq!(&seed_lines[1..], &shipped[..]);
}

#[test]
fn a_bureau_catalog_is_refused_with_the_entry_named() {
    let shipped = Catalog::shipped_text();
    let cases = [
        (
            shipped.replace(
                "measures = [\"revoke_licence\"]",
                "measures = [\"revoke_licenc\"]",
            ),
            "penalty.revoke_licence",
        ),
        (
            shipped.replace("individual = 20000", "individual = 0"),
            "penalty.large_fine",
        ),
        (
            shipped.replace("kind = \"payment\"\nmeasures", "kind = \"pay\"\nmeasures"),
            "payment.disaster_relief",
        ),
        (
            shipped.replace(
                "code = \"licensing.revoke\"",
                "code = \"licensing.hearing\"",
            ),
            "licensing.hearing",
        ),
        (
            shipped.replace("kind = \"penalty\"\nmarked = true", "kind = \"penalty\""),
            "penalty.other",
        ),
    ];
    for (text, entry) in cases {
        let e = Catalog::parse(&text).expect_err(entry);
        assert!(e.zh.contains(entry), "{e}");
        assert!(e.en.contains(entry), "{e}");
    }
    // Own thresholds load as data.
    let own = shipped.replace("organisation = 50000", "organisation = 100000");
    let c = Catalog::parse(&own).unwrap();
    assert_eq!(
        c.entry("penalty.large_fine").unwrap().fine_at_least_fen,
        Some((2_000_000, 10_000_000))
    );
}

#[test]
fn yuan_are_parsed_to_fen_exactly() {
    for (s, want) in [
        ("200000", Some(20_000_000)),
        ("19999.99", Some(1_999_999)),
        ("20000.1", Some(2_000_010)),
        ("200,000", Some(20_000_000)),
        ("-5", None),
        ("1.234", None),
        ("", None),
        ("1e5", None),
    ] {
        assert_eq!(parse_yuan(s), want, "{s}");
    }
    assert_eq!(format_yuan(20_000_000), "200,000.00");
    assert_eq!(format_yuan(1_999_999), "19,999.99");
}

fn d(y: i16, m: i8, day: i8) -> Date {
    date(y, m, day)
}

#[test]
fn working_days_skip_holidays_and_count_make_up_days() {
    let cal = Calendar::default_shipped();
    // (start, working days, due): counted by hand on the 2026 notice.
    let rows = [
        // Spring Festival: Sat 14 Feb is a make-up working day, 15–23 Feb holidays.
        (d(2026, 2, 12), 5, d(2026, 2, 26)),
        // National Day: 1–7 Oct holidays, Sat 10 Oct a make-up working day.
        (d(2026, 9, 29), 5, d(2026, 10, 12)),
        // Labour Day: 1–5 May holidays; then Sat 9 May counts.
        (d(2026, 4, 30), 3, d(2026, 5, 8)),
        (d(2026, 5, 8), 5, d(2026, 5, 14)),
        // New Year: 1–3 Jan holidays, Sun 4 Jan a working day.
        (d(2025, 12, 31), 1, d(2026, 1, 4)),
        // An ordinary week.
        (d(2026, 3, 6), 5, d(2026, 3, 13)),
        (d(2026, 3, 6), 0, d(2026, 3, 6)),
    ];
    for (start, n, due) in rows {
        assert_eq!(cal.add_working_days(start, n), Ok(due), "{start} + {n}");
        assert_eq!(
            cal.working_days_between(start, due),
            Ok(n),
            "{start}..{due}"
        );
    }
    assert!(
        cal.is_working_day(d(2026, 9, 20)),
        "Sunday 20 Sep is a make-up day"
    );
    assert!(!cal.is_working_day(d(2026, 6, 19)), "Dragon Boat Festival");
    assert!(cal.covers(2026));
    assert!(!cal.covers(2027));
}

#[test]
fn a_time_limit_reaching_a_year_the_calendar_does_not_list_is_refused() {
    let cal = Calendar::default_shipped();
    // The last limits that stay in 2026 (counted by hand: Thu 31 Dec is the last day).
    assert_eq!(
        cal.add_working_days(d(2026, 12, 24), 5),
        Ok(d(2026, 12, 31))
    );
    assert_eq!(
        cal.add_working_days(d(2026, 12, 31), 0),
        Ok(d(2026, 12, 31))
    );
    // One more working day needs 2027, which the shipped data does not list.
    let e = cal.add_working_days(d(2026, 12, 25), 5).unwrap_err();
    assert_eq!((e.date, e.year), (d(2027, 1, 1), 2027));
    assert_eq!(e.covered, "2026");
    assert_eq!(
        e.message(),
        liuhen_domain::Message::new("calendar_not_covered")
            .arg("year", 2027)
            .arg("date", "2027-01-01")
            .arg("covered", "2026")
    );
    assert!(
        cal.working_days_between(d(2026, 12, 30), d(2027, 1, 4))
            .is_err()
    );
    // A year before the listed ones is refused too (no guess about 2025's holidays).
    let e = cal.add_working_days(d(2025, 12, 20), 1).unwrap_err();
    assert_eq!(e.date, d(2025, 12, 21));
    // A bureau calendar listing 2027 counts into it.
    let both = Calendar::parse(
        "weekend = [\"saturday\", \"sunday\"]\n[[years]]\nyear = 2026\n[[years]]\nyear = 2027\n",
    )
    .unwrap();
    assert_eq!(both.add_working_days(d(2026, 12, 30), 5), Ok(d(2027, 1, 6)));
    // A gap year between listed ones is refused as well.
    let gap = Calendar::parse(
        "weekend = [\"saturday\", \"sunday\"]\n[[years]]\nyear = 2026\n[[years]]\nyear = 2028\n",
    )
    .unwrap();
    assert_eq!(
        gap.add_working_days(d(2026, 12, 31), 1)
            .unwrap_err()
            .covered,
        "2026、2028"
    );
}

#[test]
fn a_calendar_with_a_day_both_holiday_and_workday_is_refused() {
    let bad = "weekend = [\"saturday\", \"sunday\"]\n[[years]]\nyear = 2026\n\
               holidays = [\"2026-02-14\"]\nworkdays = [\"2026-02-14\"]\n";
    let e = Calendar::parse(bad).unwrap_err();
    assert!(e.zh.contains("2026-02-14"), "{e}");
    let wrong_year =
        "weekend = [\"sunday\"]\n[[years]]\nyear = 2026\nholidays = [\"2027-01-01\"]\n";
    assert!(Calendar::parse(wrong_year).is_err());
}

/// (status, in the catalog, draft digest, latest round) → the gate's answer.
type IssueRow<'a> = (
    S,
    bool,
    &'a str,
    Option<RoundFacts<'a>>,
    Result<(), GateRefusal>,
);

const A: &str = "aaaa";
const B: &str = "bbbb";

#[test]
fn the_gate_refuses_every_way_around_the_review() {
    let round = |o, sha| {
        Some(RoundFacts {
            outcome: o,
            draft_sha256: sha,
        })
    };
    let rows: [IssueRow<'_>; 10] = [
        // Outside the catalog: a draft may be issued without review.
        (S::Draft, false, A, None, Ok(())),
        (S::Draft, false, "", None, Err(GateRefusal::NoDraft)),
        // In the catalog: never without a passed review of this very draft.
        (S::Draft, true, A, None, Err(GateRefusal::ReviewRequired)),
        (
            S::UnderReview,
            true,
            A,
            round(None, A),
            Err(GateRefusal::ReviewPending),
        ),
        (
            S::Draft,
            true,
            A,
            round(Some(O::Return), A),
            Err(GateRefusal::ReviewReturned),
        ),
        (
            S::Disapproved,
            true,
            A,
            round(Some(O::Disapprove), A),
            Err(GateRefusal::Disapproved),
        ),
        (
            S::Draft,
            true,
            B,
            round(Some(O::Approve), A),
            Err(GateRefusal::DraftChanged),
        ),
        (S::Reviewed, true, A, round(Some(O::Approve), A), Ok(())),
        (
            S::Reviewed,
            true,
            A,
            round(Some(O::ApproveWithChanges), A),
            Ok(()),
        ),
        (
            S::Issued,
            true,
            A,
            round(Some(O::Approve), A),
            Err(GateRefusal::WrongStatus),
        ),
    ];
    for (i, (status, needs, sha, last, want)) in rows.into_iter().enumerate() {
        assert_eq!(check_issue(status, needs, sha, last), want, "row {i}");
    }
    // A new draft after approval voids it; not while under review.
    assert_eq!(check_new_draft(S::Reviewed), Ok(S::Draft));
    assert_eq!(
        check_new_draft(S::UnderReview),
        Err(GateRefusal::ReviewPending)
    );
    assert_eq!(
        check_submit(S::Draft, false, A, 0),
        Err(GateRefusal::NotInCatalog)
    );
    assert_eq!(
        check_submit(S::Draft, true, A, 1),
        Err(GateRefusal::MaterialsMissing)
    );
    assert_eq!(check_submit(S::Draft, true, A, 0), Ok(()));
}

#[test]
fn only_a_qualified_reviewer_outside_the_case_decides_with_an_opinion() {
    let ok = ReviewerFacts {
        handles_case: false,
        certificate: Some("A20191234567"),
    };
    let own = ReviewerFacts {
        handles_case: true,
        ..ok
    };
    let none = ReviewerFacts {
        handles_case: false,
        certificate: None,
    };
    let blank = ReviewerFacts {
        handles_case: false,
        certificate: Some(" "),
    };
    assert_eq!(
        check_review(S::UnderReview, own, O::Approve, "同意"),
        Err(GateRefusal::OwnCase)
    );
    assert_eq!(
        check_review(S::UnderReview, none, O::Approve, "同意"),
        Err(GateRefusal::NoQualification)
    );
    assert_eq!(
        check_review(S::UnderReview, blank, O::Approve, "同意"),
        Err(GateRefusal::NoQualification)
    );
    assert_eq!(
        check_review(S::UnderReview, ok, O::Approve, " "),
        Err(GateRefusal::OpinionMissing)
    );
    assert_eq!(
        check_review(S::Draft, ok, O::Approve, "同意"),
        Err(GateRefusal::WrongStatus)
    );
    assert_eq!(
        check_review(S::UnderReview, ok, O::Approve, "同意"),
        Ok(S::Reviewed)
    );
    assert_eq!(
        check_review(S::UnderReview, ok, O::ApproveWithChanges, "改"),
        Ok(S::Reviewed)
    );
    assert_eq!(
        check_review(S::UnderReview, ok, O::Return, "补充"),
        Ok(S::Draft)
    );
    assert_eq!(
        check_review(S::UnderReview, ok, O::Disapprove, "否"),
        Ok(S::Disapproved)
    );
}
