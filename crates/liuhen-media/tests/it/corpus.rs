//! Every corpus file through both probers: no panic, no hang, hostile files flagged, and
//! the builtin prober agrees with ffprobe on the readable ones.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use liuhen_media::{MediaInfo, MediaKind, ProbeConfig, probe, probe_builtin};

use crate::{corpus_dir, corpus_file, ffprobe_or_skip};

/// Wall-clock limit for one probe of one corpus file (ffprobe included).
const PER_FILE: Duration = Duration::from_secs(10);

fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} unreadable: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "corpus {} looks incomplete",
        dir.display()
    );
    files
}

/// Runs `probe` on a thread so that a hang fails the test instead of blocking it.
fn probe_within(path: &Path, cfg: &ProbeConfig, limit: Duration) -> MediaInfo {
    let (tx, rx) = mpsc::channel();
    let (p, c) = (path.to_owned(), cfg.clone());
    std::thread::spawn(move || {
        let _ = tx.send(probe(&p, &c));
    });
    let started = Instant::now();
    match rx.recv_timeout(limit) {
        Ok(info) => info,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{}: probe did not return within {limit:?}", path.display())
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
            "{}: probe panicked after {:?}",
            path.display(),
            started.elapsed()
        ),
    }
}

#[test]
fn every_corpus_file_probes_quickly_with_builtin() {
    for path in corpus_files() {
        let info = probe_within(&path, &ProbeConfig::builtin_only(), PER_FILE);
        assert_eq!(info.prober, "builtin", "{}", path.display());
    }
}

#[test]
fn every_corpus_file_probes_quickly_with_ffprobe() {
    let Some(ffprobe) = ffprobe_or_skip("every_corpus_file_probes_quickly_with_ffprobe") else {
        return;
    };
    let cfg = ProbeConfig {
        ffprobe: Some(ffprobe),
        ..ProbeConfig::builtin_only()
    };
    for path in corpus_files() {
        let info = probe_within(&path, &cfg, PER_FILE);
        let builtin = probe(&path, &ProbeConfig::builtin_only());
        if builtin.is_complete() {
            assert_eq!(info, builtin, "{}: builtin was complete", path.display());
            continue;
        }
        assert!(
            info.prober == "ffprobe"
                || info
                    .probe_error
                    .as_deref()
                    .is_some_and(|e| e.contains("ffprobe failed")),
            "{}: fell back to builtin without saying why: {info:?}",
            path.display()
        );
    }
}

/// Files that once crashed, hung or exhausted parsers, and what the builtin prober says.
const HOSTILE: &[(&str, &str)] = &[
    ("crash_add_large", "claims 18446744073709551615 bytes"),
    ("crash_skip_large", "claims 11818289851445412608 bytes"),
    ("crash_moov-trak", "claims 1986618469 bytes"),
    ("oom_large_box.heic", "claims 855638085 bytes"),
    ("invalid-gps", "box 'mdat' claims 1370600 bytes"),
    ("broken.jpg", "segment lengths are wrong"),
    ("exif-no-tz.jpg", "truncated JPEG"),
];

#[test]
fn hostile_files_are_flagged_by_builtin() {
    for (name, expected) in HOSTILE {
        let info = probe_within(&corpus_file(name), &ProbeConfig::builtin_only(), PER_FILE);
        let err = info
            .probe_error
            .unwrap_or_else(|| panic!("{name}: builtin read a hostile file without a flag"));
        assert!(err.contains(expected), "{name}: {err:?} lacks {expected:?}");
    }
}

#[test]
fn hostile_files_are_flagged_with_ffprobe() {
    let Some(ffprobe) = ffprobe_or_skip("hostile_files_are_flagged_with_ffprobe") else {
        return;
    };
    let cfg = ProbeConfig {
        ffprobe: Some(ffprobe),
        ..ProbeConfig::builtin_only()
    };
    // crash_moov-trak is read by ffprobe without complaint (a track without codec).
    for (name, _) in HOSTILE.iter().filter(|(n, _)| *n != "crash_moov-trak") {
        let info = probe_within(&corpus_file(name), &cfg, PER_FILE);
        assert!(info.probe_error.is_some(), "{name}: not flagged: {info:?}");
    }
}

#[test]
fn endless_loop_jpeg_terminates_with_its_exif() {
    let info = probe_builtin(&corpus_file("endless_loop.jpg")).unwrap();
    assert_eq!(info.make.as_deref(), Some("Canon"));
    assert_eq!((info.width, info.height), (Some(1), Some(1)));
}

#[test]
fn unknown_file_is_other_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not media at all").unwrap();
    let info = probe(&path, &ProbeConfig::builtin_only());
    assert_eq!(info.kind_or_other(), MediaKind::Other);
    assert_eq!(
        info.probe_error.as_deref(),
        Some("unrecognised file format")
    );

    let missing = probe(
        &dir.path().join("missing.mp4"),
        &ProbeConfig::builtin_only(),
    );
    assert!(missing.probe_error.unwrap().starts_with("cannot read file"));
}

/// What both probers must report for a readable file; `None` means "not reported".
struct Expected {
    file: &'static str,
    kind: MediaKind,
    container: &'static str,
    video: Option<&'static str>,
    audio: Option<&'static str>,
    size: Option<(u32, u32)>,
    duration_ms: Option<u64>,
}

const fn row(
    file: &'static str,
    kind: MediaKind,
    container: &'static str,
    video: Option<&'static str>,
    audio: Option<&'static str>,
    size: Option<(u32, u32)>,
    duration_ms: Option<u64>,
) -> Expected {
    Expected {
        file,
        kind,
        container,
        video,
        audio,
        size,
        duration_ms,
    }
}

use MediaKind::{Audio, Photo, Video};

#[rustfmt::skip]
const READABLE: &[Expected] = &[
    row("meta.mov", Video, "mov", Some("h264"), Some("aac"), Some((720, 1280)), Some(500)),
    row("meta.mp4", Video, "mp4", Some("h264"), Some("aac"), Some((1920, 1080)), Some(1063)),
    row("auth.mov", Video, "mov", Some("h264"), Some("aac"), Some((296, 640)), Some(12)),
    row("udta.auth.mp4", Video, "mp4", Some("hevc"), Some("aac"), Some((886, 1920)), Some(12)),
    row("sony-a7-xavc.MP4", Video, "mp4", Some("h264"), Some("pcm_s16be"), Some((1920, 1080)), Some(1440)),
    row("3gp_640x360.3gp", Video, "3gp", Some("h264"), None, Some((640, 360)), Some(13347)),
    row("mkv_640x360.mkv", Video, "matroska", Some("h264"), None, Some((640, 360)), Some(13346)),
    row("webm_480.webm", Video, "webm", Some("vp8"), Some("vorbis"), Some((480, 270)), Some(30543)),
    row("gopro-karma.mp4", Video, "mp4", Some("h264"), Some("aac"), Some((854, 480)), Some(12079)),
    row("gopro-max-heromode.mp4", Video, "mp4", Some("h264"), Some("aac"), Some((848, 480)), Some(10517)),
    row("mka.mka", Audio, "matroska", None, Some("mp2"), None, Some(3422)),
    row("exif.jpg", Photo, "jpeg", Some("mjpeg"), None, Some((3072, 4096)), None),
    row("no-exif.jpg", Photo, "jpeg", Some("mjpeg"), None, Some((3674, 5500)), None),
    row("endless_loop.jpg", Photo, "jpeg", Some("mjpeg"), None, Some((1, 1)), None),
];

fn close_enough(a: u64, b: u64) -> bool {
    let diff = a.abs_diff(b);
    diff <= 100 || diff.saturating_mul(100) <= a.max(b)
}

fn check(prober: &str, info: &MediaInfo, want: &Expected) {
    let file = want.file;
    assert_eq!(info.probe_error, None, "{prober} {file}: {info:?}");
    assert_eq!(info.kind, Some(want.kind), "{prober} {file}: kind");
    assert_eq!(
        info.container.as_deref(),
        Some(want.container),
        "{prober} {file}: container"
    );
    assert_eq!(
        info.video_codec.as_deref(),
        want.video,
        "{prober} {file}: video codec"
    );
    assert_eq!(
        info.audio_codec.as_deref(),
        want.audio,
        "{prober} {file}: audio codec"
    );
    assert_eq!(
        info.width.zip(info.height),
        want.size,
        "{prober} {file}: size"
    );
    match (info.duration_ms, want.duration_ms) {
        (Some(got), Some(want)) => {
            assert!(
                close_enough(got, want),
                "{prober} {file}: duration {got} ms, want {want} ms"
            );
        }
        (got, want) => assert_eq!(got, want, "{prober} {file}: duration"),
    }
    if let (Some(start), Some(ms)) = (info.capture_start, info.duration_ms) {
        let end = info
            .capture_end
            .expect("capture_end with start and duration");
        assert_eq!(
            end.duration_since(start).as_millis(),
            i128::from(ms),
            "{prober} {file}"
        );
    }
}

#[test]
fn builtin_reads_the_readable_files() {
    for want in READABLE {
        let info = probe_builtin(&corpus_file(want.file))
            .unwrap_or_else(|e| panic!("builtin {}: {e}", want.file));
        check("builtin", &info, want);
    }
}

#[test]
fn ffprobe_reads_the_readable_files_like_builtin() {
    let Some(ffprobe) = ffprobe_or_skip("ffprobe_reads_the_readable_files_like_builtin") else {
        return;
    };
    for want in READABLE {
        let path = corpus_file(want.file);
        let ff = liuhen_media::probe_ffprobe(&path, &ffprobe, Duration::from_secs(20), 1 << 22)
            .unwrap_or_else(|e| panic!("ffprobe {}: {e}", want.file));
        check("ffprobe", &ff, want);
        let bi = probe_builtin(&path).unwrap();
        // Every field builtin reports, ffprobe (which knows no EXIF) reports the same.
        let file = want.file;
        if ff.kind != Some(Photo) {
            assert_eq!(bi.capture_start, ff.capture_start, "{file}: capture_start");
            for (name, b, f) in [
                ("make", &bi.make, &ff.make),
                ("model", &bi.model, &ff.model),
                ("serial", &bi.serial, &ff.serial),
            ] {
                if b.is_some() {
                    assert_eq!(b, f, "{file}: {name}");
                }
            }
        }
    }
}

/// Every readable corpus file is read completely by the builtin prober, so `probe` starts
/// no ffprobe for it; the files it cannot read completely go to ffprobe.
#[test]
fn ffprobe_runs_only_for_what_builtin_cannot_read_completely() {
    let Some(ffprobe) =
        ffprobe_or_skip("ffprobe_runs_only_for_what_builtin_cannot_read_completely")
    else {
        return;
    };
    let cfg = ProbeConfig {
        ffprobe: Some(ffprobe),
        ..ProbeConfig::builtin_only()
    };
    for want in READABLE {
        let info = probe(&corpus_file(want.file), &cfg);
        assert!(info.is_complete(), "{}: {info:?}", want.file);
        assert_eq!(info.prober, "builtin", "{}", want.file);
        check("probe", &info, want);
    }
    for (name, _) in HOSTILE {
        let info = probe(&corpus_file(name), &cfg);
        assert!(!info.is_complete(), "{name}: {info:?}");
        assert!(
            info.prober == "ffprobe"
                || info
                    .probe_error
                    .as_deref()
                    .is_some_and(|e| e.contains("ffprobe failed")),
            "{name}: ffprobe was not asked: {info:?}"
        );
    }
}

#[test]
fn probe_with_ffprobe_keeps_the_exif_of_photos() {
    let Some(ffprobe) = ffprobe_or_skip("probe_with_ffprobe_keeps_the_exif_of_photos") else {
        return;
    };
    let cfg = ProbeConfig {
        ffprobe: Some(ffprobe),
        ..ProbeConfig::builtin_only()
    };
    let info = probe(&corpus_file("exif.jpg"), &cfg);
    assert_eq!(info.prober, "builtin", "complete: ffprobe is not started");
    assert_eq!(info.make.as_deref(), Some("vivo"));
    assert_eq!(info.model.as_deref(), Some("vivo X90 Pro+"));
    assert!(info.capture_start.is_some());
}

#[test]
fn quicktime_creationdate_wins_over_mvhd() {
    // meta.mov: mvhd says 2024-02-02 (when the file was rewritten), the camera's
    // creationdate says 2019-02-12T15:27:12+08:00.
    let info = probe_builtin(&corpus_file("meta.mov")).unwrap();
    assert_eq!(
        info.capture_start,
        Some("2019-02-12T07:27:12Z".parse().unwrap())
    );
    assert_eq!(info.make.as_deref(), Some("Apple"));
    assert_eq!(info.model.as_deref(), Some("iPhone X"));
}

#[test]
fn exif_time_uses_offset_time_original() {
    // exif.jpg: DateTimeOriginal 2023:07:09 20:36:33, OffsetTimeOriginal +08:00.
    let info = probe_builtin(&corpus_file("exif.jpg")).unwrap();
    assert_eq!(
        info.capture_start,
        Some("2023-07-09T12:36:33Z".parse().unwrap())
    );
}

#[test]
fn exif_time_without_zone_is_china_time() {
    // exif-no-tz.jpg: the same DateTimeOriginal without OffsetTimeOriginal. The file ends
    // before its image data, which is flagged, but its EXIF is still read.
    let info = probe_builtin(&corpus_file("exif-no-tz.jpg")).unwrap();
    assert_eq!(
        info.capture_start,
        Some("2023-07-09T12:36:33Z".parse().unwrap())
    );
    assert_eq!(info.make.as_deref(), Some("vivo"));
    assert!(info.probe_error.is_some());
}
