//! The one integration-test binary of liuhen-media.

mod corpus;
mod fake_ffprobe;
mod fuzz;

use std::path::PathBuf;

/// `../shared/media-corpus/`, or `LIUHEN_MEDIA_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("LIUHEN_MEDIA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media-corpus")
        })
}

pub fn corpus_file(name: &str) -> PathBuf {
    corpus_dir().join(name)
}

/// The ffprobe to compare against. Without one the caller skips, except on CI
/// (`CI=true`), where a missing ffprobe fails the test.
pub fn ffprobe_or_skip(test: &str) -> Option<PathBuf> {
    let found = liuhen_media::ProbeConfig::detect().ffprobe;
    if found.is_none() {
        liuhen_test_support::missing(&format!(
            "ffprobe for {test} (neither LIUHEN_FFPROBE nor PATH; install ffmpeg)"
        ));
    }
    found
}
