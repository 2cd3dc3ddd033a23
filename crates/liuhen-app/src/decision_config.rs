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

fn read(data_dir: &Path, key: &str, name: &str) -> Result<Option<(std::path::PathBuf, String)>, AppError> {
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

    pub fn calendar(&self) -> Calendar {
        self.loaded
            .as_ref()
            .map(|(_, c)| c.clone())
            .unwrap_or_else(Calendar::default_shipped)
    }
}
