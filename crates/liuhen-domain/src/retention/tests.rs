use super::*;
use crate::case::RetentionClass::{Complex, HearingOrEnforcedExecution, Ordinary, Permanent};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn beijing() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

fn case<'a>(id: &'a str, class: RetentionClass, archived: Option<&str>) -> CaseFacts<'a> {
    CaseFacts {
        id,
        class,
        archived_at: archived.map(ts),
    }
}

fn on_case(id: &str, class: RetentionClass, years: Option<u16>, open: bool) -> Basis {
    Basis::Case {
        case_id: id.into(),
        class,
        years,
        open,
    }
}

/// Expected answers worked out by hand (dates in UTC; Beijing is +08:00, so 1 January
/// local is 31 December 16:00 UTC of the year before).
#[test]
fn retention_table() {
    let rules = RetentionRules::default();
    let now = ts("2027-06-01T00:00:00Z");
    // (name, capture, stored, cases, held, until, permanent, basis)
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        Vec<CaseFacts<'a>>,
        bool,
        &'a str,
        bool,
        Basis,
    );
    let rows: Vec<Row> = vec![
        (
            "2017 clip ingested now: 3 years from entering custody, not 2020",
            Some("2017-03-01T02:00:00Z"),
            "2026-12-07T10:00:00Z",
            vec![],
            false,
            "2029-12-07T16:00:00Z",
            false,
            Basis::Custody { years: 3 },
        ),
        (
            "camera clock ahead: 3 years from the record date",
            Some("2027-01-01T00:00:00Z"),
            "2026-12-02T00:00:00Z",
            vec![],
            false,
            "2030-01-01T00:00:00Z",
            false,
            Basis::RecordDate { years: 3 },
        ),
        (
            "no capture time: to the end of the day of storage, 3 years later",
            None,
            "2026-12-02T00:00:00Z",
            vec![],
            false,
            "2029-12-02T16:00:00Z",
            false,
            Basis::Custody { years: 3 },
        ),
        (
            "ordinary case archived 2027-03-10: 5 years from 1 Jan 2028",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![case("c1", Ordinary, Some("2027-03-10T02:00:00Z"))],
            false,
            "2032-12-31T16:00:00Z",
            false,
            on_case("c1", Ordinary, Some(5), false),
        ),
        (
            "hearing case archived at 01:00 on 1 Jan 2028 local: from 1 Jan 2029",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![case(
                "c2",
                HearingOrEnforcedExecution,
                Some("2027-12-31T17:00:00Z"),
            )],
            false,
            "2038-12-31T16:00:00Z",
            false,
            on_case("c2", HearingOrEnforcedExecution, Some(10), false),
        ),
        (
            "complex case still open: counted as if archived now (2027)",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![case("c3", Complex, None)],
            false,
            "2057-12-31T16:00:00Z",
            false,
            on_case("c3", Complex, Some(30), true),
        ),
        (
            "permanent case: locked 100 years ahead of now",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![
                case("c1", Ordinary, Some("2027-03-10T02:00:00Z")),
                case("c4", Permanent, Some("2027-03-10T02:00:00Z")),
            ],
            false,
            "2127-06-01T00:00:00Z",
            true,
            on_case("c4", Permanent, None, false),
        ),
        (
            "several cases: the longest (hearing) wins",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![
                case("c1", Ordinary, Some("2027-03-10T02:00:00Z")),
                case(
                    "c2",
                    HearingOrEnforcedExecution,
                    Some("2027-03-10T02:00:00Z"),
                ),
            ],
            false,
            "2037-12-31T16:00:00Z",
            false,
            on_case("c2", HearingOrEnforcedExecution, Some(10), false),
        ),
        (
            "hold, no case: 30 years from custody",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-07T10:00:00Z",
            vec![],
            true,
            "2056-12-07T16:00:00Z",
            false,
            Basis::Hold { years: 30 },
        ),
        (
            "hold beats an ordinary case",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-07T10:00:00Z",
            vec![case("c1", Ordinary, Some("2027-03-10T02:00:00Z"))],
            true,
            "2056-12-07T16:00:00Z",
            false,
            Basis::Hold { years: 30 },
        ),
        (
            "a complex case archived late beats a hold",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-07T10:00:00Z",
            vec![case("c3", Complex, Some("2028-02-01T00:00:00Z"))],
            true,
            "2058-12-31T16:00:00Z",
            false,
            on_case("c3", Complex, Some(30), false),
        ),
        (
            "unlinked (no case any more): back to the own minimum (the store keeps more)",
            Some("2026-12-01T00:00:00Z"),
            "2026-12-01T01:00:00Z",
            vec![],
            false,
            "2029-12-01T16:00:00Z",
            false,
            Basis::Custody { years: 3 },
        ),
    ];
    for (name, capture, stored, cases, held, until, permanent, basis) in rows {
        let facts = RecordFacts {
            capture: capture.map(ts),
            stored_at: ts(stored),
            cases: &cases,
            held,
        };
        let got = retention(&rules, &facts, now, &beijing());
        assert_eq!(
            got,
            Retention {
                until: ts(until),
                permanent,
                basis
            },
            "{name}"
        );
    }
}

#[test]
fn period_start_and_periods_are_data() {
    let rules = RetentionRules {
        start: PeriodStart::Archiving,
        periods: RetentionPeriods {
            ordinary_years: Some(8),
            ..RetentionPeriods::default()
        },
        ..RetentionRules::default()
    };
    let cases = [case("c1", Ordinary, Some("2027-03-10T02:00:00Z"))];
    let facts = RecordFacts {
        capture: None,
        stored_at: ts("2026-12-01T00:00:00Z"),
        cases: &cases,
        held: false,
    };
    let got = retention(&rules, &facts, ts("2027-06-01T00:00:00Z"), &beijing());
    assert_eq!(got.until, ts("2035-03-10T02:00:00Z"));
    assert_eq!(
        PeriodStart::parse("archiving"),
        Some(PeriodStart::Archiving)
    );
    assert_eq!(
        PeriodStart::parse("year_after_archiving"),
        Some(PeriodStart::YearAfterArchiving)
    );
    assert_eq!(PeriodStart::parse("soon"), None);
}

/// splitmix64: a small deterministic generator, so the property runs the same way each time.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn class(&mut self) -> RetentionClass {
        [Ordinary, HearingOrEnforcedExecution, Complex, Permanent][self.below(4) as usize]
    }
}

const DAY_MS: i64 = 86_400_000;

/// Property: whatever happens to a record (links, unlinks, archiving, flags changing its
/// cases' class, holds set and lifted, years passing), the retain-until it is given never
/// shrinks, always covers what the rules ask for now, and never falls below 3 years from
/// the day it entered custody. Also: adding a case or a hold, or time passing, never lowers
/// what the rules ask for.
#[test]
fn retention_never_shrinks_without_disposal() {
    let rules = RetentionRules::default();
    let tz = beijing();
    let ids: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
    for seed in 0..300u64 {
        let mut g = Gen(seed);
        let stored =
            Timestamp::from_millisecond(1_600_000_000_000 + g.below(3000) as i64 * DAY_MS).unwrap();
        let capture = match g.below(3) {
            0 => None,
            _ => Some(
                Timestamp::from_millisecond(
                    stored.as_millisecond() - (g.below(4000) as i64 - 100) * DAY_MS,
                )
                .unwrap(),
            ),
        };
        let mut now = stored;
        // (case index, class, archived_at)
        let mut linked: Vec<(usize, RetentionClass, Option<Timestamp>)> = Vec::new();
        let mut held = false;
        let mut kept = stored; // nothing yet
        let floor = plus_years(stored, rules.minimum_years, &tz);
        for _ in 0..40 {
            match g.below(7) {
                0 => {
                    let i = g.below(ids.len() as u64) as usize;
                    if !linked.iter().any(|l| l.0 == i) {
                        linked.push((i, g.class(), None));
                    }
                }
                1 if !linked.is_empty() => {
                    let i = g.below(linked.len() as u64) as usize;
                    linked.remove(i);
                }
                2 if !linked.is_empty() => {
                    let i = g.below(linked.len() as u64) as usize;
                    if linked[i].2.is_none() {
                        linked[i].2 = Some(now);
                    }
                }
                3 if !linked.is_empty() => {
                    let i = g.below(linked.len() as u64) as usize;
                    linked[i].1 = g.class();
                }
                4 => held = !held,
                _ => {
                    now = Timestamp::from_millisecond(
                        now.as_millisecond() + g.below(5 * 366) as i64 * DAY_MS,
                    )
                    .unwrap();
                }
            }
            let cases: Vec<CaseFacts> = linked
                .iter()
                .map(|(i, class, archived_at)| CaseFacts {
                    id: &ids[*i],
                    class: *class,
                    archived_at: *archived_at,
                })
                .collect();
            let facts = RecordFacts {
                capture,
                stored_at: stored,
                cases: &cases,
                held,
            };
            let target = retention(&rules, &facts, now, &tz);
            let next = applied(kept, target.until);
            assert!(next >= kept, "seed {seed}: shrank from {kept} to {next}");
            assert!(next >= target.until, "seed {seed}");
            assert!(next >= floor, "seed {seed}: below 3 years from custody");
            kept = next;

            // Monotone in the facts: more cases, a hold, or later time never ask for less.
            let extra = [CaseFacts {
                id: "extra",
                class: g.class(),
                archived_at: None,
            }];
            let more: Vec<CaseFacts> = cases.iter().cloned().chain(extra).collect();
            let with_case = retention(
                &rules,
                &RecordFacts {
                    cases: &more,
                    ..facts.clone()
                },
                now,
                &tz,
            );
            let with_hold = retention(
                &rules,
                &RecordFacts {
                    held: true,
                    ..facts.clone()
                },
                now,
                &tz,
            );
            let later = retention(
                &rules,
                &facts,
                Timestamp::from_millisecond(now.as_millisecond() + DAY_MS).unwrap(),
                &tz,
            );
            for (what, r) in [("case", with_case), ("hold", with_hold), ("later", later)] {
                assert!(
                    (r.permanent, r.until) >= (target.permanent, target.until),
                    "seed {seed}: adding a {what} lowered the retention"
                );
            }
        }
    }
}

#[test]
fn permanent_locks_are_renewed_yearly_dated_ones_at_once() {
    let at = |s: &str| ts(s);
    let dated = |until: &str| Retention {
        until: at(until),
        permanent: false,
        basis: Basis::Custody { years: 3 },
    };
    let permanent = |until: &str| Retention {
        until: at(until),
        permanent: true,
        basis: on_case("c", Permanent, None, false),
    };
    // (current, target, must extend)
    let rows = [
        ("2029-12-01T00:00:00Z", dated("2029-12-01T00:00:01Z"), true),
        ("2029-12-01T00:00:00Z", dated("2029-12-01T00:00:00Z"), false),
        ("2029-12-01T00:00:00Z", dated("2028-01-01T00:00:00Z"), false),
        (
            "2029-12-01T00:00:00Z",
            permanent("2127-06-01T00:00:00Z"),
            true,
        ),
        (
            "2127-01-01T00:00:00Z",
            permanent("2127-06-01T00:00:00Z"),
            false,
        ),
        (
            "2126-05-31T00:00:00Z",
            permanent("2127-06-01T00:00:00Z"),
            false,
        ),
        (
            "2126-05-30T23:59:59Z",
            permanent("2127-06-01T00:00:00Z"),
            true,
        ),
    ];
    for (current, target, want) in rows {
        assert_eq!(
            must_extend(at(current), &target),
            want,
            "{current} {target:?}"
        );
    }
}
