//! `[supervision]`: the access register and the misconduct signals' thresholds (R4.1, R3.13).

use liuhen_domain::register;
use liuhen_domain::signals::Thresholds;
use liuhen_domain::supervision::{ConsequenceKind, validate_consequences};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervision {
    pub register_page_size: u32,
    pub register_export_max_rows: u32,
    pub signals: SignalSettings,
    /// Consequences of a finding (附件3 第十八条); shipped list:
    /// `liuhen-domain/src/supervision/consequences.toml`. A bureau may give its own as
    /// `[[supervision.consequences]]` (code, zh, en).
    #[serde(default = "liuhen_domain::supervision::default_consequences")]
    pub consequences: Vec<ConsequenceKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSettings {
    pub lookback_days: u32,
    pub refusals_count: u32,
    pub refusals_window_minutes: u32,
    pub outside_grant_reasons: Vec<String>,
    pub bulk_count: u32,
    pub bulk_window_minutes: u32,
    pub bulk_kinds: Vec<String>,
    pub workday_start_hour: u8,
    pub workday_end_hour: u8,
    pub weekends_are_odd: bool,
    pub days_off: Vec<String>,
    pub extra_workdays: Vec<String>,
    pub odd_hours_kinds: Vec<String>,
    pub tamper_actions: Vec<String>,
}

impl Supervision {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(1..=500).contains(&self.register_page_size) {
            return Err("supervision.register_page_size must be between 1 and 500".into());
        }
        if self.register_export_max_rows == 0 {
            return Err("supervision.register_export_max_rows must be at least 1".into());
        }
        validate_consequences(&self.consequences).map_err(|e| format!("supervision.{e}"))?;
        let s = &self.signals;
        let positive = [
            ("lookback_days", s.lookback_days),
            ("refusals_count", s.refusals_count),
            ("refusals_window_minutes", s.refusals_window_minutes),
            ("bulk_count", s.bulk_count),
            ("bulk_window_minutes", s.bulk_window_minutes),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(format!("supervision.signals.{name} must be at least 1"));
            }
        }
        if s.workday_start_hour >= s.workday_end_hour || s.workday_end_hour > 24 {
            return Err(
                "supervision.signals: workday_start_hour must be below workday_end_hour (≤ 24)"
                    .into(),
            );
        }
        for (name, kinds) in [
            ("bulk_kinds", &s.bulk_kinds),
            ("odd_hours_kinds", &s.odd_hours_kinds),
        ] {
            if let Some(k) = kinds.iter().find(|k| register::kind(k).is_none()) {
                let known: Vec<&str> = register::REGISTER_KINDS.iter().map(|k| k.code).collect();
                return Err(format!(
                    "supervision.signals.{name}: unknown kind {k:?} (known: {})",
                    known.join(", ")
                ));
            }
        }
        s.dates().map(|_| ())
    }
}

impl SignalSettings {
    fn dates(&self) -> Result<(Vec<jiff::civil::Date>, Vec<jiff::civil::Date>), String> {
        let parse = |name: &str, v: &[String]| {
            v.iter()
                .map(|d| {
                    d.parse::<jiff::civil::Date>().map_err(|_| {
                        format!("supervision.signals.{name}: {d:?} is not a date like 2026-10-01")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((
            parse("days_off", &self.days_off)?,
            parse("extra_workdays", &self.extra_workdays)?,
        ))
    }

    /// The thresholds of the pure detection, for a bureau at this offset from UTC.
    pub fn thresholds(&self, utc_offset_seconds: i32) -> Thresholds {
        let (days_off, extra_workdays) = self.dates().unwrap_or_default();
        Thresholds {
            refusals_count: self.refusals_count as usize,
            refusals_window_ms: i64::from(self.refusals_window_minutes) * 60_000,
            outside_grant_reasons: self.outside_grant_reasons.clone(),
            bulk_count: self.bulk_count as usize,
            bulk_window_ms: i64::from(self.bulk_window_minutes) * 60_000,
            bulk_kinds: self.bulk_kinds.clone(),
            workday_start_hour: self.workday_start_hour,
            workday_end_hour: self.workday_end_hour,
            weekends_are_odd: self.weekends_are_odd,
            days_off,
            extra_workdays,
            odd_hours_kinds: self.odd_hours_kinds.clone(),
            tamper_actions: self.tamper_actions.clone(),
            utc_offset_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn load(toml: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("liuhen.toml"), toml).unwrap();
        Config::load(dir.path()).map_err(|e| e.to_string())
    }

    #[test]
    fn shipped_thresholds_and_bad_values() {
        let c = load("").unwrap();
        let t = c.supervision.signals.thresholds(8 * 3600);
        assert_eq!(t.refusals_count, 5);
        assert_eq!(t.bulk_window_ms, 30 * 60_000);
        assert!(t.tamper_actions.contains(&"record.delete".to_owned()));
        let cases = [
            ("[supervision.signals]\nbulk_count = 0\n", "bulk_count"),
            (
                "[supervision.signals]\nworkday_start_hour = 20\n",
                "workday_start_hour",
            ),
            ("[supervision.signals]\nbulk_kinds = [\"steal\"]\n", "steal"),
            ("[supervision.signals]\ndays_off = [\"10/01\"]\n", "10/01"),
            ("[supervision.signals]\nthreshold = 1\n", "threshold"),
            (
                "[supervision]\nregister_page_size = 0\n",
                "register_page_size",
            ),
        ];
        for (toml, needle) in cases {
            let err = load(toml).unwrap_err();
            assert!(err.contains(needle), "{toml}: {err}");
        }
        let c = load("[supervision.signals]\ndays_off = [\"2026-10-01\"]\n").unwrap();
        assert_eq!(c.supervision.signals.thresholds(0).days_off.len(), 1);
    }
}
