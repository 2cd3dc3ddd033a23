//! How long a record is kept (R2.10, R3.5, R3.7): the longest of its own minimum and the
//! case-file retention of every case it is linked to. Pure: the rules, the facts and the
//! time are passed in.
//!
//! - Own minimum (R3.5): `minimum_years` from the record date (capture, else storage) and,
//!   whatever the camera's clock said, through the day the record entered custody
//!   `minimum_years` later (to the end of that local day).
//! - A case's class (permanent / complex / hearing or enforced execution / ordinary, see
//!   [`crate::case::retention_class`]) gives its years; they are counted from the start of
//!   the period ([`PeriodStart`]: by default 1 January of the year after archiving). A case
//!   not archived yet has no end: its period is counted as if it were archived now, a lower
//!   bound that grows each time it is recomputed (and disposal never lists a record of an
//!   open case).
//! - Permanent: the lock reaches `permanent_lock_years` ahead of now and is renewed.
//! - A preservation hold (R3.7) raises the own minimum to `hold_years`.
//!
//! The result is a target; [`applied`] is the one rule of "extend, never shorten": what a
//! record is kept until never decreases by itself (only an approved disposal ends it).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::case::{RetentionClass, RetentionPeriods};

/// Where a case file's retention period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodStart {
    /// 1 January of the year after the case was archived (the archival convention).
    YearAfterArchiving,
    /// The day the case was archived.
    Archiving,
}

impl PeriodStart {
    pub fn parse(s: &str) -> Option<PeriodStart> {
        match s {
            "year_after_archiving" => Some(Self::YearAfterArchiving),
            "archiving" => Some(Self::Archiving),
            _ => None,
        }
    }
}

/// The retention rules as data (shipped defaults in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRules {
    /// R3.5: every record at least this many years (from its record date and from custody).
    pub minimum_years: u16,
    /// R2.10: years per case-file class.
    pub periods: RetentionPeriods,
    pub start: PeriodStart,
    /// R3.7: a held record is kept at least this many years.
    pub hold_years: u16,
    /// Permanent records are locked this far ahead of now, renewed on each recomputation.
    pub permanent_lock_years: u16,
}

impl Default for RetentionRules {
    fn default() -> Self {
        Self {
            minimum_years: 3,
            periods: RetentionPeriods::default(),
            start: PeriodStart::YearAfterArchiving,
            hold_years: 30,
            permanent_lock_years: 100,
        }
    }
}

/// What the rules need to know about one case a record is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    pub id: &'a str,
    pub class: RetentionClass,
    /// When the case was archived; `None` while it is open.
    pub archived_at: Option<Timestamp>,
}

/// What the rules need to know about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts<'a> {
    /// Capture end, else capture start (the camera's clock).
    pub capture: Option<Timestamp>,
    /// When the record entered custody.
    pub stored_at: Timestamp,
    pub cases: &'a [CaseFacts<'a>],
    /// At least one preservation hold is in force on the record or one of its cases.
    pub held: bool,
}

/// Why a record is kept until when it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The own minimum counted from the record date.
    RecordDate { years: u16 },
    /// The own minimum counted from the day the record entered custody.
    Custody { years: u16 },
    /// A preservation hold's minimum.
    Hold { years: u16 },
    /// A case's class; `years == None` is permanent; `open`: not archived yet.
    Case {
        case_id: String,
        class: RetentionClass,
        years: Option<u16>,
        open: bool,
    },
}

impl Basis {
    pub fn code(&self) -> &'static str {
        match self {
            Self::RecordDate { .. } => "record_date",
            Self::Custody { .. } => "custody",
            Self::Hold { .. } => "hold",
            Self::Case { .. } => "case",
        }
    }
}

/// The retention the rules give a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub until: Timestamp,
    pub permanent: bool,
    pub basis: Basis,
}

fn plus_years(t: Timestamp, years: u16, tz: &TimeZone) -> Timestamp {
    t.to_zoned_datetime(tz.clone())
        .checked_add(Span::new().years(i64::from(years)))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// The end of the local day `years` after the day of `t` (the day counts whole: a record
/// that entered custody at 18:00 is kept through that day `years` later).
fn end_of_day_years_later(t: Timestamp, years: u16, tz: &TimeZone) -> Timestamp {
    t.to_zoned_datetime(tz.clone())
        .date()
        .checked_add(Span::new().years(i64::from(years)).days(1))
        .ok()
        .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

fn period_start(archived: Timestamp, start: PeriodStart, tz: &TimeZone) -> Timestamp {
    match start {
        PeriodStart::Archiving => archived,
        PeriodStart::YearAfterArchiving => {
            let year = archived.to_zoned_datetime(tz.clone()).year();
            Date::new(year.saturating_add(1), 1, 1)
                .ok()
                .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MAX)
        }
    }
}

/// The retention of a record under `rules` at `now`: the longest candidate wins; on a tie
/// a case's basis is named before the own minimum.
pub fn retention(
    rules: &RetentionRules,
    facts: &RecordFacts<'_>,
    now: Timestamp,
    tz: &TimeZone,
) -> Retention {
    let own = |years: u16, basis: Basis| -> Vec<Retention> {
        vec![
            Retention {
                until: plus_years(facts.capture.unwrap_or(facts.stored_at), years, tz),
                permanent: false,
                basis: basis.clone(),
            },
            Retention {
                until: end_of_day_years_later(facts.stored_at, years, tz),
                permanent: false,
                basis: match basis {
                    Basis::RecordDate { years } => Basis::Custody { years },
                    b => b,
                },
            },
        ]
    };
    let mut candidates: Vec<Retention> = Vec::new();
    for c in facts.cases {
        let years = rules.periods.years(c.class);
        let basis = Basis::Case {
            case_id: c.id.to_owned(),
            class: c.class,
            years,
            open: c.archived_at.is_none(),
        };
        candidates.push(match years {
            None => Retention {
                until: plus_years(now, rules.permanent_lock_years, tz),
                permanent: true,
                basis,
            },
            Some(y) => Retention {
                until: plus_years(
                    period_start(c.archived_at.unwrap_or(now), rules.start, tz),
                    y,
                    tz,
                ),
                permanent: false,
                basis,
            },
        });
    }
    if facts.held {
        let years = rules.hold_years;
        candidates.extend(own(years, Basis::Hold { years }));
    }
    let years = rules.minimum_years;
    candidates.extend(own(years, Basis::RecordDate { years }));
    // Longest first; permanent beats any date; earlier candidates win ties.
    let mut best = candidates.remove(0);
    for c in candidates {
        if (c.permanent, c.until) > (best.permanent, best.until) {
            best = c;
        }
    }
    best
}

/// "Extend, never shorten": the retain-until a record gets when the rules now say `target`
/// and it is kept until `current`.
pub fn applied(current: Timestamp, target: Timestamp) -> Timestamp {
    current.max(target)
}

/// Whether a record kept until `current` must be extended for `target`: for any later
/// date, except that a permanent lock is renewed only once it has fallen a year behind its
/// horizon, so a daily recomputation does not extend (and log) every permanent record
/// every day.
pub fn must_extend(current: Timestamp, target: &Retention) -> bool {
    if target.permanent {
        current.as_millisecond() < target.until.as_millisecond() - RENEW_PERMANENT_MS
    } else {
        target.until > current
    }
}

const RENEW_PERMANENT_MS: i64 = 366 * 86_400_000;

#[cfg(test)]
mod tests;
