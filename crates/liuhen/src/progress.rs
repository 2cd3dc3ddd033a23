//! Progress bars on stderr (hidden when stderr is not a terminal) and the JSON line stream.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use liuhen_app::ingest::{FileReport, Observer};
use liuhen_app::verify::VerifyObserver;

fn bytes_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta} {msg}",
        )
        .expect("valid template"),
    );
    bar
}

pub struct IngestBar {
    bar: ProgressBar,
    json: bool,
    out: Mutex<std::io::Stdout>,
}

impl IngestBar {
    pub fn new(json: bool) -> Self {
        Self {
            bar: bytes_bar(),
            json,
            out: Mutex::new(std::io::stdout()),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for IngestBar {
    fn planned(&self, files: usize, bytes: u64) {
        self.bar.set_length(bytes);
        self.bar.set_message(format!("{files} 个文件"));
    }
    fn file_started(&self, path: &Path, _size: u64) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.bar.set_message(name);
    }
    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }
    fn file_finished(&self, report: &FileReport) {
        if self.json {
            // One line per file as soon as it is committed: what a script may rely on.
            let line = serde_json::to_string(report).unwrap_or_default();
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

pub struct VerifyBar {
    bar: ProgressBar,
}

impl VerifyBar {
    pub fn new(visible: bool) -> Self {
        let bar = if visible {
            bytes_bar()
        } else {
            ProgressBar::hidden()
        };
        Self { bar }
    }
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl VerifyObserver for VerifyBar {
    fn phase(&self, name: &'static str, total: u64) {
        self.bar.reset();
        self.bar.set_length(total);
        let style = if name == "fixity" {
            "{spinner} 校验原始文件 [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta}"
        } else if name == "log" {
            "{spinner} 校验日志 [{elapsed_precise}] {wide_bar} {pos}/{len} 条"
        } else {
            "{spinner} 校验记录 [{elapsed_precise}] {wide_bar} {pos}/{len} 条"
        };
        self.bar
            .set_style(ProgressStyle::with_template(style).expect("valid template"));
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}
