//! The offload station (issue 15): watches the configured roots for camera volumes (a
//! folder holding `DCIM`), recognises the camera and officer (identity file, else file
//! names by the configured recognisers), maps them through the registry ([`registry`]),
//! and ingests every file whose size and modification time are stable, through the one
//! ingest use case (idempotent by digest and by source). An unknown camera or officer is
//! held for the keeper, never guessed. Clearing the card (per unit, R3.4) happens only after
//! a file is committed and its stored copy read back with both digests matching the source.
//!
//! [`Station::scan_once`] is one pass with the clock injected (the 24-hour rule is judged
//! against it); `liuhen station` calls it every `poll_seconds`.

mod offload;
pub mod registry;
mod slot;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::station::{
    CameraIdentity, ClockProblem, camera_clock, parse_identity_file, recognise,
};
use liuhen_domain::{Classification, rules};
use serde_json::json;

use crate::ingest::{IngestOptions, SourceFile, plan};
use crate::{AppError, Custody};
pub use slot::{SlotState, SlotStatus};

/// A running station: the stability memory and the slots between scans.
pub struct Station {
    custody: Custody,
    actor: String,
    roots: Vec<PathBuf>,
    /// Declared return from out-of-town work (R3.3) for this session, if any.
    pub returned_at: Option<Timestamp>,
    /// (size, mtime ns) of each file at the last scan and how many scans it was unchanged.
    seen: HashMap<PathBuf, (u64, u128, u32)>,
    slots: BTreeMap<PathBuf, slot::Slot>,
    /// Called with every slot after each file (a kiosk page follows a long offload).
    progress: Option<Progress>,
    /// Test hook (fault injection): the read-back of a file it names is taken as failed.
    read_back_fault: Option<ReadBackFault>,
}

/// Receives the slots while a scan runs.
pub type Progress = Arc<dyn Fn(&[SlotStatus]) + Send + Sync>;
/// Fault injection for tests: `true` makes the read-back of that source file fail.
pub type ReadBackFault = Arc<dyn Fn(&Path) -> bool + Send + Sync>;

impl Station {
    /// A station acting as `actor` (an account; every write is logged under it).
    pub fn new(custody: Custody, actor: String) -> Result<Self, AppError> {
        if actor.trim().is_empty() {
            return Err(AppError::Invalid(
                "采集站须以账号运行 / the station needs an actor".into(),
            ));
        }
        let roots = custody.config.station.roots.clone();
        Ok(Self {
            custody,
            actor,
            roots,
            returned_at: None,
            seen: HashMap::new(),
            slots: BTreeMap::new(),
            progress: None,
            read_back_fault: None,
        })
    }

    /// Watch these roots instead of the configured ones.
    pub fn with_roots(mut self, roots: Vec<PathBuf>) -> Self {
        self.roots = roots;
        self
    }

    /// Report the slots after each file, not only after each scan.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Test hook: the read-back of every file `fault` names fails, as if the stored copy
    /// or the card had returned other bytes; such a file must stay on the card.
    #[doc(hidden)]
    pub fn with_read_back_fault(mut self, fault: ReadBackFault) -> Self {
        self.read_back_fault = Some(fault);
        self
    }

    /// The slots as of the last scan, for a page or `--json`.
    pub fn status(&self) -> Vec<SlotStatus> {
        self.slots.values().map(|s| s.status.clone()).collect()
    }

    /// One pass: find volumes, update slots, ingest what is stable. `now` judges the
    /// 24-hour rule.
    pub async fn scan_once(&mut self, now: Timestamp) -> Vec<SlotStatus> {
        let volumes = find_volumes(&self.roots);
        let present: HashSet<&PathBuf> = volumes.iter().collect();
        self.slots
            .retain(|v, s| present.contains(v) || s.status.state != SlotState::Done);
        for (v, s) in self.slots.iter_mut() {
            if !present.contains(v) && s.status.state != SlotState::Unplugged {
                s.status.unplugged();
            }
        }
        self.seen.retain(|p, _| p.exists());
        for v in volumes {
            if let Err(e) = self.scan_volume(&v, now).await {
                let s = self
                    .slots
                    .entry(v.clone())
                    .or_insert_with(|| slot::Slot::new(&v));
                s.status.problems.push(format!("错误 / error: {e}"));
            }
        }
        self.status()
    }

    async fn scan_volume(&mut self, volume: &Path, now: Timestamp) -> Result<(), AppError> {
        let cfg = self.custody.config.clone();
        let (files, _) = plan(&[volume.join("DCIM")]);
        let id = identify(volume, &files, &cfg.station)?;
        let slot = self
            .slots
            .entry(volume.to_owned())
            .or_insert_with(|| slot::Slot::new(volume));
        if slot.status.state == SlotState::Unplugged {
            slot.status.replugged();
        }
        slot.status.camera = id.serial.clone();
        slot.status.police_number = id.police.clone();
        let binding = self
            .custody
            .station_resolve(id.serial.as_deref(), id.police.as_deref())
            .await?;
        slot.status.unit = binding.unit.clone();
        slot.status.officer = binding.officer.clone();
        slot.status.officer_id = binding.officer_id.clone();
        let reason = match (&binding.unit, &binding.officer_id) {
            (None, _) => {
                Some("未登记的记录仪，等待管理员登记 / unknown camera, held for the keeper")
            }
            (_, None) => {
                Some("未登记的执法人员，等待管理员登记 / unknown officer, held for the keeper")
            }
            _ => None,
        };
        if let Some(reason) = reason {
            slot.status.held(reason);
            if !slot.held_logged {
                slot.held_logged = true;
                let details = json!({"kind": "held", "volume": volume.display().to_string(),
                    "serial": id.serial, "police": id.police, "reason": reason,
                    "files": files.len()});
                self.custody.station_event(&self.actor, details).await?;
            }
            return Ok(());
        }

        // Stability: a file is taken once unchanged for `stable_scans` scans, or when it was
        // last written longer ago than that many polls (a one-shot `liuhen station scan`).
        let quiet_ns = i128::from(cfg.station.stable_scans.max(1))
            * i128::from(cfg.station.poll_seconds.max(1))
            * 1_000_000_000;
        let mut ready = Vec::new();
        for f in &files {
            let mtime = mtime_ns(&f.path);
            let e = self
                .seen
                .entry(f.path.clone())
                .or_insert((f.size, mtime, 0));
            if (e.0, e.1) == (f.size, mtime) {
                e.2 += 1;
            } else {
                *e = (f.size, mtime, 1);
            }
            let quiet = now.as_nanosecond() - mtime as i128 >= quiet_ns;
            if e.2 >= cfg.station.stable_scans.max(1) || (mtime > 0 && quiet) {
                ready.push(f.clone());
            }
        }
        let slot = self.slots.get_mut(volume).expect("slot inserted above");
        slot.status.files_total = files.len();
        slot.status.bytes_total = files.iter().map(|f| f.size).sum();

        // The 24-hour rule (R3.3) by the oldest recording on the card.
        let tz = self.custody.tz();
        let oldest = files
            .iter()
            .filter_map(|f| recorded_at(&f.path, &cfg.station.name_patterns, &tz))
            .min();
        let deadline = SignedDuration::from_hours(i64::from(cfg.custody.ingest_deadline_hours));
        let late = rules::lateness(oldest, self.returned_at, now, deadline).late;
        slot.status.late = late;
        // Files kept on the card stay listed; the rest is judged afresh by this scan.
        slot.status.problems.retain(|p| p.starts_with(slot::KEPT));
        if late {
            slot.status.problems.push(format!(
                "最早的录像已超过{}小时未上传：如系外出执法请填写返回时间，否则记为逾期 / \
                 oldest recording is older than {} h: declare the out-of-town return or the files are marked late",
                cfg.custody.ingest_deadline_hours, cfg.custody.ingest_deadline_hours
            ));
        }
        if let Some(p) = clock_problem(&files, &cfg.station, &tz, now) {
            slot.status.problems.push(p);
        }

        let clear = binding
            .unit
            .as_ref()
            .is_some_and(|u| cfg.station.clear_units.contains(u));
        let opts = IngestOptions {
            actor: self.actor.clone(),
            classification: Classification {
                agency: binding.unit.clone(),
                device: binding.device.clone(),
                officer: binding.officer.clone(),
                ..Default::default()
            },
            returned_at: self.returned_at,
            clear_source: false,
            officer_id: binding.officer_id.clone(),
            source: None,
        };
        slot.status.state = SlotState::Ingesting;
        self.offload(volume, ready, &opts, clear).await;
        let slot = self.slots.get_mut(volume).expect("slot inserted above");
        if !volume.exists() {
            slot.status.unplugged();
            return Ok(());
        }
        let all_done = slot.status.files_done == files.len()
            && files.iter().all(|f| {
                slot.done
                    .contains(&(f.path.clone(), f.size, mtime_ns(&f.path)))
            });
        if all_done && slot.status.problems.iter().all(|p| !p.starts_with("错误")) {
            slot.status.finished();
            if !slot.done_logged {
                slot.done_logged = true;
                let details = json!({"kind": "offloaded", "volume": volume.display().to_string(),
                    "serial": id.serial, "police": id.police, "unit": binding.unit,
                    "officer_id": binding.officer_id, "files": files.len(),
                    "bytes": slot.status.bytes_total, "cleared": slot.status.cleared,
                    "late": late, "problems": slot.status.problems});
                self.custody.station_event(&self.actor, details).await?;
            }
        } else {
            slot.status.waiting();
        }
        Ok(())
    }
}

/// Folders up to three levels below each root that hold a `DCIM` folder, sorted.
pub fn find_volumes(roots: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
        if dir.join("DCIM").is_dir() {
            out.push(dir.to_owned());
            return;
        }
        if depth == 0 {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&e.path(), depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    for r in roots {
        let Ok(rd) = std::fs::read_dir(r) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&e.path(), 2, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The camera's identity: an identity file on the volume, else the first file name a
/// recogniser fits (fields missing from the identity file are taken from the names).
fn identify(
    volume: &Path,
    files: &[SourceFile],
    cfg: &crate::config::StationSettings,
) -> Result<CameraIdentity, AppError> {
    let mut id = CameraIdentity::default();
    for name in &cfg.identity_files {
        let p = volume.join(name);
        if p.is_file() {
            let text = std::fs::read_to_string(&p).map_err(|e| AppError::io(&p, e))?;
            id = parse_identity_file(&text);
            break;
        }
    }
    if (id.serial.is_none() || id.police.is_none())
        && let Some(n) = files.iter().find_map(|f| {
            f.path
                .file_stem()
                .and_then(|s| recognise(&s.to_string_lossy(), &cfg.name_patterns))
        })
    {
        id.serial = id.serial.or(n.serial);
        id.police = id.police.or(n.police);
    }
    Ok(id)
}

/// Recording time from the file name (camera clock, local time), else the file's mtime.
fn recorded_at(
    path: &Path,
    patterns: &[liuhen_domain::station::NamePattern],
    tz: &jiff::tz::TimeZone,
) -> Option<Timestamp> {
    name_time(path, patterns, tz).or_else(|| file_time(path))
}

/// Recording time as the camera's clock wrote it into the file name.
fn name_time(
    path: &Path,
    patterns: &[liuhen_domain::station::NamePattern],
    tz: &jiff::tz::TimeZone,
) -> Option<Timestamp> {
    path.file_stem()
        .and_then(|s| recognise(&s.to_string_lossy(), patterns))
        .and_then(|id| id.recorded)
        .and_then(|dt| dt.to_zoned_datetime(tz.clone()).ok())
        .map(|z| z.timestamp())
}

fn file_time(path: &Path) -> Option<Timestamp> {
    let ns = mtime_ns(path);
    (ns > 0).then(|| Timestamp::from_nanosecond(ns as i128).ok())?
}

/// The camera clock check over a card: one problem line naming how many recordings are in
/// the future of the station's clock and how many are far from their file's time.
fn clock_problem(
    files: &[SourceFile],
    cfg: &crate::config::StationSettings,
    tz: &jiff::tz::TimeZone,
    now: Timestamp,
) -> Option<String> {
    let tolerance = SignedDuration::from_mins(i64::from(cfg.clock_tolerance_minutes));
    let longest = SignedDuration::from_mins(i64::from(cfg.longest_recording_minutes));
    let (mut future, mut apart) = (Vec::new(), Vec::new());
    for f in files {
        let Some(recorded) = name_time(&f.path, &cfg.name_patterns, tz) else {
            continue;
        };
        match camera_clock(recorded, file_time(&f.path), now, tolerance, longest) {
            Some(ClockProblem::Future { ahead }) => future.push(ahead),
            Some(ClockProblem::FarFromFile { apart: d }) => apart.push(d),
            None => {}
        }
    }
    let mins = |v: &[SignedDuration]| v.iter().max().map_or(0, |d| d.as_mins());
    let mut parts = Vec::new();
    if !future.is_empty() {
        parts.push(format!(
            "{} 个录像的时间晚于采集站时钟（最多 {} 分钟）/ {} recording(s) in the future of the station clock (up to {} min)",
            future.len(), mins(&future), future.len(), mins(&future)
        ));
    }
    if !apart.is_empty() {
        parts.push(format!(
            "{} 个录像的时间与文件时间不符（相差最多 {} 分钟）/ {} recording time(s) far from the file time (up to {} min apart)",
            apart.len(), mins(&apart), apart.len(), mins(&apart)
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "记录仪时钟可疑 / camera clock suspect: {}",
            parts.join("; ")
        )
    })
}

fn mtime_ns(path: &Path) -> u128 {
    std::fs::metadata(path)
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
