//! One camera volume at the station and what the kiosk page shows of it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotState {
    /// Files are still being written or are waiting for the next scan.
    Waiting,
    /// Unknown camera or officer: nothing is taken until the keeper binds it.
    Held,
    Ingesting,
    /// Every file is in custody: safe to unplug.
    Done,
    /// The volume disappeared before every file was in custody; resumes when it returns.
    Unplugged,
}

/// Per-slot status, as JSON for a page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotStatus {
    pub volume: String,
    pub camera: Option<String>,
    pub police_number: Option<String>,
    pub unit: Option<String>,
    pub officer: Option<String>,
    pub officer_id: Option<String>,
    pub state: SlotState,
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub speed_bytes_per_second: Option<u64>,
    pub eta_seconds: Option<u64>,
    /// Files deleted from the card after read-back (R3.4).
    pub cleared: usize,
    /// The oldest recording is past the ingest deadline (R3.3).
    pub late: bool,
    pub problems: Vec<String>,
    pub can_unplug: bool,
    pub message: String,
}

/// How a problem of a file kept on the card (read-back failed) begins.
pub(super) const KEPT: &str = "未清除 / kept on the card";

pub(super) struct Slot {
    pub status: SlotStatus,
    /// (path, size, mtime) of files committed in this slot.
    pub done: HashSet<(PathBuf, u64, u128)>,
    pub held_logged: bool,
    pub done_logged: bool,
}

impl Slot {
    pub fn new(volume: &Path) -> Self {
        Self {
            status: SlotStatus {
                volume: volume.display().to_string(),
                camera: None,
                police_number: None,
                unit: None,
                officer: None,
                officer_id: None,
                state: SlotState::Waiting,
                files_done: 0,
                files_total: 0,
                bytes_done: 0,
                bytes_total: 0,
                speed_bytes_per_second: None,
                eta_seconds: None,
                cleared: 0,
                late: false,
                problems: Vec::new(),
                can_unplug: false,
                message: "正在识别，请勿拔出 / recognising, do not unplug".into(),
            },
            done: HashSet::new(),
            held_logged: false,
            done_logged: false,
        }
    }
}

impl SlotStatus {
    pub(super) fn held(&mut self, reason: &str) {
        self.state = SlotState::Held;
        self.can_unplug = true;
        self.problems = vec![reason.to_owned()];
        self.message = "未导入：等待管理员登记 / not taken: waiting for the keeper".into();
    }

    pub(super) fn unplugged(&mut self) {
        self.state = SlotState::Unplugged;
        self.can_unplug = false;
        self.speed_bytes_per_second = None;
        self.eta_seconds = None;
        self.message =
            "导入未完成即被拔出，请重新插入以继续 / unplugged before done: plug in again to resume"
                .into();
    }

    pub(super) fn replugged(&mut self) {
        self.state = SlotState::Waiting;
        self.message = "继续导入，请勿拔出 / resuming, do not unplug".into();
    }

    pub(super) fn waiting(&mut self) {
        self.state = SlotState::Waiting;
        self.can_unplug = false;
        self.message = "正在导入，请勿拔出 / offloading, do not unplug".into();
    }

    pub(super) fn finished(&mut self) {
        self.state = SlotState::Done;
        self.can_unplug = true;
        self.eta_seconds = Some(0);
        self.message = "可以拔出 / safe to unplug".into();
    }

    pub(super) fn speed(&mut self, bytes: u64, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let rate = (bytes as f64 / secs) as u64;
        self.speed_bytes_per_second = Some(rate);
        let left = self.bytes_total.saturating_sub(self.bytes_done);
        self.eta_seconds = (rate > 0).then(|| left / rate);
    }
}
