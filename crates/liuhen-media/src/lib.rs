//! Metadata probing of evidence recordings that never harms the caller.
//!
//! Evidence is never refused for being odd: [`probe`] always returns a [`MediaInfo`], and
//! anything that could not be read is described in [`MediaInfo::probe_error`]. Two probers
//! exist:
//!
//! - **ffprobe**, run as a child process with a hard timeout and a cap on its output, never
//!   linked in ([`probe_ffprobe`]);
//! - **builtin**, a small hand-written, defensive parser for ISO-BMFF/QuickTime, Matroska/WebM,
//!   JPEG/EXIF and RIFF WAV/AVI ([`probe_builtin`]). It reads through a bounded reader: no
//!   buffer is sized from an untrusted length without a cap, every loop advances or stops,
//!   recursion is depth-limited and the number of reads has a budget.
//!
//! Time stamps found without a zone (EXIF `DateTimeOriginal` without `OffsetTimeOriginal`,
//! QuickTime dates without an offset) are interpreted as China Standard Time, UTC+8, the zone
//! of the body cameras this system serves.

mod builtin;
mod error;
mod ffprobe;
mod time;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use builtin::{probe_builtin, probe_builtin_bytes};
pub use error::ProbeError;
pub use ffprobe::probe_ffprobe;
pub use liuhen_domain::MediaKind;

/// What a prober could learn about one file. Every field is optional: odd files still count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaInfo {
    /// `None` means the caller treats the file as [`MediaKind::Other`].
    pub kind: Option<MediaKind>,
    /// Container family: "mp4", "mov", "3gp", "heif", "matroska", "webm", "jpeg", "png",
    /// "wav", "avi", ...
    pub container: Option<String>,
    /// ffprobe `codec_name` style: "h264", "hevc", "vp8", "vp9", "mjpeg", ...
    pub video_codec: Option<String>,
    /// ffprobe `codec_name` style: "aac", "pcm_s16le", "opus", "vorbis", ...
    pub audio_codec: Option<String>,
    /// Coded width of the first video stream (or of the photo), in pixels.
    pub width: Option<u32>,
    /// Coded height of the first video stream (or of the photo), in pixels.
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// When the recording started: QuickTime `creationdate`, else the container creation
    /// time (`mvhd`, Matroska `DateUTC`), or EXIF `DateTimeOriginal` for photos.
    /// A time written without a zone is interpreted as UTC+8 (China Standard Time).
    pub capture_start: Option<jiff::Timestamp>,
    /// `capture_start + duration` when both are known.
    pub capture_end: Option<jiff::Timestamp>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Which prober produced the fields: "ffprobe" or "builtin".
    pub prober: &'static str,
    /// Human-readable reason when the file could not be (fully) read.
    pub probe_error: Option<String>,
}

impl MediaInfo {
    /// The kind the caller should record: `Other` when nothing was recognised.
    pub fn kind_or_other(&self) -> MediaKind {
        self.kind.unwrap_or(MediaKind::Other)
    }

    /// The file was read without a problem and everything its kind has was found: a video
    /// its codec, size and duration, an audio file its codec and duration, a photo its size.
    /// Anything less (or an unknown format) is left to ffprobe by [`probe`].
    pub fn is_complete(&self) -> bool {
        let sized = self.width.is_some() && self.height.is_some();
        self.probe_error.is_none()
            && self.container.is_some()
            && match self.kind {
                Some(MediaKind::Video) => {
                    self.video_codec.is_some() && sized && self.duration_ms.is_some()
                }
                Some(MediaKind::Audio) => self.audio_codec.is_some() && self.duration_ms.is_some(),
                Some(MediaKind::Photo) => sized,
                _ => false,
            }
    }

    fn finish(mut self) -> Self {
        self.capture_end = match (self.capture_start, self.duration_ms) {
            (Some(start), Some(ms)) => i64::try_from(ms).ok().and_then(|ms| {
                start
                    .checked_add(jiff::SignedDuration::from_millis(ms))
                    .ok()
            }),
            _ => None,
        };
        self
    }

    fn add_error(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        self.probe_error = Some(match self.probe_error.take() {
            Some(prev) => format!("{prev}; {msg}"),
            None => msg,
        });
    }
}

/// How [`probe`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// The ffprobe executable; `None` uses the builtin prober only.
    pub ffprobe: Option<PathBuf>,
    /// Hard limit on one ffprobe run; the child is killed when it is exceeded.
    pub timeout: Duration,
    /// Cap on ffprobe's JSON output; more is an error, never an allocation.
    pub max_output_bytes: usize,
}

impl ProbeConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

    /// ffprobe from the `LIUHEN_FFPROBE` environment variable, else the first `ffprobe` on
    /// `PATH`, else none (builtin only). Timeout 20 s, output cap 4 MiB.
    pub fn detect() -> Self {
        let ffprobe = std::env::var_os("LIUHEN_FFPROBE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| find_on_path("ffprobe"));
        Self {
            ffprobe,
            ..Self::builtin_only()
        }
    }

    /// Never runs an external program.
    pub fn builtin_only() -> Self {
        Self {
            ffprobe: None,
            timeout: Self::DEFAULT_TIMEOUT,
            max_output_bytes: Self::DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Probes `path` and never fails: every problem ends up in [`MediaInfo::probe_error`].
///
/// The builtin prober runs first (no process start, a few reads); its result is used when
/// it read the file completely ([`MediaInfo::is_complete`]). Only otherwise, with ffprobe
/// configured, ffprobe runs and its result is used, fields it does not report (EXIF make,
/// model and capture time of photos, for example) filled in from the builtin result. When
/// ffprobe cannot run, times out or rejects the file, the builtin result is returned
/// instead and the ffprobe failure is named in `probe_error`.
pub fn probe(path: &Path, cfg: &ProbeConfig) -> MediaInfo {
    let builtin = builtin::probe_lenient(path);
    let Some(ffprobe) = &cfg.ffprobe else {
        return builtin;
    };
    if builtin.is_complete() {
        return builtin;
    }
    match probe_ffprobe(path, ffprobe, cfg.timeout, cfg.max_output_bytes) {
        Ok(mut info) => {
            fill_missing(&mut info, &builtin);
            info.finish()
        }
        Err(err) => {
            let mut info = builtin;
            let builtin_msg = info.probe_error.take();
            info.add_error(format!("ffprobe failed ({err}), used the builtin prober"));
            if let Some(msg) = builtin_msg {
                info.add_error(msg);
            }
            info
        }
    }
}

/// Fills fields ffprobe left empty from the builtin prober, only where both agree on what
/// the file is.
fn fill_missing(info: &mut MediaInfo, extra: &MediaInfo) {
    if extra.kind != info.kind || extra.container != info.container {
        return;
    }
    fn fill<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
        if dst.is_none() {
            dst.clone_from(src);
        }
    }
    fill(&mut info.capture_start, &extra.capture_start);
    fill(&mut info.make, &extra.make);
    fill(&mut info.model, &extra.model);
    fill(&mut info.serial, &extra.serial);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_end_is_start_plus_duration() {
        let start: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let info = MediaInfo {
            capture_start: Some(start),
            duration_ms: Some(1500),
            ..MediaInfo::default()
        }
        .finish();
        assert_eq!(
            info.capture_end,
            Some("2024-01-01T00:00:01.5Z".parse().unwrap())
        );
    }

    #[test]
    fn huge_duration_does_not_overflow() {
        let info = MediaInfo {
            capture_start: Some(jiff::Timestamp::MAX),
            duration_ms: Some(u64::MAX),
            ..MediaInfo::default()
        }
        .finish();
        assert_eq!(info.capture_end, None);
    }
}
