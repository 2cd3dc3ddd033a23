//! Typed configuration: the shipped defaults, overlaid by `<data dir>/liuhen.toml`, overlaid
//! by environment variables. Unknown keys are errors, so a typo never goes unnoticed.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::AppError;

pub const DEFAULT_CONFIG: &str = include_str!("../default-config.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub bureau: Bureau,
    pub custody: CustodyRules,
    pub retention: RetentionSettings,
    pub fixity: crate::fixity::FixitySettings,
    pub storage: Storage,
    pub security: Security,
    pub uploads: UploadSettings,
    pub media: MediaSettings,
    #[serde(default)]
    pub devices: Vec<DeviceDefaults>,
    pub cases: CaseSettings,
    #[serde(default)]
    pub access: AccessSettings,
    pub supervision: crate::supervision_config::Supervision,
    pub station: StationSettings,
    #[serde(default)]
    pub pdf: PdfSettings,
    pub limits: Limits,
    pub decisions: crate::decision_config::DecisionSettings,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub checkpoints: CheckpointSettings,
}

/// Where signed checkpoints are kept outside the database (issue 14, `docs/checkpoints.md`).
/// Every checkpoint is written to the blob store (`checkpoints/<size>.note`: 0444 files,
/// S3 Object Lock) and, when set, to the witness directory; `verify` checks the log against
/// the newest of each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSettings {
    /// A directory outside the data directory (another disk, a mounted share of another
    /// machine, write-only for this server's user); empty: none. Relative: to the data dir.
    pub witness_dir: String,
    /// How long a checkpoint note is locked on S3 (COMPLIANCE), in years.
    pub retain_years: u16,
}

impl Default for CheckpointSettings {
    fn default() -> Self {
        Self {
            witness_dir: String::new(),
            retain_years: 30,
        }
    }
}

impl CheckpointSettings {
    /// The witness directory, resolved against the data directory; `None` when not set.
    pub fn witness(&self, data_dir: &Path) -> Option<PathBuf> {
        let w = self.witness_dir.trim();
        (!w.is_empty()).then(|| data_dir.join(w))
    }
}

/// How `serve` runs beside answering requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Whether this server runs the periodic jobs (checkpoint signing, retention
    /// recomputation, overdue reviews, scheduled fixity, the register projection, media
    /// derivatives, expiry of abandoned uploads). Off on
    /// every server of a group but one, or in a fault drill that must see only the syncs
    /// of the requests it sends. The checkpoint at shutdown is signed either way.
    pub periodic_jobs: bool,
    /// After SIGTERM / Ctrl-C: how long requests in flight may still finish (and then how
    /// long the final checkpoint may take) before the process ends regardless.
    pub drain_seconds: u32,
    /// How long `/healthz` waits for the database and for the blob store before it calls
    /// either unreachable (503).
    pub health_timeout_ms: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            periodic_jobs: true,
            drain_seconds: 10,
            health_timeout_ms: 2000,
        }
    }
}

/// The offload station (issue 15): where cameras appear and how they are recognised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSettings {
    pub roots: Vec<PathBuf>,
    pub poll_seconds: u32,
    pub stable_scans: u32,
    pub identity_files: Vec<String>,
    pub clear_units: Vec<String>,
    /// Camera clock check: recording times further than this in the future of the station's
    /// clock, or this far from the file's modification time, are flagged.
    pub clock_tolerance_minutes: u32,
    /// The longest recording a camera writes into one file: a file's time (its end) may be
    /// this much after the start in its name without a clock problem.
    pub longest_recording_minutes: u32,
    /// Files offloaded at once (0: one per core).
    pub files_in_flight: u32,
    /// Where `liuhen station run` writes its slots as JSON and the `/station` page reads
    /// them (relative to the data directory, or absolute).
    pub status_file: PathBuf,
    pub name_patterns: Vec<liuhen_domain::station::NamePattern>,
    #[serde(default)]
    pub officers: Vec<StationOfficer>,
}

/// A police number (警号) and the account it belongs to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationOfficer {
    pub police_number: String,
    pub account: String,
}

/// Printed forms (`crate::pdf`): the red header and the font. Empty values: no header, the
/// built-in font (a GB 2312 subset of Noto Serif CJK SC).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PdfSettings {
    /// Red header (红头) printed above every form's title, e.g. the unit's name.
    #[serde(default)]
    pub header: String,
    /// An OpenType/TrueType font file (or collection) to print with instead of the built-in
    /// one, relative to the data directory or absolute.
    #[serde(default)]
    pub font: String,
    /// Index of the face in a font collection (`.ttc`).
    #[serde(default)]
    pub font_index: u32,
}

/// Bounds on what any request may carry (issue 10, item 4), checked at the edge before
/// anything is looked up or stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Longest user name accepted at sign-in, in bytes.
    pub username_bytes: usize,
    /// Largest form or JSON body (uploads and paper scans excepted), in bytes.
    pub body_bytes: usize,
    /// Longest value of one form field or JSON string, in characters.
    pub field_chars: usize,
    /// Longest query string, in bytes.
    pub query_bytes: usize,
    /// Longest tus `Upload-Metadata` header, in bytes.
    pub upload_metadata_bytes: usize,
}

/// Cases and compliance: the checklist and the continuity tolerance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSettings {
    /// Path of the bureau's own checklist; empty: the shipped default.
    pub checklist: String,
    pub gap_tolerance_seconds: u32,
    /// Roles that may reopen an archived case, with a reason (R4.7).
    pub reopen_roles: Vec<String>,
    /// The checklist loaded from `checklist` (set by [`Config::load`]).
    #[serde(skip)]
    pub loaded: Option<liuhen_domain::checklist::Checklist>,
    /// Path of the bureau's lists file laid over the shipped lists (interruption reasons,
    /// issue 11); empty: the shipped lists.
    #[serde(default)]
    pub lists: String,
    /// The lists in force (set by [`Config::load`]).
    #[serde(skip)]
    pub loaded_lists: Option<liuhen_domain::lists::Lists>,
}

/// The access policy (issue 5): empty `policy_file` = the shipped default
/// (`liuhen-domain/src/access/default.toml`); else a bureau's own file, relative to the data
/// directory, validated on start.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    pub policy_file: String,
}

/// Resumable uploads through the web (tus).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadSettings {
    /// Largest upload accepted (`Tus-Max-Size`), in bytes.
    pub max_size_bytes: u64,
    /// An unfinished upload untouched this long is expired and its partial data removed.
    pub idle_expiry_hours: u32,
    /// Where partial uploads are staged: empty = `<data dir>/uploads`; else a directory
    /// (relative to the data directory, or absolute) that every server of a group reaches.
    pub staging_dir: String,
    /// How long a PATCH's lease on an upload lasts unless renewed (it is renewed while
    /// bytes flow); a server that dies mid-PATCH blocks the upload at most this long.
    pub lease_seconds: u32,
}

/// Browser-playable proxies and thumbnails (ffmpeg).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// The ffmpeg executable; empty: `LIUHEN_FFMPEG`, else `ffmpeg` on `PATH`.
    pub ffmpeg: String,
    /// Hard limit on one ffmpeg run.
    pub ffmpeg_timeout_seconds: u32,
    /// Niceness ffmpeg runs with (0–19), so playback and ingest keep priority.
    pub ffmpeg_niceness: u8,
    /// How often the background worker looks for videos without derivatives.
    pub worker_interval_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bureau {
    pub name: String,
    pub utc_offset: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyRules {
    pub ingest_deadline_hours: u32,
    pub default_retention_years: u16,
    pub probe_timeout_seconds: u32,
}

/// How long records are kept (R2.10, R3.5, R3.7): see `liuhen_domain::retention`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub complex_years: u16,
    pub hearing_or_enforced_execution_years: u16,
    pub ordinary_years: u16,
    pub period_start: String,
    pub hold_years: u16,
    pub permanent_lock_years: u16,
    pub recompute_every_hours: u32,
    pub hold_place_roles: Vec<String>,
    pub hold_lift_roles: Vec<String>,
    pub disposal_roles: Vec<String>,
    pub disposal_chain: Vec<String>,
    pub hold_grounds: Vec<HoldGroundSettings>,
}

/// One ground of a preservation hold (R3.7).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldGroundSettings {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub case_flags: Vec<String>,
}

/// Sign-in and session rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub idle_timeout_minutes: u32,
    /// Overrides `idle_timeout_minutes` when set (meant for tests).
    #[serde(default)]
    pub idle_timeout_seconds: Option<u32>,
    pub session_max_hours: u32,
    pub lockout_failures: u32,
    pub lockout_minutes: u32,
    pub address_lockout_failures: u32,
    pub address_lockout_minutes: u32,
    pub account_delay_after_failures: u32,
    pub account_delay_ms: u64,
    /// Lifetime of a new API token unless its creator chooses another, and the longest.
    pub api_token_days: u32,
    pub api_token_max_days: u32,
    /// Client addresses of reverse proxies whose `X-Forwarded-For` is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    #[serde(default)]
    pub secure_cookies: bool,
}

impl Security {
    pub fn idle_timeout_ms(&self) -> i64 {
        match self.idle_timeout_seconds {
            Some(s) => i64::from(s) * 1000,
            None => i64::from(self.idle_timeout_minutes) * 60_000,
        }
    }

    pub fn session_max_ms(&self) -> i64 {
        i64::from(self.session_max_hours) * 3_600_000
    }

    pub fn lockout(&self) -> liuhen_domain::auth::LockoutPolicy {
        liuhen_domain::auth::LockoutPolicy {
            max_failures: self.lockout_failures,
            lock_ms: i64::from(self.lockout_minutes) * 60_000,
        }
    }

    pub fn address_lockout(&self) -> liuhen_domain::auth::LockoutPolicy {
        liuhen_domain::auth::LockoutPolicy {
            max_failures: self.address_lockout_failures,
            lock_ms: i64::from(self.address_lockout_minutes) * 60_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub blobs: String,
    pub database_url: String,
    pub s3: Option<S3Settings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeviceDefaults {
    pub serial: Option<String>,
    pub name: Option<String>,
    pub agency: Option<String>,
    pub officer: Option<String>,
    /// Where this device's recordings come from (R2.1): `body_camera` (the default),
    /// `handheld_camera`, `fixed_surveillance` or `audio_recorder`; the recording mode
    /// follows from it (video from a fixed surveillance camera is 视频监控).
    pub source: Option<String>,
}

impl DeviceDefaults {
    fn source(&self) -> Option<liuhen_domain::case::RecordingSource> {
        self.source.as_deref().and_then(|s| s.parse().ok())
    }
}

impl Config {
    /// Defaults, then `<data_dir>/liuhen.toml` if present, then `LIUHEN_DATABASE_URL`.
    pub fn load(data_dir: &Path) -> Result<Config, AppError> {
        let mut value: toml::Table = DEFAULT_CONFIG
            .parse()
            .expect("shipped default config parses");
        let path = data_dir.join("liuhen.toml");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| AppError::io(&path, e))?;
            let local: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| AppError::Config {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
            merge(&mut value, local);
        }
        let mut config: Config =
            value
                .try_into()
                .map_err(|e: toml::de::Error| AppError::Config {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        if let Ok(url) = std::env::var("LIUHEN_DATABASE_URL") {
            config.storage.database_url = url;
        }
        config.validate(&path)?;
        config.load_checklist(data_dir)?;
        config.load_lists(data_dir)?;
        config.decisions.load(data_dir)?;
        Ok(config)
    }

    /// Reads and validates the bureau's checklist, if one is configured.
    fn load_checklist(&mut self, data_dir: &Path) -> Result<(), AppError> {
        let name = self.cases.checklist.trim();
        if name.is_empty() {
            return Ok(());
        }
        let path = data_dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| AppError::Config {
            path: path.clone(),
            message: format!("cases.checklist: 无法读取清单文件 / cannot read the checklist: {e}"),
        })?;
        let list =
            liuhen_domain::checklist::Checklist::parse(&text).map_err(|e| AppError::Config {
                path: path.clone(),
                message: format!("cases.checklist: {e}"),
            })?;
        self.cases.loaded = Some(list);
        Ok(())
    }

    /// Reads the bureau's lists file, if one is configured, over the shipped lists.
    fn load_lists(&mut self, data_dir: &Path) -> Result<(), AppError> {
        let name = self.cases.lists.trim();
        if name.is_empty() {
            return Ok(());
        }
        let path = data_dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| AppError::Config {
            path: path.clone(),
            message: format!("cases.lists: 无法读取清单文件 / cannot read the lists: {e}"),
        })?;
        let lists = liuhen_domain::lists::Lists::shipped()
            .overlay(&text)
            .map_err(|e| AppError::Config {
                path: path.clone(),
                message: format!("cases.lists: {e}"),
            })?;
        self.cases.loaded_lists = Some(lists);
        Ok(())
    }

    /// The lists in force: the shipped ones, with the bureau's file over them.
    pub fn lists(&self) -> liuhen_domain::lists::Lists {
        self.cases
            .loaded_lists
            .clone()
            .unwrap_or_else(liuhen_domain::lists::Lists::shipped)
    }

    /// The checklist in force: the bureau's own, or the shipped default.
    pub fn checklist(&self) -> liuhen_domain::checklist::Checklist {
        self.cases
            .loaded
            .clone()
            .unwrap_or_else(liuhen_domain::checklist::Checklist::default_shipped)
    }

    /// The thresholds of the compliance rules.
    pub fn compliance(&self) -> liuhen_domain::compliance::ComplianceConfig {
        liuhen_domain::compliance::ComplianceConfig {
            gap_tolerance: jiff::SignedDuration::from_secs(i64::from(
                self.cases.gap_tolerance_seconds,
            )),
            lists: self.lists(),
            ..Default::default()
        }
    }

    /// The access policy this bureau uses, validated.
    pub fn access_policy(
        &self,
        data_dir: &Path,
    ) -> Result<liuhen_domain::access::Policy, AppError> {
        use liuhen_domain::access::Policy;
        let file = self.access.policy_file.trim();
        if file.is_empty() {
            return Ok(Policy::default_shipped());
        }
        let path = data_dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| AppError::io(&path, e))?;
        Policy::parse(&text).map_err(|e| AppError::Config {
            path,
            message: e.to_string(),
        })
    }

    fn validate(&self, path: &Path) -> Result<(), AppError> {
        let bad = |message: String| AppError::Config {
            path: path.to_owned(),
            message,
        };
        self.utc_offset()
            .map_err(|e| bad(format!("bureau.utc_offset: {e}")))?;
        if self.custody.ingest_deadline_hours == 0 {
            return Err(bad(
                "custody.ingest_deadline_hours must be at least 1".into()
            ));
        }
        if self.custody.default_retention_years == 0 {
            return Err(bad(
                "custody.default_retention_years must be at least 1".into()
            ));
        }
        self.retention_rules().map_err(bad)?;
        self.fixity.validate().map_err(bad)?;
        self.hold_policy().map_err(bad)?;
        self.disposal_roles().map_err(bad)?;
        self.disposal_chain().map_err(bad)?;
        if self.uploads.lease_seconds == 0 {
            return Err(bad("uploads.lease_seconds must be at least 1".into()));
        }
        let sec = &self.security;
        if sec.idle_timeout_ms() <= 0 || sec.session_max_hours == 0 {
            return Err(bad(
                "security: the idle timeout and the session lifetime must be positive".into(),
            ));
        }
        if sec.lockout_failures == 0
            || sec.lockout_minutes == 0
            || sec.address_lockout_failures == 0
            || sec.address_lockout_minutes == 0
        {
            return Err(bad(
                "security.lockout_failures, lockout_minutes, address_lockout_failures and \
                 address_lockout_minutes must be at least 1"
                    .into(),
            ));
        }
        if sec.api_token_days == 0 || sec.api_token_days > sec.api_token_max_days {
            return Err(bad(
                "security.api_token_days must be between 1 and api_token_max_days".into(),
            ));
        }
        let l = &self.limits;
        if l.username_bytes == 0
            || l.body_bytes == 0
            || l.field_chars == 0
            || l.query_bytes == 0
            || l.upload_metadata_bytes == 0
        {
            return Err(bad("every limits.* value must be at least 1".into()));
        }
        self.supervision.validate().map_err(bad)?;
        if self.cases.reopen_roles.is_empty() {
            return Err(bad("cases.reopen_roles: at least one role".into()));
        }
        for r in &self.cases.reopen_roles {
            r.parse::<liuhen_domain::Role>()
                .map_err(|_| bad(format!("cases.reopen_roles: unknown role {r:?}")))?;
        }
        for d in &self.devices {
            if let Some(source) = &d.source {
                source
                    .parse::<liuhen_domain::case::RecordingSource>()
                    .map_err(|e| bad(format!("devices.source: {e}")))?;
            }
        }
        match self.storage.blobs.as_str() {
            "local" => {}
            "s3" if self.storage.s3.is_some() => {}
            "s3" => {
                return Err(bad(
                    "storage.blobs = \"s3\" needs a [storage.s3] table".into()
                ));
            }
            other => {
                return Err(bad(format!(
                    "storage.blobs must be \"local\" or \"s3\", not {other:?}"
                )));
            }
        }
        Ok(())
    }

    /// The retention rules in force, validated.
    pub fn retention_rules(&self) -> Result<liuhen_domain::retention::RetentionRules, String> {
        use liuhen_domain::case::RetentionPeriods;
        use liuhen_domain::retention::{PeriodStart, RetentionRules};
        let r = &self.retention;
        let start = PeriodStart::parse(r.period_start.trim()).ok_or_else(|| {
            format!(
                "retention.period_start must be \"year_after_archiving\" or \"archiving\", not {:?}",
                r.period_start
            )
        })?;
        let years = [
            r.complex_years,
            r.hearing_or_enforced_execution_years,
            r.ordinary_years,
            r.hold_years,
            r.permanent_lock_years,
        ];
        if r.recompute_every_hours == 0 {
            return Err("retention.recompute_every_hours must be at least 1".into());
        }
        if years.contains(&0) || r.permanent_lock_years > 500 {
            return Err("retention: every period must be at least 1 year (permanent_lock_years at most 500)".into());
        }
        Ok(RetentionRules {
            minimum_years: self.custody.default_retention_years,
            periods: RetentionPeriods {
                complex_years: Some(r.complex_years),
                hearing_or_enforced_execution_years: Some(r.hearing_or_enforced_execution_years),
                ordinary_years: Some(r.ordinary_years),
            },
            start,
            hold_years: r.hold_years,
            permanent_lock_years: r.permanent_lock_years,
        })
    }

    /// Who draws up the disposal list.
    pub fn disposal_roles(&self) -> Result<Vec<liuhen_domain::Role>, String> {
        self.retention
            .disposal_roles
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("retention.disposal_roles: unknown role {s:?}"))
            })
            .collect()
    }

    /// The approval chain of a disposal list: at least one step.
    pub fn disposal_chain(&self) -> Result<Vec<liuhen_domain::Role>, String> {
        let chain: Vec<liuhen_domain::Role> = self
            .retention
            .disposal_chain
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("retention.disposal_chain: unknown role {s:?}"))
            })
            .collect::<Result<_, _>>()?;
        if chain.is_empty() {
            return Err(
                "retention.disposal_chain: a disposal list needs at least one approval step".into(),
            );
        }
        Ok(chain)
    }

    /// The preservation-hold policy in force, validated.
    pub fn hold_policy(&self) -> Result<liuhen_domain::hold::HoldPolicy, String> {
        use liuhen_domain::hold::{Ground, HoldPolicy};
        let r = &self.retention;
        let roles = |list: &[String], key: &str| -> Result<Vec<liuhen_domain::Role>, String> {
            list.iter()
                .map(|s| {
                    s.parse()
                        .map_err(|_| format!("retention.{key}: unknown role {s:?}"))
                })
                .collect()
        };
        let flags = [
            "major_hazard",
            "disputed",
            "hearing",
            "enforced_execution",
            "complex",
            "major_penalty",
        ];
        let mut grounds = Vec::new();
        for g in &r.hold_grounds {
            if g.code.trim().is_empty() || g.label.trim().is_empty() {
                return Err("retention.hold_grounds: every ground needs a code and a label".into());
            }
            if grounds.iter().any(|x: &Ground| x.code == g.code) {
                return Err(format!(
                    "retention.hold_grounds: ground {:?} appears twice",
                    g.code
                ));
            }
            if let Some(f) = g.case_flags.iter().find(|f| !flags.contains(&f.as_str())) {
                return Err(format!(
                    "retention.hold_grounds: unknown case flag {f:?} (one of {})",
                    flags.join(", ")
                ));
            }
            grounds.push(Ground {
                code: g.code.clone(),
                label: g.label.clone(),
                case_flags: g.case_flags.clone(),
            });
        }
        Ok(HoldPolicy {
            grounds,
            place_roles: roles(&r.hold_place_roles, "hold_place_roles")?,
            lift_roles: roles(&r.hold_lift_roles, "hold_lift_roles")?,
        })
    }

    pub fn utc_offset(&self) -> Result<jiff::tz::TimeZone, String> {
        let s = self.bureau.utc_offset.trim();
        let (sign, rest) = match s.as_bytes().first() {
            Some(b'+') => (1, &s[1..]),
            Some(b'-') => (-1, &s[1..]),
            _ => return Err(format!("{s:?} is not like +08:00")),
        };
        let (h, m) = rest
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not like +08:00"))?;
        let h: i32 = h.parse().map_err(|_| format!("{s:?} is not like +08:00"))?;
        let m: i32 = m.parse().map_err(|_| format!("{s:?} is not like +08:00"))?;
        if h > 14 || m > 59 {
            return Err(format!("{s:?} is out of range"));
        }
        let offset = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60))
            .map_err(|e| e.to_string())?;
        Ok(jiff::tz::TimeZone::fixed(offset))
    }

    pub fn database_url(&self, data_dir: &Path) -> String {
        if self.storage.database_url.is_empty() {
            format!("sqlite://{}?mode=rwc", data_dir.join("liuhen.db").display())
        } else {
            self.storage.database_url.clone()
        }
    }

    pub fn blob_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("blobs")
    }

    /// Where partial uploads are staged (`[uploads] staging_dir`, default `<data>/uploads`).
    pub fn staging_dir(&self, data_dir: &Path) -> PathBuf {
        match self.uploads.staging_dir.as_str() {
            "" => data_dir.join("uploads"),
            dir => data_dir.join(dir),
        }
    }

    pub fn device_for_serial(&self, serial: &str) -> Option<&DeviceDefaults> {
        self.devices
            .iter()
            .find(|d| d.serial.as_deref() == Some(serial))
    }

    pub fn device_by_name(&self, name: &str) -> Option<&DeviceDefaults> {
        self.devices
            .iter()
            .find(|d| d.name.as_deref() == Some(name))
    }

    /// The source of a record: as declared at upload or ingest (`Record::source`), else
    /// its device's in the device registry (`[[devices]]`, matched by the classified device
    /// name, else the serial in the file's metadata); a device it does not know is a body
    /// camera.
    pub fn recording_source(
        &self,
        r: &liuhen_domain::Record,
    ) -> liuhen_domain::case::RecordingSource {
        if let Some(declared) = r.source {
            return declared;
        }
        self.source_of_device(
            r.classification.device.as_deref(),
            r.media.device_serial.as_deref(),
        )
    }

    /// The source of a device named `device` (its name or serial) or with `serial`.
    pub fn source_of_device(
        &self,
        device: Option<&str>,
        serial: Option<&str>,
    ) -> liuhen_domain::case::RecordingSource {
        let by_name =
            device.and_then(|n| self.device_by_name(n).or_else(|| self.device_for_serial(n)));
        by_name
            .or_else(|| serial.and_then(|s| self.device_for_serial(s)))
            .and_then(DeviceDefaults::source)
            .unwrap_or_default()
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bureau row whose only mode is 视频监控 could never be satisfied: the registry now
    /// says which devices are fixed surveillance cameras (R2.1).
    #[test]
    fn device_registry_sets_the_recording_source() {
        use liuhen_domain::case::RecordingSource::{BodyCamera, FixedSurveillance};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[[devices]]\nserial = \"HK-CAM-7\"\nname = \"大厅监控\"\nsource = \"fixed_surveillance\"\n\
             [[devices]]\nname = \"记录仪1\"\n",
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(
            c.source_of_device(Some("大厅监控"), None),
            FixedSurveillance
        );
        assert_eq!(
            c.source_of_device(Some("HK-CAM-7"), None),
            FixedSurveillance
        );
        assert_eq!(
            c.source_of_device(None, Some("HK-CAM-7")),
            FixedSurveillance
        );
        assert_eq!(
            c.source_of_device(Some("记录仪1"), Some("HK-CAM-7")),
            BodyCamera
        );
        assert_eq!(c.source_of_device(Some("未登记"), None), BodyCamera);
        assert_eq!(c.source_of_device(None, None), BodyCamera);
        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[[devices]]\nname = \"x\"\nsource = \"drone\"\n",
        )
        .unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("drone"), "{err}");
    }

    #[test]
    fn shipped_defaults_load_and_validate() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.custody.ingest_deadline_hours, 24);
        assert_eq!(c.custody.default_retention_years, 3);
        assert!(c.utc_offset().is_ok());
    }

    #[test]
    fn local_file_overrides_and_unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[custody]\ningest_deadline_hours = 48\n[[devices]]\nserial = \"A1\"\nname = \"记录仪1\"\n",
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.custody.ingest_deadline_hours, 48);
        assert_eq!(c.custody.default_retention_years, 3);
        assert_eq!(
            c.device_for_serial("A1").unwrap().name.as_deref(),
            Some("记录仪1")
        );

        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[custody]\ningest_deadline_hourz = 1\n",
        )
        .unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("ingest_deadline_hourz"), "{err}");

        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[bureau]\nutc_offset = \"8\"\n",
        )
        .unwrap();
        assert!(Config::load(dir.path()).is_err());
    }

    #[test]
    fn a_bureau_checklist_and_gap_tolerance() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.checklist().len(), 12, "the shipped default");
        assert_eq!(c.compliance().gap_tolerance.as_secs(), 5);

        let own = liuhen_domain::checklist::DEFAULT_CHECKLIST_TOML
            .split("[[row]]")
            .take(4)
            .collect::<Vec<_>>()
            .join("[[row]]");
        let rows = liuhen_domain::checklist::Checklist::parse(&own)
            .unwrap()
            .len();
        assert!((1..12).contains(&rows));
        std::fs::write(dir.path().join("our-list.toml"), own).unwrap();
        std::fs::write(
            dir.path().join("liuhen.toml"),
            "[cases]\nchecklist = \"our-list.toml\"\ngap_tolerance_seconds = 30\n",
        )
        .unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.checklist().len(), rows);
        assert_eq!(c.compliance().gap_tolerance.as_secs(), 30);

        // A broken file and a missing one: clear errors naming the file and the row.
        std::fs::write(dir.path().join("our-list.toml"), "[[row]]\nid = \"1.1\"\n").unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("our-list.toml") && err.contains("cases.checklist"),
            "{err}"
        );
        assert!(err.contains("第 1 条"), "{err}");
        std::fs::remove_file(dir.path().join("our-list.toml")).unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("无法读取"), "{err}");
    }
}
