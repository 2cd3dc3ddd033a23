//! RIFF: WAV (format chunk and data length) and AVI (main and stream headers), minimal.

use super::Src;
use super::bytes::{arr, le_u16, le_u32, ticks_to_ms};
use crate::{MediaInfo, MediaKind, ProbeError};

pub(super) fn parse(src: &mut Src<'_>, info: &mut MediaInfo) -> Result<(), ProbeError> {
    let head = src.read(0, 12)?;
    let form: [u8; 4] = arr(&head, 8).unwrap_or_default();
    let declared_end = u64::from(le_u32(&head, 4).unwrap_or(0)).saturating_add(8);
    let end = declared_end.min(src.len());
    let mut w = Walker::default();
    let walked = match &form {
        b"WAVE" => {
            info.container = Some("wav".into());
            info.kind = Some(MediaKind::Audio);
            w.walk(src, 12, end, 0)
        }
        b"AVI " => {
            info.container = Some("avi".into());
            w.walk(src, 12, end, 0)
        }
        _ => return Err(src.bad(8, "RIFF form is neither WAVE nor AVI")),
    };
    w.fill(info);
    walked?;
    if declared_end > src.len() {
        return Err(src.bad(
            4,
            format!(
                "RIFF header claims {declared_end} bytes but the file has {}",
                src.len()
            ),
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Walker {
    wav_format: Option<Vec<u8>>,
    wav_data_len: Option<u64>,
    avi_header: Option<Vec<u8>>,
    stream_type: Option<[u8; 4]>,
    video_fourcc: Option<[u8; 4]>,
    audio_tag: Option<u16>,
}

impl Walker {
    fn walk(
        &mut self,
        src: &mut Src<'_>,
        start: u64,
        end: u64,
        depth: u32,
    ) -> Result<(), ProbeError> {
        if depth > 3 {
            return Err(src.bad(start, "lists nested too deeply"));
        }
        let mut off = start;
        while off.checked_add(8).is_some_and(|e| e <= end) {
            let h = src.read(off, 8)?;
            let id: [u8; 4] = arr(&h, 0).unwrap_or_default();
            let size = u64::from(le_u32(&h, 4).unwrap_or(0));
            let body = off.saturating_add(8);
            let chunk_end = body.saturating_add(size);
            let body_end = chunk_end.min(end);
            let len = body_end.saturating_sub(body);
            match &id {
                b"fmt " => self.wav_format = Some(src.read_upto(body, len.min(64))?),
                b"data" => self.wav_data_len = Some(len),
                b"avih" => self.avi_header = Some(src.read_upto(body, len.min(64))?),
                b"strh" => {
                    let b = src.read_upto(body, len.min(64))?;
                    self.stream_type = arr(&b, 0);
                }
                b"strf" => {
                    let b = src.read_upto(body, len.min(64))?;
                    match &self.stream_type {
                        Some(t) if t == b"vids" && self.video_fourcc.is_none() => {
                            self.video_fourcc = arr(&b, 16);
                        }
                        Some(t) if t == b"auds" && self.audio_tag.is_none() => {
                            self.audio_tag = le_u16(&b, 0);
                        }
                        _ => {}
                    }
                }
                b"LIST" => {
                    let kind = src.read_upto(body, 4)?;
                    if kind == b"hdrl" || kind == b"strl" {
                        self.walk(src, body.saturating_add(4), body_end, depth + 1)?;
                    }
                }
                _ => {}
            }
            if chunk_end > end {
                return Err(src.bad(
                    off,
                    format!(
                        "chunk claims {size} bytes but only {} remain",
                        end.saturating_sub(body)
                    ),
                ));
            }
            // Chunks are padded to an even length.
            off = chunk_end.saturating_add(size & 1);
        }
        Ok(())
    }

    fn fill(&self, info: &mut MediaInfo) {
        if let Some(fmt) = &self.wav_format {
            let tag = le_u16(fmt, 0).unwrap_or(0);
            let bits = le_u16(fmt, 14).unwrap_or(0);
            let tag = if tag == 0xFFFE {
                le_u16(fmt, 24).unwrap_or(tag)
            } else {
                tag
            };
            info.audio_codec = wav_codec(tag, bits).map(str::to_owned);
            let byte_rate = u64::from(le_u32(fmt, 8).unwrap_or(0));
            info.duration_ms = self
                .wav_data_len
                .and_then(|len| ticks_to_ms(len, byte_rate))
                .filter(|d| *d != 0);
        }
        if let Some(h) = &self.avi_header {
            let usec_per_frame = u64::from(le_u32(h, 0).unwrap_or(0));
            let frames = u64::from(le_u32(h, 16).unwrap_or(0));
            info.duration_ms = frames
                .checked_mul(usec_per_frame)
                .map(|us| us / 1000)
                .filter(|d| *d != 0);
            info.width = le_u32(h, 32).filter(|w| *w != 0);
            info.height = le_u32(h, 36).filter(|h| *h != 0);
            info.video_codec = self
                .video_fourcc
                .as_ref()
                .and_then(avi_codec)
                .map(str::to_owned);
            info.audio_codec = self
                .audio_tag
                .and_then(|t| wav_codec(t, 16))
                .map(str::to_owned);
            info.kind = if self.video_fourcc.is_some() || info.width.is_some() {
                Some(MediaKind::Video)
            } else if self.audio_tag.is_some() {
                Some(MediaKind::Audio)
            } else {
                None
            };
        }
    }
}

fn wav_codec(tag: u16, bits: u16) -> Option<&'static str> {
    Some(match (tag, bits) {
        (1, 8) => "pcm_u8",
        (1, 24) => "pcm_s24le",
        (1, 32) => "pcm_s32le",
        (1, _) => "pcm_s16le",
        (3, 64) => "pcm_f64le",
        (3, _) => "pcm_f32le",
        (2, _) => "adpcm_ms",
        (6, _) => "pcm_alaw",
        (7, _) => "pcm_mulaw",
        (0x11, _) => "adpcm_ima_wav",
        (0x55, _) => "mp3",
        (0xFF | 0x1610, _) => "aac",
        _ => return None,
    })
}

fn avi_codec(fourcc: &[u8; 4]) -> Option<&'static str> {
    let mut upper = *fourcc;
    upper.make_ascii_uppercase();
    Some(match &upper {
        b"H264" | b"X264" | b"AVC1" => "h264",
        b"HEVC" | b"H265" | b"HVC1" => "hevc",
        b"MJPG" | b"AVRN" => "mjpeg",
        b"XVID" | b"DIVX" | b"DX50" | b"FMP4" | b"MP4V" => "mpeg4",
        _ => return None,
    })
}
