//! Pure rules of custody: deadlines and retention. Time is passed in, never read.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// Outcome of the 24-hour rule (R2.6, R3.3) for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    /// Milliseconds from the reference point (recording end, or declared return) to storage.
    /// Negative when the clock of the camera is ahead; `None` when no reference is known.
    pub delay_ms: Option<i64>,
    pub late: bool,
}

/// Lateness is measured from the recording's end, or from the declared return time when an
/// out-of-town exception applies (Decision in R3.3). Late records are flagged, never refused.
pub fn lateness(
    recording_end: Option<Timestamp>,
    returned_at: Option<Timestamp>,
    stored_at: Timestamp,
    deadline: SignedDuration,
) -> Lateness {
    let reference = match (recording_end, returned_at) {
        (Some(end), Some(back)) => Some(end.max(back)),
        (end, back) => end.or(back),
    };
    let Some(reference) = reference else {
        return Lateness {
            delay_ms: None,
            late: false,
        };
    };
    let delay = stored_at.duration_since(reference);
    Lateness {
        delay_ms: Some(delay.as_millis() as i64),
        late: delay > deadline,
    }
}

/// Retain-until for a record not (yet) used in a case: at least `years` after recording
/// (R3.5), counted from capture end, else capture start, else storage.
pub fn default_retain_until(
    capture: Option<Timestamp>,
    stored_at: Timestamp,
    years: i16,
    tz: &TimeZone,
) -> Timestamp {
    let base = capture.unwrap_or(stored_at).to_zoned_datetime(tz.clone());
    base.checked_add(jiff::Span::new().years(years))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// The record date (记录日期) is the local calendar date of the capture, else of storage.
pub fn record_date(
    capture: Option<Timestamp>,
    stored_at: Timestamp,
    tz: &TimeZone,
) -> jiff::civil::Date {
    capture
        .unwrap_or(stored_at)
        .to_zoned_datetime(tz.clone())
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    #[test]
    fn lateness_table() {
        // (recording end, declared return, stored at, expected delay, expected late)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Option<i64>, bool);
        let cases: &[Case] = &[
            // on time
            (
                Some("2026-01-01T08:00:00Z"),
                None,
                "2026-01-01T20:00:00Z",
                Some(12 * 3_600_000),
                false,
            ),
            // exactly 24 h is on time
            (
                Some("2026-01-01T08:00:00Z"),
                None,
                "2026-01-02T08:00:00Z",
                Some(24 * 3_600_000),
                false,
            ),
            // one second late
            (
                Some("2026-01-01T08:00:00Z"),
                None,
                "2026-01-02T08:00:01Z",
                Some(24 * 3_600_000 + 1000),
                true,
            ),
            // out-of-town: return declared, 10 h after return is on time
            (
                Some("2026-01-01T08:00:00Z"),
                Some("2026-01-04T08:00:00Z"),
                "2026-01-04T18:00:00Z",
                Some(10 * 3_600_000),
                false,
            ),
            // a return declared before the recording end does not shorten the deadline
            (
                Some("2026-01-05T08:00:00Z"),
                Some("2026-01-04T08:00:00Z"),
                "2026-01-05T09:00:00Z",
                Some(3_600_000),
                false,
            ),
            // unknown recording time: never flagged
            (None, None, "2026-01-05T09:00:00Z", None, false),
        ];
        for (end, back, stored, delay, late) in cases {
            let got = lateness(end.map(ts), back.map(ts), ts(stored), DAY);
            assert_eq!(
                got,
                Lateness {
                    delay_ms: *delay,
                    late: *late
                },
                "{end:?} {back:?} {stored}"
            );
        }
    }

    #[test]
    fn retention_three_years_from_capture() {
        let tz = TimeZone::fixed(jiff::tz::offset(8));
        let got = default_retain_until(
            Some(ts("2026-02-28T16:30:00Z")),
            ts("2026-03-01T00:00:00Z"),
            3,
            &tz,
        );
        assert_eq!(got, ts("2029-02-28T16:30:00Z"));
        let date = record_date(
            Some(ts("2026-02-28T16:30:00Z")),
            ts("2026-03-01T00:00:00Z"),
            &tz,
        );
        assert_eq!(date.to_string(), "2026-03-01");
    }
}
