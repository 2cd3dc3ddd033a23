//! Matroska and WebM: an EBML element walker over the header, `Info` and `Tracks`.

use super::bytes::{be_u64, text};
use super::{MAX_DEPTH, Src};
use crate::{MediaInfo, MediaKind, ProbeError, time};

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const DATE_UTC: u32 = 0x4461;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const AUDIO: u32 = 0xE1;
const BIT_DEPTH: u32 = 0x6264;
const CLUSTER: u32 = 0x1F43_B675;
const MAX_TRACKS: usize = 64;

#[derive(Default)]
struct Track {
    kind: Option<u64>,
    codec_id: Option<String>,
    width: Option<u64>,
    height: Option<u64>,
    bit_depth: Option<u64>,
}

#[derive(Default)]
struct Walker {
    doc_type: Option<String>,
    timecode_scale: Option<u64>,
    duration: Option<f64>,
    date: Option<jiff::Timestamp>,
    tracks: Vec<Track>,
    seen_tracks: bool,
    done: bool,
}

pub(super) fn parse(src: &mut Src<'_>, info: &mut MediaInfo) -> Result<(), ProbeError> {
    let mut w = Walker::default();
    let len = src.len();
    let walked = w.walk(src, 0, len, 0, 0);
    w.fill(info);
    walked?;
    if !w.seen_tracks {
        return Err(src.bad(0, "no 'Tracks' element before the media data"));
    }
    Ok(())
}

/// All value bits of an `n`-byte vint set; as a size this means "unknown".
fn value_mask(n: u64) -> u64 {
    (1u64 << (7 * n.min(8))) - 1
}

/// Reads an EBML variable-length integer at `off`: (value without marker, raw value, length).
fn vint(src: &mut Src<'_>, off: u64) -> Result<(u64, u64, u64), ProbeError> {
    let first = *src
        .read(off, 1)?
        .first()
        .ok_or_else(|| src.bad(off, "short read"))?;
    if first == 0 {
        return Err(src.bad(off, "invalid EBML variable-length integer"));
    }
    let n = u64::from(first.leading_zeros()) + 1;
    let raw_bytes = src.read(off, n)?;
    let mut raw = 0u64;
    for b in &raw_bytes {
        raw = (raw << 8) | u64::from(*b);
    }
    // n <= 8, so 7 * n <= 56 and the shift cannot overflow.
    let value = raw & value_mask(n);
    Ok((value, raw, n))
}

impl Walker {
    fn fill(&self, info: &mut MediaInfo) {
        info.container = Some(
            match self.doc_type.as_deref() {
                Some("webm") => "webm",
                _ => "matroska",
            }
            .to_owned(),
        );
        let is = |t: &Track, k: u64, prefix: &str| {
            t.kind == Some(k)
                || (t.kind.is_none()
                    && t.codec_id.as_deref().is_some_and(|c| c.starts_with(prefix)))
        };
        let video = self.tracks.iter().find(|t| is(t, 1, "V_"));
        let audio = self.tracks.iter().find(|t| is(t, 2, "A_"));
        info.kind = if video.is_some() {
            Some(MediaKind::Video)
        } else if audio.is_some() {
            Some(MediaKind::Audio)
        } else {
            None
        };
        if let Some(v) = video {
            info.video_codec = v
                .codec_id
                .as_deref()
                .and_then(video_codec)
                .map(str::to_owned);
            info.width = v
                .width
                .and_then(|w| u32::try_from(w).ok())
                .filter(|w| *w != 0);
            info.height = v
                .height
                .and_then(|h| u32::try_from(h).ok())
                .filter(|h| *h != 0);
        }
        if let Some(a) = audio {
            info.audio_codec = a
                .codec_id
                .as_deref()
                .and_then(|c| audio_codec(c, a.bit_depth))
                .map(str::to_owned);
        }
        let scale = self.timecode_scale.unwrap_or(1_000_000) as f64;
        info.duration_ms = self
            .duration
            .map(|d| d * scale / 1_000_000.0)
            .filter(|ms| ms.is_finite() && *ms > 0.0 && *ms < 1e15)
            .map(|ms| ms.round() as u64);
        info.capture_start = self.date;
    }

    fn walk(
        &mut self,
        src: &mut Src<'_>,
        start: u64,
        end: u64,
        depth: u32,
        parent: u32,
    ) -> Result<(), ProbeError> {
        if depth > MAX_DEPTH {
            return Err(src.bad(start, "elements nested too deeply"));
        }
        let mut off = start;
        while off < end && !self.done {
            let (_, id, id_len) = vint(src, off)?;
            if id_len > 4 {
                return Err(src.bad(off, "element ID longer than 4 bytes"));
            }
            let id = u32::try_from(id).unwrap_or(0);
            let size_at = off.saturating_add(id_len);
            let (size, _, size_len) = vint(src, size_at)?;
            let body = size_at.saturating_add(size_len);
            let unknown_size = size == value_mask(size_len);
            let elem_end = if unknown_size {
                if id != SEGMENT && id != CLUSTER {
                    return Err(src.bad(off, format!("element {id:#X} has unknown size")));
                }
                end
            } else {
                body.saturating_add(size)
            };
            if id == CLUSTER && (self.seen_tracks || unknown_size) {
                self.done = true;
                break;
            }
            let body_end = elem_end.min(end);
            self.visit(src, id, body, body_end, depth, parent)?;
            if elem_end > end {
                return Err(src.bad(
                    off,
                    format!(
                        "element {id:#X} claims {size} bytes but only {} remain",
                        end.saturating_sub(body)
                    ),
                ));
            }
            if elem_end <= off {
                return Err(src.bad(off, "element does not advance"));
            }
            off = elem_end;
        }
        Ok(())
    }

    fn visit(
        &mut self,
        src: &mut Src<'_>,
        id: u32,
        body: u64,
        end: u64,
        depth: u32,
        parent: u32,
    ) -> Result<(), ProbeError> {
        let len = end.saturating_sub(body);
        let inner = depth.saturating_add(1);
        match (parent, id) {
            (0, EBML) | (0, SEGMENT) | (SEGMENT, INFO) | (SEGMENT, TRACKS) => {
                if id == TRACKS {
                    self.seen_tracks = true;
                }
                self.walk(src, body, end, inner, id)?;
            }
            (EBML, DOC_TYPE) => {
                self.doc_type = text(&src.read_upto(body, len.min(64))?);
            }
            (INFO, TIMECODE_SCALE) => self.timecode_scale = uint(src, body, len)?,
            (INFO, DURATION) => {
                let b = src.read_upto(body, len.min(8))?;
                self.duration = match b.len() {
                    4 => b
                        .get(..4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(|a| f64::from(f32::from_be_bytes(a))),
                    8 => be_u64(&b, 0).map(f64::from_bits),
                    _ => None,
                };
            }
            (INFO, DATE_UTC) => {
                self.date = uint(src, body, len)?
                    .map(|v| v as i64)
                    .and_then(time::from_matroska_date);
            }
            (TRACKS, TRACK_ENTRY) if self.tracks.len() < MAX_TRACKS => {
                self.tracks.push(Track::default());
                self.walk(src, body, end, inner, id)?;
            }
            (TRACK_ENTRY, VIDEO) | (TRACK_ENTRY, AUDIO) => {
                self.walk(src, body, end, inner, id)?;
            }
            (TRACK_ENTRY, TRACK_TYPE) => {
                let v = uint(src, body, len)?;
                if let Some(t) = self.tracks.last_mut() {
                    t.kind = v;
                }
            }
            (TRACK_ENTRY, CODEC_ID) => {
                let v = text(&src.read_upto(body, len.min(64))?);
                if let Some(t) = self.tracks.last_mut() {
                    t.codec_id = v;
                }
            }
            (VIDEO, PIXEL_WIDTH) | (VIDEO, PIXEL_HEIGHT) | (AUDIO, BIT_DEPTH) => {
                let v = uint(src, body, len)?;
                if let Some(t) = self.tracks.last_mut() {
                    match id {
                        PIXEL_WIDTH => t.width = v,
                        PIXEL_HEIGHT => t.height = v,
                        _ => t.bit_depth = v,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn uint(src: &mut Src<'_>, body: u64, len: u64) -> Result<Option<u64>, ProbeError> {
    if len > 8 {
        return Err(src.bad(body, format!("integer element of {len} bytes")));
    }
    let b = src.read(body, len)?;
    Ok((!b.is_empty()).then(|| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x))))
}

fn video_codec(id: &str) -> Option<&'static str> {
    Some(match id {
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "V_VP8" => "vp8",
        "V_VP9" => "vp9",
        "V_AV1" => "av1",
        "V_MJPEG" => "mjpeg",
        "V_THEORA" => "theora",
        "V_MPEG1" => "mpeg1video",
        "V_MPEG2" => "mpeg2video",
        id if id.starts_with("V_MPEG4/ISO/") => "mpeg4",
        _ => return None,
    })
}

fn audio_codec(id: &str, bit_depth: Option<u64>) -> Option<&'static str> {
    Some(match id {
        "A_VORBIS" => "vorbis",
        "A_OPUS" => "opus",
        "A_MPEG/L3" => "mp3",
        "A_MPEG/L2" => "mp2",
        "A_MPEG/L1" => "mp1",
        "A_AC3" => "ac3",
        "A_EAC3" => "eac3",
        "A_FLAC" => "flac",
        "A_ALAC" => "alac",
        "A_DTS" => "dts",
        "A_TRUEHD" => "truehd",
        "A_PCM/INT/LIT" => match bit_depth {
            Some(8) => "pcm_u8",
            Some(24) => "pcm_s24le",
            Some(32) => "pcm_s32le",
            _ => "pcm_s16le",
        },
        "A_PCM/INT/BIG" => match bit_depth {
            Some(24) => "pcm_s24be",
            Some(32) => "pcm_s32be",
            _ => "pcm_s16be",
        },
        "A_PCM/FLOAT/IEEE" => match bit_depth {
            Some(64) => "pcm_f64le",
            _ => "pcm_f32le",
        },
        id if id.starts_with("A_AAC") => "aac",
        _ => return None,
    })
}
