use super::*;

const MIN: i64 = 60_000;

/// 2026-03-02 (a Monday) 10:00 at +08:00.
fn monday_10() -> i64 {
    "2026-03-02T02:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_millisecond()
}

fn thresholds() -> Thresholds {
    Thresholds {
        refusals_count: 3,
        refusals_window_ms: 60 * MIN,
        outside_grant_reasons: vec!["outside_scope".into(), "grant_expired".into()],
        bulk_count: 3,
        bulk_window_ms: 30 * MIN,
        bulk_kinds: vec!["download".into(), "copy".into()],
        workday_start_hour: 8,
        workday_end_hour: 19,
        weekends_are_odd: true,
        days_off: vec!["2026-03-04".parse().unwrap()],
        extra_workdays: vec!["2026-03-08".parse().unwrap()],
        odd_hours_kinds: vec!["view".into(), "playback".into(), "download".into()],
        tamper_actions: vec!["record.delete".into()],
        utc_offset_seconds: 8 * 3600,
    }
}

fn refusal(seq: u64, at_ms: i64, actor: &str, action: &str, reason: &str) -> Refusal {
    Refusal {
        seq,
        at_ms,
        actor: actor.into(),
        action: action.into(),
        reason: reason.into(),
    }
}

fn use_(seq: u64, at_ms: i64, actor: &str, kind: &str) -> Use {
    Use {
        seq,
        at_ms,
        actor: actor.into(),
        kind: kind.into(),
        record: Some("r1".into()),
        grant: None,
    }
}

#[test]
fn repeated_refusals_table() {
    let t = thresholds();
    let b = monday_10();
    let r = |seq, m: i64, who: &str| refusal(seq, b + m * MIN, who, "record.view", "outside_scope");
    // (events, expected (actor, evidence) per signal)
    type Expected<'a> = Vec<(&'a str, Vec<u64>)>;
    let cases: Vec<(Vec<Refusal>, Expected)> = vec![
        (vec![], vec![]),
        (vec![r(1, 0, "a"), r(2, 10, "a")], vec![]),
        (
            vec![r(1, 0, "a"), r(2, 10, "a"), r(3, 20, "a")],
            vec![("a", vec![1, 2, 3])],
        ),
        // Three, but spread over more than an hour: no signal.
        (vec![r(1, 0, "a"), r(2, 50, "a"), r(3, 100, "a")], vec![]),
        // Different people do not add up.
        (vec![r(1, 0, "a"), r(2, 1, "b"), r(3, 2, "a")], vec![]),
        // One chain with a dense part: the whole chain is the evidence.
        (
            vec![r(1, 0, "a"), r(2, 55, "a"), r(3, 60, "a"), r(4, 61, "a")],
            vec![("a", vec![1, 2, 3, 4])],
        ),
        // Two separate bursts, two signals.
        (
            vec![
                r(1, 0, "a"),
                r(2, 1, "a"),
                r(3, 2, "a"),
                r(4, 300, "a"),
                r(5, 301, "a"),
                r(6, 302, "a"),
            ],
            vec![("a", vec![1, 2, 3]), ("a", vec![4, 5, 6])],
        ),
    ];
    for (events, expected) in cases {
        let got: Vec<(String, Vec<u64>)> = repeated_refusals(&events, &t)
            .into_iter()
            .map(|s| (s.actor, s.evidence))
            .collect();
        let expected: Vec<(String, Vec<u64>)> = expected
            .into_iter()
            .map(|(a, e)| (a.to_owned(), e))
            .collect();
        assert_eq!(got, expected, "{events:?}");
    }
}

#[test]
fn bulk_takeaway_counts_only_downloads_and_copies() {
    let t = thresholds();
    let b = monday_10();
    let u = |seq, m: i64, kind: &str| use_(seq, b + m * MIN, "a", kind);
    let cases: Vec<(Vec<Use>, usize)> = vec![
        (vec![u(1, 0, "download"), u(2, 5, "download")], 0),
        (
            vec![u(1, 0, "download"), u(2, 5, "copy"), u(3, 29, "download")],
            1,
        ),
        (vec![u(1, 0, "view"), u(2, 1, "view"), u(3, 2, "view")], 0),
        (
            vec![
                u(1, 0, "download"),
                u(2, 20, "download"),
                u(3, 40, "download"),
            ],
            0,
        ),
    ];
    for (events, n) in cases {
        let got = bulk_takeaway(&events, &t);
        assert_eq!(got.len(), n, "{events:?}");
        if let Some(s) = got.first() {
            assert_eq!(s.detail, "3");
            assert_eq!(s.key(), "bulk_takeaway:a:1");
        }
    }
}

#[test]
fn odd_time_table() {
    let t = thresholds();
    let at = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
    let cases = [
        ("2026-03-02T02:00:00Z", false), // Monday 10:00 local
        ("2026-03-02T00:00:00Z", false), // Monday 08:00 local, first working hour
        ("2026-03-01T23:59:00Z", true),  // Monday 07:59 local
        ("2026-03-02T10:59:00Z", false), // Monday 18:59 local
        ("2026-03-02T11:00:00Z", true),  // Monday 19:00 local
        ("2026-03-02T18:00:00Z", true),  // Tuesday 02:00 local
        ("2026-03-07T02:00:00Z", true),  // Saturday 10:00 local
        ("2026-03-08T02:00:00Z", false), // Sunday, but a make-up working day
        ("2026-03-04T02:00:00Z", true),  // Wednesday, a day off
    ];
    for (when, odd) in cases {
        assert_eq!(is_odd_time(at(when), &t), odd, "{when}");
    }
    let mut weekdays_only = t.clone();
    weekdays_only.weekends_are_odd = false;
    assert!(!is_odd_time(at("2026-03-07T02:00:00Z"), &weekdays_only));
}

#[test]
fn odd_hours_group_per_person_and_local_day() {
    let t = thresholds();
    let night = "2026-03-02T15:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_millisecond(); // 23:00 local
    let uses = vec![
        use_(1, night, "a", "view"),
        use_(2, night + 30 * MIN, "a", "playback"), // 23:30 local, same day
        use_(3, night + 90 * MIN, "a", "view"),     // 00:30 local, next day
        use_(4, night, "b", "copy"),                // copies are not counted here
        use_(5, monday_10(), "a", "view"),          // working hours
    ];
    let got = odd_hours(&uses, &t);
    let evidence: Vec<Vec<u64>> = got.iter().map(|s| s.evidence.clone()).collect();
    assert_eq!(evidence, vec![vec![1, 2], vec![3]]);
    assert_eq!(got[0].detail, "view,playback");
}

#[test]
fn tamper_attempts_are_refused_deletes() {
    let t = thresholds();
    let b = monday_10();
    let refusals = vec![
        refusal(1, b, "a", "record.delete", "role_not_permitted"),
        refusal(2, b + MIN, "a", "record.view", "outside_scope"),
        refusal(3, b + 2 * MIN, "a", "record.delete", "role_not_permitted"),
        refusal(4, b, "b", "record.delete", "role_not_permitted"),
    ];
    let got = tamper_attempts(&refusals, &t);
    let got: Vec<(&str, Vec<u64>)> = got
        .iter()
        .map(|s| (s.actor.as_str(), s.evidence.clone()))
        .collect();
    assert_eq!(got, vec![("a", vec![1, 3]), ("b", vec![4])]);
}

#[test]
fn grant_breach_table() {
    let b = monday_10();
    let g = Grant {
        id: "g1".into(),
        user: Some("a".into()),
        records: vec!["r1".into()],
        granted_ms: b,
        expires_ms: Some(b + 60 * MIN),
        revoked_ms: None,
        seqs: vec![7],
    };
    let revoked = Grant {
        revoked_ms: Some(b + 10 * MIN),
        seqs: vec![7, 9],
        ..g.clone()
    };
    let u = |m: i64, actor: &str, record: &str| Use {
        seq: 1,
        at_ms: b + m * MIN,
        actor: actor.into(),
        kind: "view".into(),
        record: Some(record.into()),
        grant: Some("g1".into()),
    };
    let cases: Vec<(Use, Option<&Grant>, Option<&str>)> = vec![
        (u(5, "a", "r1"), Some(&g), None),
        (u(60, "a", "r1"), Some(&g), Some("grant_expired")),
        (u(5, "a", "r1"), Some(&revoked), None),
        (u(10, "a", "r1"), Some(&revoked), Some("grant_revoked")),
        (u(5, "b", "r1"), Some(&g), Some("grant_other_user")),
        (u(5, "a", "r2"), Some(&g), Some("record_not_granted")),
        (u(-5, "a", "r1"), Some(&g), Some("before_grant")),
        (u(5, "a", "r1"), None, Some("grant_unknown")),
        (
            Use {
                grant: None,
                ..u(500, "a", "r1")
            },
            None,
            None,
        ),
    ];
    for (use_, grant, expected) in cases {
        assert_eq!(grant_breach(&use_, grant), expected, "{use_:?} {grant:?}");
    }
}

#[test]
fn outside_grant_from_refusals_and_late_uses() {
    let t = thresholds();
    let b = monday_10();
    let grants = vec![Grant {
        id: "g1".into(),
        user: Some("a".into()),
        records: vec!["r1".into()],
        granted_ms: b,
        expires_ms: Some(b + 60 * MIN),
        revoked_ms: None,
        seqs: vec![2],
    }];
    let refusals = vec![
        // Before the grant: an ordinary refusal, not "outside the grant".
        refusal(1, b - MIN, "a", "record.view", "outside_scope"),
        refusal(3, b + 5 * MIN, "a", "record.view", "outside_scope"),
        refusal(4, b + 6 * MIN, "a", "record.download", "role_not_permitted"),
        // Never had a grant.
        refusal(5, b + 7 * MIN, "c", "record.view", "outside_scope"),
    ];
    let uses = vec![
        Use {
            grant: Some("g1".into()),
            ..use_(6, b + 10 * MIN, "a", "view")
        },
        Use {
            grant: Some("g1".into()),
            ..use_(8, b + 70 * MIN, "a", "playback")
        },
    ];
    let input = Input {
        refusals: &refusals,
        uses: &uses,
        grants: &grants,
        integrity: &[],
    };
    let got = outside_grant(&input, &t);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].actor, "a");
    assert_eq!(got[0].evidence, vec![3, 8]);
    assert_eq!(got[0].context, vec![2]);
    assert_eq!(got[0].detail, "outside_scope,grant_expired");

    let all = detect(&input, &t);
    assert!(all.iter().any(|s| s.kind == SignalKind::OutsideGrant));
    assert!(all.windows(2).all(|w| w[0].last_ms >= w[1].last_ms));
}

#[test]
fn kind_codes_round_trip() {
    for k in SignalKind::ALL {
        assert_eq!(SignalKind::parse(k.code()), Some(k));
    }
}

#[test]
fn every_integrity_event_is_its_own_alert() {
    let events = [
        IntegrityEvent {
            seq: 4,
            at_ms: 1_000,
            actor: "system".into(),
            outcome: "blob_corrupt".into(),
        },
        IntegrityEvent {
            seq: 9,
            at_ms: 2_000,
            actor: "system".into(),
            outcome: "blob_missing".into(),
        },
    ];
    let got = integrity_failures(&events);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].kind, SignalKind::IntegrityFailure);
    assert_eq!(got[0].evidence, vec![4]);
    assert_eq!(got[1].detail, "blob_missing");
    assert_eq!(got[1].key(), "integrity_failure:system:9");
}
