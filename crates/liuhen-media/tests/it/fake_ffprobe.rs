//! ffprobe that hangs, floods or is missing: probe still returns in time.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liuhen_media::{ProbeConfig, ProbeError, probe, probe_ffprobe};

use crate::corpus_file;

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn ffprobe_that_sleeps_forever_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fake = script(dir.path(), "ffprobe", "exec sleep 600");
    let timeout = Duration::from_secs(1);
    // Not read completely by the builtin prober (its mdat is cut short), so ffprobe runs.
    let file = corpus_file("invalid-gps");

    let started = Instant::now();
    let err = probe_ffprobe(&file, &fake, timeout, 1 << 20).unwrap_err();
    assert!(matches!(err, ProbeError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < timeout + Duration::from_secs(2));

    let cfg = ProbeConfig {
        ffprobe: Some(fake),
        timeout,
        ..ProbeConfig::builtin_only()
    };
    let started = Instant::now();
    let info = probe(&file, &cfg);
    assert!(started.elapsed() < timeout + Duration::from_secs(2));
    assert_eq!(info.prober, "builtin", "builtin fallback: {info:?}");
    let msg = info.probe_error.unwrap();
    assert!(msg.contains("did not finish within 1 s"), "{msg}");
}

#[test]
fn ffprobe_whose_child_keeps_the_pipe_open_does_not_block() {
    // The shell is killed, its `sleep` child keeps stdout open: we must not wait for it.
    let dir = tempfile::tempdir().unwrap();
    let fake = script(dir.path(), "ffprobe", "sleep 5; echo");
    let started = Instant::now();
    let err = probe_ffprobe(
        &corpus_file("meta.mp4"),
        &fake,
        Duration::from_secs(1),
        1 << 20,
    )
    .unwrap_err();
    assert!(matches!(err, ProbeError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn ffprobe_flooding_output_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let fake = script(dir.path(), "ffprobe", "exec yes '{\"format\": {}}'");
    let started = Instant::now();
    let err = probe_ffprobe(
        &corpus_file("meta.mp4"),
        &fake,
        Duration::from_secs(10),
        64 * 1024,
    )
    .unwrap_err();
    assert!(matches!(err, ProbeError::OutputTooLarge(65536)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn ffprobe_that_fails_or_is_missing_falls_back_to_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let failing = script(dir.path(), "ffprobe", "echo 'something broke' >&2; exit 3");
    for ffprobe in [failing, dir.path().join("no-such-ffprobe")] {
        let cfg = ProbeConfig {
            ffprobe: Some(ffprobe.clone()),
            ..ProbeConfig::builtin_only()
        };
        let info = probe(&corpus_file("invalid-gps"), &cfg);
        assert_eq!(info.prober, "builtin", "{info:?}");
        let msg = info.probe_error.unwrap();
        assert!(
            msg.starts_with("ffprobe failed"),
            "{}: {msg}",
            ffprobe.display()
        );
    }
}

#[test]
fn ffprobe_garbage_json_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let fake = script(
        dir.path(),
        "ffprobe",
        "echo '{\"streams\": 5, \"format\": [1,2]}'",
    );
    let info = probe_ffprobe(
        &corpus_file("meta.mp4"),
        &fake,
        Duration::from_secs(5),
        1 << 20,
    )
    .unwrap();
    assert_eq!(info.kind, Some(liuhen_media::MediaKind::Other));
    let fake = script(dir.path(), "ffprobe2", "echo 'not json'");
    let err = probe_ffprobe(
        &corpus_file("meta.mp4"),
        &fake,
        Duration::from_secs(5),
        1 << 20,
    )
    .unwrap_err();
    assert!(matches!(err, ProbeError::Json(_)), "{err:?}");
}
