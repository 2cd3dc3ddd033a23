//! ffprobe as a child process: hard timeout, capped output, JSON mapped to [`MediaInfo`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{MediaInfo, MediaKind, ProbeError, builtin, time};

const PROBER: &str = "ffprobe";
/// Most bytes of ffprobe's stderr kept for the error message.
const MAX_STDERR: usize = 64 * 1024;
/// How long to wait for the output pipes once the child has exited or was killed.
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// Runs `ffprobe -v error -of json -show_format -show_streams` on `path`.
///
/// The child is killed when it runs longer than `timeout` or writes more than `max_output`
/// bytes. Only the `file` protocol is allowed, so a hostile playlist cannot make ffprobe
/// open network addresses. Messages ffprobe prints while still succeeding become
/// `probe_error` of the `Ok` result.
pub fn probe_ffprobe(
    path: &Path,
    ffprobe: &Path,
    timeout: Duration,
    max_output: usize,
) -> Result<MediaInfo, ProbeError> {
    let out = run(path, ffprobe, timeout, max_output)?;
    let json: Value = serde_json::from_slice(&out.stdout)?;
    let mut info = map_json(&json, path);
    let warnings = summarise_stderr(&out.stderr);
    if !warnings.is_empty() {
        info.probe_error = Some(format!("ffprobe: {warnings}"));
    }
    Ok(info.finish())
}

struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// `file:` plus an absolute path: a name like `http:x` or `-i` stays a local file name.
fn file_url(path: &Path) -> Result<std::ffi::OsString, ProbeError> {
    let abs: PathBuf = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut url = std::ffi::OsString::from("file:");
    url.push(abs.as_os_str());
    Ok(url)
}

fn run(
    path: &Path,
    ffprobe: &Path,
    timeout: Duration,
    max_output: usize,
) -> Result<Output, ProbeError> {
    let url = file_url(path)?;
    let mut child = Command::new(ffprobe)
        .args(["-v", "error", "-protocol_whitelist", "file", "-of", "json"])
        .args(["-show_format", "-show_streams", "-i"])
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ProbeError::Spawn {
            program: ffprobe.display().to_string(),
            source,
        })?;

    // Both pipes are drained on threads so a chatty child can never block on a full pipe;
    // results come back over channels so a stuck pipe (a grandchild holding it open) can
    // never block us.
    let (out_tx, out_rx) = mpsc::channel();
    if let Some(mut pipe) = child.stdout.take() {
        std::thread::spawn(move || {
            let _ = out_tx.send(read_capped(&mut pipe, max_output));
        });
    }
    let (err_tx, err_rx) = mpsc::channel();
    if let Some(mut pipe) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = err_tx.send(read_capped(&mut pipe, MAX_STDERR));
        });
    }

    let deadline = Instant::now() + timeout;
    let mut stdout: Option<Capped> = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if stdout.is_none()
            && let Ok(r) = out_rx.try_recv()
        {
            if matches!(r, Capped::Overflow) {
                kill(&mut child);
                return Err(ProbeError::OutputTooLarge(max_output));
            }
            stdout = Some(r);
        }
        if Instant::now() >= deadline {
            kill(&mut child);
            return Err(ProbeError::Timeout(timeout));
        }
        std::thread::sleep(Duration::from_millis(10));
    };

    let stdout = match stdout.or_else(|| out_rx.recv_timeout(PIPE_GRACE).ok()) {
        Some(Capped::Complete(bytes)) => bytes,
        Some(Capped::Overflow) => return Err(ProbeError::OutputTooLarge(max_output)),
        Some(Capped::Failed(err)) => return Err(ProbeError::Io(err)),
        None => Vec::new(),
    };
    let stderr = match err_rx.recv_timeout(PIPE_GRACE) {
        Ok(Capped::Complete(bytes)) => bytes,
        _ => Vec::new(),
    };
    if !status.success() {
        let text = summarise_stderr(&stderr);
        return Err(ProbeError::Ffprobe {
            status: status.to_string(),
            stderr: if text.is_empty() {
                "no message".into()
            } else {
                text
            },
        });
    }
    Ok(Output { stdout, stderr })
}

fn kill(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

enum Capped {
    Complete(Vec<u8>),
    Overflow,
    Failed(std::io::Error),
}

/// Reads to the end, keeping at most `cap` bytes; more is `Overflow`, never an allocation.
fn read_capped(pipe: &mut impl Read, cap: usize) -> Capped {
    let mut buf = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    match pipe.take(limit).read_to_end(&mut buf) {
        Ok(_) if buf.len() > cap => Capped::Overflow,
        Ok(_) => Capped::Complete(buf),
        Err(err) => Capped::Failed(err),
    }
}

/// The distinct lines of ffprobe's stderr, without the `[demuxer @ 0x...]` prefixes and
/// the file name, joined and cut to a readable length.
fn summarise_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut line = line.trim();
        if line.starts_with('[')
            && let Some(end) = line.find("] ")
        {
            line = line.get(end + 2..).unwrap_or(line).trim();
        }
        if let Some(rest) = line.strip_prefix("file:") {
            // "file:/path/x.mp4: Invalid data found..." -> "Invalid data found..."
            if let Some(pos) = rest.find(": ") {
                line = rest.get(pos + 2..).unwrap_or(rest).trim();
            }
        }
        if !line.is_empty() && !lines.iter().any(|l| l == line) {
            lines.push(line.to_owned());
        }
    }
    let mut joined = lines.join("; ");
    if joined.len() > 500 {
        let mut cut = 500;
        while !joined.is_char_boundary(cut) {
            cut -= 1;
        }
        joined.truncate(cut);
        joined.push('…');
    }
    joined
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

fn tag<'a>(tags: Option<&'a Value>, names: &[&str]) -> Option<&'a str> {
    let tags = tags?.as_object()?;
    names.iter().find_map(|name| {
        tags.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    })
}

fn dimension(stream: &Value, key: &str) -> Option<u32> {
    stream
        .get(key)?
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v != 0)
}

const IMAGE_CODECS: [&str; 8] = [
    "mjpeg", "png", "bmp", "gif", "webp", "tiff", "jpeg2000", "jpegls",
];

fn map_json(json: &Value, path: &Path) -> MediaInfo {
    let format = json.get("format").unwrap_or(&Value::Null);
    let format_name = str_of(format, "format_name").unwrap_or_default();
    let tags = format.get("tags");
    let empty = Vec::new();
    let streams = json
        .get("streams")
        .and_then(Value::as_array)
        .unwrap_or(&empty);

    let is_image_format = format_name == "image2" || format_name.ends_with("_pipe");
    let attached = |s: &Value| {
        s.get("disposition")
            .and_then(|d| d.get("attached_pic"))
            .and_then(Value::as_i64)
            == Some(1)
    };
    let video = streams
        .iter()
        .find(|s| str_of(s, "codec_type") == Some("video") && !attached(s));
    let audio = streams
        .iter()
        .find(|s| str_of(s, "codec_type") == Some("audio"));

    let video_codec = video.and_then(|s| str_of(s, "codec_name"));
    let photo =
        video.is_some() && is_image_format && video_codec.is_none_or(|c| IMAGE_CODECS.contains(&c));
    let kind = if photo {
        MediaKind::Photo
    } else if video.is_some() {
        MediaKind::Video
    } else if audio.is_some() {
        MediaKind::Audio
    } else {
        MediaKind::Other
    };

    let duration_ms = str_of(format, "duration")
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0 && *d < 1e12)
        .map(|d| (d * 1000.0).round() as u64)
        .filter(|_| kind != MediaKind::Photo);

    let capture_start = tag(tags, &["com.apple.quicktime.creationdate"])
        .and_then(time::parse_iso)
        .or_else(|| tag(tags, &["creation_time"]).and_then(time::parse_iso));

    MediaInfo {
        kind: Some(kind),
        container: container(format_name, tags, video_codec, path),
        video_codec: video_codec.map(str::to_owned),
        audio_codec: audio
            .and_then(|s| str_of(s, "codec_name"))
            .map(str::to_owned),
        width: video.and_then(|s| dimension(s, "width")),
        height: video.and_then(|s| dimension(s, "height")),
        duration_ms,
        capture_start,
        capture_end: None,
        make: tag(tags, &["com.apple.quicktime.make", "make"]).map(str::to_owned),
        model: tag(tags, &["com.apple.quicktime.model", "model"]).map(str::to_owned),
        serial: tags
            .and_then(Value::as_object)
            .and_then(|t| {
                t.iter().find(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    k.ends_with("serial")
                        || k.ends_with("serialnumber")
                        || k.ends_with("serial_number")
                })
            })
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned),
        prober: PROBER,
        probe_error: None,
    }
}

/// Container family in the same vocabulary as the builtin prober.
fn container(
    format_name: &str,
    tags: Option<&Value>,
    video_codec: Option<&str>,
    path: &Path,
) -> Option<String> {
    let name = match format_name {
        "" => return None,
        "mov,mp4,m4a,3gp,3g2,mj2" => {
            let major = tag(tags, &["major_brand"]).unwrap_or_default();
            let compatible = tag(tags, &["compatible_brands"]).unwrap_or_default();
            // ffprobe trims the brand; brands are four bytes, padded with blanks.
            let major = format!("{major:<4}");
            builtin::isobmff::container_for_brand(major.as_bytes(), compatible.as_bytes())
        }
        // ffprobe does not tell the two apart; the EBML DocType does.
        "matroska,webm" => {
            let builtin = builtin::probe_builtin(path).ok().and_then(|i| i.container);
            if builtin.as_deref() == Some("webm") {
                "webm"
            } else {
                "matroska"
            }
        }
        "image2" | "jpeg_pipe" if video_codec == Some("mjpeg") => "jpeg",
        "png_pipe" => "png",
        other => other.split(',').next().unwrap_or(other),
    };
    Some(name.to_owned())
}
