//! Pure rules of playback: which originals a browser plays as they are, what content type
//! they are served with, and what a playback report may claim.

use crate::MediaKind;

/// The technical facts that decide playability (as probed at ingest).
#[derive(Debug, Clone, Copy, Default)]
pub struct MediaFacts<'a> {
    pub kind: Option<MediaKind>,
    pub container: Option<&'a str>,
    pub video_codec: Option<&'a str>,
    pub audio_codec: Option<&'a str>,
}

/// Whether every current browser plays the original itself: MP4/MOV with H.264 (+ AAC),
/// WebM with VP8/VP9 (+ Opus/Vorbis), MP3/AAC/WAV audio, JPEG/PNG photos.
pub fn browser_playable(f: MediaFacts<'_>) -> bool {
    let audio_ok = |allowed: &[&str]| f.audio_codec.is_none_or(|a| allowed.contains(&a));
    match (f.kind, f.container) {
        (Some(MediaKind::Video), Some("mp4" | "mov")) => {
            f.video_codec == Some("h264") && audio_ok(&["aac", "mp3"])
        }
        (Some(MediaKind::Video), Some("webm")) => {
            matches!(f.video_codec, Some("vp8" | "vp9")) && audio_ok(&["opus", "vorbis"])
        }
        (Some(MediaKind::Audio), Some("mp3")) => audio_ok(&["mp3"]),
        (Some(MediaKind::Audio), Some("mp4" | "mov" | "aac" | "adts")) => audio_ok(&["aac"]),
        (Some(MediaKind::Audio), Some("wav")) => true,
        (Some(MediaKind::Audio), Some("webm" | "ogg")) => audio_ok(&["opus", "vorbis"]),
        (Some(MediaKind::Photo), Some("jpeg" | "png")) => true,
        _ => false,
    }
}

/// The `Content-Type` an original is served with.
pub fn content_type(f: MediaFacts<'_>) -> &'static str {
    match (f.kind, f.container) {
        (Some(MediaKind::Video), Some("mp4" | "mov")) => "video/mp4",
        (Some(MediaKind::Video), Some("webm")) => "video/webm",
        (Some(MediaKind::Audio), Some("mp3")) => "audio/mpeg",
        (Some(MediaKind::Audio), Some("mp4" | "mov")) => "audio/mp4",
        (Some(MediaKind::Audio), Some("aac" | "adts")) => "audio/aac",
        (Some(MediaKind::Audio), Some("wav")) => "audio/wav",
        (Some(MediaKind::Audio), Some("webm")) => "audio/webm",
        (Some(MediaKind::Audio), Some("ogg")) => "audio/ogg",
        (Some(MediaKind::Photo), Some("jpeg")) => "image/jpeg",
        (Some(MediaKind::Photo), Some("png")) => "image/png",
        _ => "application/octet-stream",
    }
}

/// Whether a proxy must be made for a record: a video the browser cannot play as it is.
pub fn needs_proxy(f: MediaFacts<'_>) -> bool {
    f.kind == Some(MediaKind::Video) && !browser_playable(f)
}

/// Limits of a playback report.
pub const MAX_INTERVALS: usize = 1000;
/// Slack allowed past the known duration, in seconds (players overshoot slightly).
pub const DURATION_SLACK_S: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntervalError {
    #[error("no intervals")]
    Empty,
    #[error("more than {MAX_INTERVALS} intervals")]
    TooMany,
    #[error("interval {0} is not two finite, non-negative numbers with from <= to")]
    Malformed(usize),
    #[error("interval {0} ends after the recording")]
    PastEnd(usize),
}

impl IntervalError {
    pub fn message_zh(&self) -> String {
        match self {
            Self::Empty => "播放记录为空".into(),
            Self::TooMany => format!("播放区间过多（最多 {MAX_INTERVALS} 个）"),
            Self::Malformed(i) => format!("第 {} 个播放区间格式不正确", i + 1),
            Self::PastEnd(i) => format!("第 {} 个播放区间超出了录像时长", i + 1),
        }
    }
}

/// Checks the seconds a viewer reports having played; `duration_ms` is the record's
/// duration when known (unknown: only the shape is checked). Returns the intervals and
/// the total seconds they cover (overlaps counted once).
pub fn validate_intervals(
    raw: &[[f64; 2]],
    duration_ms: Option<u64>,
) -> Result<(Vec<[f64; 2]>, f64), IntervalError> {
    if raw.is_empty() {
        return Err(IntervalError::Empty);
    }
    if raw.len() > MAX_INTERVALS {
        return Err(IntervalError::TooMany);
    }
    let limit = duration_ms.map(|ms| ms as f64 / 1000.0 + DURATION_SLACK_S);
    for (i, [from, to]) in raw.iter().enumerate() {
        if !from.is_finite() || !to.is_finite() || *from < 0.0 || from > to {
            return Err(IntervalError::Malformed(i));
        }
        if limit.is_some_and(|l| *to > l) {
            return Err(IntervalError::PastEnd(i));
        }
    }
    let mut sorted = raw.to_vec();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let mut total = 0.0;
    let mut cur: Option<[f64; 2]> = None;
    for [a, b] in sorted {
        cur = match cur {
            Some([ca, cb]) if a <= cb => Some([ca, cb.max(b)]),
            Some([ca, cb]) => {
                total += cb - ca;
                Some([a, b])
            }
            None => Some([a, b]),
        };
    }
    if let Some([a, b]) = cur {
        total += b - a;
    }
    Ok((raw.to_vec(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<'a>(
        kind: MediaKind,
        c: &'a str,
        v: Option<&'a str>,
        a: Option<&'a str>,
    ) -> MediaFacts<'a> {
        MediaFacts {
            kind: Some(kind),
            container: Some(c),
            video_codec: v,
            audio_codec: a,
        }
    }

    #[test]
    fn playability_table() {
        use MediaKind::*;
        let cases = [
            (
                f(Video, "mp4", Some("h264"), Some("aac")),
                true,
                "video/mp4",
            ),
            (f(Video, "mov", Some("h264"), None), true, "video/mp4"),
            (
                f(Video, "mp4", Some("hevc"), Some("aac")),
                false,
                "video/mp4",
            ),
            (
                f(Video, "matroska", Some("h264"), None),
                false,
                "application/octet-stream",
            ),
            (
                f(Video, "webm", Some("vp8"), Some("vorbis")),
                true,
                "video/webm",
            ),
            (
                f(Video, "webm", Some("vp9"), Some("opus")),
                true,
                "video/webm",
            ),
            (
                f(Video, "avi", Some("mjpeg"), None),
                false,
                "application/octet-stream",
            ),
            (
                f(Video, "mpegts", Some("h264"), Some("aac")),
                false,
                "application/octet-stream",
            ),
            (f(Audio, "mp3", None, Some("mp3")), true, "audio/mpeg"),
            (f(Audio, "wav", None, Some("pcm_s16le")), true, "audio/wav"),
            (f(Photo, "jpeg", Some("mjpeg"), None), true, "image/jpeg"),
            (
                f(Photo, "heif", Some("hevc"), None),
                false,
                "application/octet-stream",
            ),
        ];
        for (facts, playable, ct) in cases {
            assert_eq!(browser_playable(facts), playable, "{facts:?}");
            assert_eq!(content_type(facts), ct, "{facts:?}");
        }
        assert!(needs_proxy(f(Video, "matroska", Some("h264"), None)));
        assert!(!needs_proxy(f(Video, "mp4", Some("h264"), None)));
        assert!(!needs_proxy(f(Photo, "heif", None, None)));
    }

    #[test]
    fn intervals_are_checked_and_summed() {
        let (_, total) =
            validate_intervals(&[[0.0, 2.0], [1.0, 3.0], [5.0, 6.5]], Some(10_000)).unwrap();
        assert!((total - 4.5).abs() < 1e-9);
        assert_eq!(validate_intervals(&[], None), Err(IntervalError::Empty));
        assert_eq!(
            validate_intervals(&[[2.0, 1.0]], None),
            Err(IntervalError::Malformed(0))
        );
        assert_eq!(
            validate_intervals(&[[0.0, 1.0], [-1.0, 1.0]], None),
            Err(IntervalError::Malformed(1))
        );
        assert_eq!(
            validate_intervals(&[[0.0, f64::NAN]], None),
            Err(IntervalError::Malformed(0))
        );
        assert!(validate_intervals(&[[0.0, 10.9]], Some(10_000)).is_ok());
        assert_eq!(
            validate_intervals(&[[0.0, 11.5]], Some(10_000)),
            Err(IntervalError::PastEnd(0))
        );
        let many = vec![[0.0, 1.0]; MAX_INTERVALS + 1];
        assert_eq!(validate_intervals(&many, None), Err(IntervalError::TooMany));
    }
}
