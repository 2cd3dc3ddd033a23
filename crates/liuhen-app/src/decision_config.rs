//! `[decisions]`: the catalog of major decisions (附件5) and the working-day calendar in
//! force: a bureau's own files (relative to the data directory), or the shipped defaults.
//! Both are validated at start; an error names the file and the entry.

use std::path::Path;

use liuhen_domain::decision::calendar::Calendar;
use liuhen_domain::decision::catalog::Catalog;
use serde::Deserialize;

use crate::AppError;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionSettings {
    /// Path of the bureau's own catalog; empty: the shipped 附件5.
    #[serde(default)]
    pub catalog: String,
    /// Path of the bureau's own working-day calendar; empty: the shipped one.
    #[serde(default)]
    pub calendar: String,
    #[serde(skip)]
    loaded: Option<(Catalog, Calendar)>,
}

fn read(
    data_dir: &Path,
    key: &str,
    name: &str,
) -> Result<Option<(std::path::PathBuf, String)>, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let path = data_dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| AppError::Config {
        path: path.clone(),
        message: format!("decisions.{key}: 无法读取文件 / cannot read the file: {e}"),
    })?;
    Ok(Some((path, text)))
}

impl DecisionSettings {
    /// Reads and validates the configured files (called by `Config::load`).
    pub(crate) fn load(&mut self, data_dir: &Path) -> Result<(), AppError> {
        let catalog = match read(data_dir, "catalog", &self.catalog)? {
            None => Catalog::default_shipped(),
            Some((path, text)) => Catalog::parse(&text).map_err(|e| AppError::Config {
                path,
                message: format!("decisions.catalog: {e}"),
            })?,
        };
        let calendar = match read(data_dir, "calendar", &self.calendar)? {
            None => Calendar::default_shipped(),
            Some((path, text)) => Calendar::parse(&text).map_err(|e| AppError::Config {
                path,
                message: format!("decisions.calendar: {e}"),
            })?,
        };
        self.loaded = Some((catalog, calendar));
        Ok(())
    }

    pub fn catalog(&self) -> Catalog {
        self.loaded
            .as_ref()
            .map(|(c, _)| c.clone())
            .unwrap_or_else(Catalog::default_shipped)
    }

    /// Adds the calendar's holidays and make-up working days to the odd-hours signal's
    /// own lists (the calendar is shared with it, R3.13).
    pub fn share_calendar(&self, t: &mut liuhen_domain::signals::Thresholds) {
        let cal = self.calendar();
        t.days_off.extend(cal.holidays());
        t.extra_workdays.extend(cal.workdays());
        t.days_off.sort();
        t.days_off.dedup();
        t.extra_workdays.sort();
        t.extra_workdays.dedup();
    }

    pub fn calendar(&self) -> Calendar {
        self.loaded
            .as_ref()
            .map(|(_, c)| c.clone())
            .unwrap_or_else(Calendar::default_shipped)
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn load(dir: &std::path::Path, toml: &str) -> Result<Config, String> {
        std::fs::write(dir.join("liuhen.toml"), toml).unwrap();
        Config::load(dir).map_err(|e| e.to_string())
    }

    #[test]
    fn the_odd_hours_signal_shares_the_working_day_calendar() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(dir.path(), "").unwrap();
        let mut t = c.supervision.signals.thresholds(8 * 3600);
        c.decisions.share_calendar(&mut t);
        let day = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        assert!(t.days_off.contains(&day("2026-10-01")), "National Day");
        assert!(
            t.extra_workdays.contains(&day("2026-02-14")),
            "Spring Festival make-up day"
        );
    }

    #[test]
    fn a_bad_bureau_catalog_or_calendar_stops_the_start_naming_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = liuhen_domain::decision::catalog::Catalog::shipped_text();
        let bad = shipped.replace("measures = [\"seal_seize\"]", "measures = [\"seal\"]");
        std::fs::write(dir.path().join("catalog.toml"), bad).unwrap();
        let e = load(dir.path(), "[decisions]\ncatalog = \"catalog.toml\"\n").unwrap_err();
        assert!(e.contains("coercion.seal_seize"), "{e}");
        std::fs::write(dir.path().join("cal.toml"), "weekend = [\"caturday\"]\n").unwrap();
        let e = load(dir.path(), "[decisions]\ncalendar = \"cal.toml\"\n").unwrap_err();
        assert!(e.contains("caturday"), "{e}");
        let own = shipped.replace("organisation = 50000", "organisation = 100000");
        std::fs::write(dir.path().join("own.toml"), own).unwrap();
        let c = load(dir.path(), "[decisions]\ncatalog = \"own.toml\"\n").unwrap();
        let e = c.decisions.catalog();
        assert_eq!(
            e.entry("penalty.large_fine").unwrap().fine_at_least_fen,
            Some((2_000_000, 10_000_000))
        );
    }
}
