//! The offload station's pure rules (issue 15): a camera's identity from its file names,
//! by recognisers given as data (GA/T 947-style `<serial>_<police number>_<YYYYMMDDhhmmss>_<seq>`
//! and vendor variants), and an identity file's `key = value` lines.

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// One file-name recogniser: the stem split by `separator` must have exactly as many parts
/// as `fields`. Field names: `serial`, `police`, `time` (YYYYMMDDhhmmss), `date` (YYYYMMDD),
/// `clock` (hhmmss), `seq` (digits), `any` (anything non-empty).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NamePattern {
    pub name: String,
    pub separator: String,
    pub fields: Vec<String>,
}

/// What a camera says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CameraIdentity {
    pub serial: Option<String>,
    pub police: Option<String>,
    /// Recording start as the camera's clock wrote it (local civil time).
    pub recorded: Option<DateTime>,
}

fn alnum(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn civil(date: &str, clock: &str) -> Option<DateTime> {
    let n = |s: &str| s.parse::<i16>().ok();
    // `DateTime::new` checks ranges (month 13, 25:00 …) instead of panicking.
    DateTime::new(
        n(&date[..4])?,
        n(&date[4..6])? as i8,
        n(&date[6..8])? as i8,
        n(&clock[..2])? as i8,
        n(&clock[2..4])? as i8,
        n(&clock[4..6])? as i8,
        0,
    )
    .ok()
}

/// The identity in a file's stem (name without extension) by the first pattern that fits.
pub fn recognise(stem: &str, patterns: &[NamePattern]) -> Option<CameraIdentity> {
    patterns.iter().find_map(|p| recognise_one(stem, p))
}

fn recognise_one(stem: &str, p: &NamePattern) -> Option<CameraIdentity> {
    if p.separator.is_empty() {
        return None;
    }
    let parts: Vec<&str> = stem.split(p.separator.as_str()).collect();
    if parts.len() != p.fields.len() {
        return None;
    }
    let mut id = CameraIdentity::default();
    let (mut date, mut clock) = (None, None);
    for (field, part) in p.fields.iter().zip(&parts) {
        match field.as_str() {
            "serial" if alnum(part) => id.serial = Some((*part).to_owned()),
            "police" if alnum(part) => id.police = Some((*part).to_owned()),
            "time" if digits(part, 14) => id.recorded = Some(civil(&part[..8], &part[8..])?),
            "date" if digits(part, 8) => date = Some(*part),
            "clock" if digits(part, 6) => clock = Some(*part),
            "seq" if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => {}
            "any" if !part.is_empty() => {}
            _ => return None,
        }
    }
    if let (Some(d), Some(c)) = (date, clock) {
        id.recorded = Some(civil(d, c)?);
    }
    (id.serial.is_some() || id.police.is_some()).then_some(id)
}

/// An identity file's `serial = …` / `police = …` lines (also `序列号`, `警号`; `:` allowed;
/// `#` comments). Anything else is ignored.
pub fn parse_identity_file(text: &str) -> CameraIdentity {
    let mut id = CameraIdentity::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':', '：']) else {
            continue;
        };
        let v = v.trim().trim_matches('"').trim();
        if !alnum(v) {
            continue;
        }
        match k.trim().to_ascii_lowercase().as_str() {
            "serial" | "device" | "序列号" | "设备编号" => id.serial = Some(v.to_owned()),
            "police" | "police_number" | "警号" => id.police = Some(v.to_owned()),
            _ => {}
        }
    }
    id
}

/// What is wrong with a camera's clock, judged on one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockProblem {
    /// The recording time is later than the station's clock by `ahead`.
    Future { ahead: SignedDuration },
    /// The recording time and the file's modification time differ by `apart`.
    FarFromFile { apart: SignedDuration },
}

/// The camera clock check (as on upload): a recording start more than `tolerance` after
/// the station's `now` is in the future; against the file's own time (written when the
/// recording ended) a start more than `tolerance` after it, or more than `longest`
/// (the longest recording a camera writes into one file) plus `tolerance` before it, is
/// far from the file. A recording time in the future is the stronger finding.
pub fn camera_clock(
    recorded: Timestamp,
    file_time: Option<Timestamp>,
    now: Timestamp,
    tolerance: SignedDuration,
    longest: SignedDuration,
) -> Option<ClockProblem> {
    let ahead = recorded.duration_since(now);
    if ahead > tolerance {
        return Some(ClockProblem::Future { ahead });
    }
    let after_file = recorded.duration_since(file_time?);
    let far = after_file > tolerance || -after_file > longest + tolerance;
    far.then_some(ClockProblem::FarFromFile {
        apart: after_file.abs(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_clock_flags_the_future_and_times_far_from_the_file() {
        let now: Timestamp = "2026-12-07T08:00:00Z".parse().unwrap();
        let tol = SignedDuration::from_mins(10);
        let at = |m: i64| now + SignedDuration::from_mins(m);
        let longest = SignedDuration::from_mins(30);
        // (recorded, file time, expected) — written out by hand.
        let table = [
            (at(-60), Some(at(-55)), None),
            (at(-60), Some(at(-20)), None),
            (
                at(-60),
                Some(at(-19)),
                Some(ClockProblem::FarFromFile {
                    apart: SignedDuration::from_mins(41),
                }),
            ),
            (at(5), Some(at(5)), None),
            (
                at(11),
                Some(at(11)),
                Some(ClockProblem::Future {
                    ahead: SignedDuration::from_mins(11),
                }),
            ),
            // Recorded 11 minutes before the file was last written: within a recording's length.
            (at(-60), Some(at(-49)), None),
            (
                at(-49),
                Some(at(-60)),
                Some(ClockProblem::FarFromFile {
                    apart: SignedDuration::from_mins(11),
                }),
            ),
            (at(-600), None, None),
        ];
        for (recorded, file, want) in table {
            assert_eq!(
                camera_clock(recorded, file, now, tol, longest),
                want,
                "{recorded} {file:?}"
            );
        }
    }

    fn gat947() -> Vec<NamePattern> {
        vec![
            NamePattern {
                name: "GA/T 947".into(),
                separator: "_".into(),
                fields: vec![
                    "serial".into(),
                    "police".into(),
                    "time".into(),
                    "seq".into(),
                ],
            },
            NamePattern {
                name: "vendor".into(),
                separator: "_".into(),
                fields: vec![
                    "police".into(),
                    "date".into(),
                    "clock".into(),
                    "serial".into(),
                ],
            },
        ]
    }

    #[test]
    fn recognises_gat947_and_vendor_names() {
        let id = recognise("DSJ2019A0003_012345_20261207083015_0001", &gat947()).unwrap();
        assert_eq!(id.serial.as_deref(), Some("DSJ2019A0003"));
        assert_eq!(id.police.as_deref(), Some("012345"));
        assert_eq!(
            id.recorded,
            Some(jiff::civil::date(2026, 12, 7).at(8, 30, 15, 0))
        );
        let v = recognise("012345_20261207_083015_DSJ9", &gat947()).unwrap();
        assert_eq!(v.serial.as_deref(), Some("DSJ9"));
        assert_eq!(
            v.recorded,
            Some(jiff::civil::date(2026, 12, 7).at(8, 30, 15, 0))
        );
        assert_eq!(recognise("MOV_0001", &gat947()), None);
        assert_eq!(
            recognise("A_B_20261399083015_1", &gat947()),
            None,
            "month 13"
        );
    }

    #[test]
    fn identity_file_lines() {
        let id = parse_identity_file("# cam\n序列号 = DSJ7\npolice: 0777\nother=x\n");
        assert_eq!(id.serial.as_deref(), Some("DSJ7"));
        assert_eq!(id.police.as_deref(), Some("0777"));
    }
}
