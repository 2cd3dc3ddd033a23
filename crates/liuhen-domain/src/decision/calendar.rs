//! The working-day calendar (工作日历) as data: weekends, public holidays and make-up
//! working days per year, from `calendar.toml` or a bureau's own file. Time limits of the
//! legal review count working days on it. Pure: dates in, dates out.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

const SHIPPED: &str = include_str!("calendar.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<Date>,
    workdays: BTreeSet<Date>,
    /// Years the calendar knows (with the notice each comes from).
    years: BTreeMap<i16, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{zh} / {en}")]
pub struct CalendarError {
    pub zh: String,
    pub en: String,
}

/// The refusal code of a time limit that would count a day of a year the calendar does not
/// list (its holidays are unknown until the State Council's notice for it is added).
pub const CALENDAR_NOT_COVERED: &str = "calendar_not_covered";

/// A time limit reached a day of a year the calendar does not list: counting it as
/// Monday–Friday would give a wrong deadline, so the computation refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the working-day calendar does not list {year} (day {date}); covered: {covered}")]
pub struct BeyondCalendar {
    /// The first day counted that the calendar does not cover.
    pub date: Date,
    pub year: i16,
    /// The years the calendar lists, e.g. "2026" (empty: none).
    pub covered: String,
}

impl BeyondCalendar {
    /// The refusal as a message (`error.calendar_not_covered`).
    pub fn message(&self) -> crate::Message {
        let covered = if self.covered.is_empty() {
            "—"
        } else {
            &self.covered
        };
        crate::Message::new(CALENDAR_NOT_COVERED)
            .arg("year", self.year)
            .arg("date", self.date)
            .arg("covered", covered)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    weekend: Vec<String>,
    #[serde(default)]
    years: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i16,
    #[serde(default)]
    source: String,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// The days of "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD".
fn days(s: &str) -> Option<Vec<Date>> {
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let (a, b): (Date, Date) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b < a || (b - a).get_days() > 60 {
        return None;
    }
    let mut out = vec![a];
    let mut d = a;
    while d < b {
        d = d.tomorrow().ok()?;
        out.push(d);
    }
    Some(out)
}

impl Calendar {
    pub fn default_shipped() -> Calendar {
        Self::parse(SHIPPED).expect("the shipped calendar is valid")
    }

    pub fn parse(text: &str) -> Result<Calendar, CalendarError> {
        let bad = |zh: String, en: String| CalendarError { zh, en };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            bad(
                format!("工作日历格式错误：{e}"),
                format!("calendar file is malformed: {e}"),
            )
        })?;
        let mut weekend = Vec::new();
        for w in &raw.weekend {
            weekend.push(weekday(w).ok_or_else(|| {
                bad(
                    format!("weekend：未知的星期“{w}”"),
                    format!("weekend: unknown weekday {w:?}"),
                )
            })?);
        }
        let mut cal = Calendar {
            weekend,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            years: BTreeMap::new(),
        };
        for y in raw.years {
            if cal.years.insert(y.year, y.source.clone()).is_some() {
                return Err(bad(
                    format!("{} 年重复", y.year),
                    format!("year {} repeated", y.year),
                ));
            }
            for (list, into_holidays) in [(&y.holidays, true), (&y.workdays, false)] {
                for s in list {
                    let ds = days(s).ok_or_else(|| {
                        bad(
                            format!("{} 年：日期“{s}”无效", y.year),
                            format!("year {}: bad date {s:?}", y.year),
                        )
                    })?;
                    for d in ds {
                        if d.year() != y.year {
                            return Err(bad(
                                format!("{} 年：日期 {d} 不在该年", y.year),
                                format!("year {}: {d} is not in that year", y.year),
                            ));
                        }
                        let (this, other) = if into_holidays {
                            (&mut cal.holidays, &cal.workdays)
                        } else {
                            (&mut cal.workdays, &cal.holidays)
                        };
                        if other.contains(&d) {
                            return Err(bad(
                                format!("{} 年：{d} 既是假日又是调休上班日", y.year),
                                format!("year {}: {d} is both a holiday and a working day", y.year),
                            ));
                        }
                        this.insert(d);
                    }
                }
            }
        }
        Ok(cal)
    }

    /// Whether the calendar lists the holidays of `year` (a time limit that reaches another
    /// year is refused: [`BeyondCalendar`]).
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = (i16, &str)> {
        self.years.iter().map(|(y, s)| (*y, s.as_str()))
    }

    /// The listed public holidays (days off), in order.
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    /// The listed make-up working days (调休上班), in order.
    pub fn workdays(&self) -> impl Iterator<Item = Date> + '_ {
        self.workdays.iter().copied()
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !self.holidays.contains(&d) && !self.weekend.contains(&d.weekday())
    }

    /// The `n`-th working day after `start` (the start day itself does not count; `n = 0`
    /// gives `start`). Every day counted must lie in a year the calendar lists, else
    /// [`BeyondCalendar`] names the first one that does not.
    pub fn add_working_days(&self, start: Date, n: u32) -> Result<Date, BeyondCalendar> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = self.next_covered(d)?;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Working days after `from` up to and including `to` (0 when `to <= from`); refused
    /// like [`Self::add_working_days`] when a day counted is in a year not listed.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, BeyondCalendar> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = self.next_covered(d)?;
            if self.is_working_day(d) {
                n += 1;
            }
        }
        Ok(n)
    }

    fn next_covered(&self, d: Date) -> Result<Date, BeyondCalendar> {
        let next = d.tomorrow().map_err(|_| self.beyond(d))?;
        if self.covers(next.year()) {
            Ok(next)
        } else {
            Err(self.beyond(next))
        }
    }

    fn beyond(&self, date: Date) -> BeyondCalendar {
        BeyondCalendar {
            date,
            year: date.year(),
            covered: self
                .years
                .keys()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join("、"),
        }
    }
}
