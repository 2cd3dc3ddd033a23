//! ISO base media file format and QuickTime (mp4, mov, 3gp, heif): a box walker.

use jiff::Timestamp;

use super::bytes::{be_u16, be_u32, be_u64, fourcc, text, ticks_to_ms};
use super::{MAX_DEPTH, Src};
use crate::{MediaInfo, MediaKind, ProbeError, time};

const TOP_LEVEL: [&[u8; 4]; 8] = [
    b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot", b"uuid",
];
const MAX_TRACKS: usize = 64;
const MAX_KEYS: usize = 1024;
/// Bytes read from a metadata leaf box; larger ones are read only this far.
const LEAF_CAP: u64 = 64 * 1024;

pub(super) fn sniff(head: &[u8]) -> bool {
    head.get(4..8)
        .is_some_and(|t| TOP_LEVEL.iter().any(|known| known.as_slice() == t))
}

/// Container family from the `ftyp` brands, shared with the ffprobe mapping.
pub(crate) fn container_for_brand(major: &[u8], compatible: &[u8]) -> &'static str {
    const HEIF: [&[u8]; 8] = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    ];
    match major {
        b"qt  " => "mov",
        m if m.starts_with(b"3gp") || m.starts_with(b"3g2") => "3gp",
        m if HEIF.contains(&m) => "heif",
        b"avif" | b"avis" => "avif",
        _ if major.is_empty() && compatible.is_empty() => "mov",
        _ => "mp4",
    }
}

#[derive(Default)]
struct Track {
    handler: Option<[u8; 4]>,
    fourcc: Option<[u8; 4]>,
    codec: Option<String>,
    entry_width: Option<u32>,
    entry_height: Option<u32>,
    tkhd_width: Option<u32>,
    tkhd_height: Option<u32>,
}

#[derive(Default)]
struct Walker {
    major: Vec<u8>,
    compatible: Vec<u8>,
    has_moov: bool,
    mvhd_created: Option<Timestamp>,
    duration_ms: Option<u64>,
    meta_handler: Option<[u8; 4]>,
    qt_creationdate: Option<Timestamp>,
    make: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    tracks: Vec<Track>,
    current_track: Option<usize>,
    keys: Vec<String>,
    ilst_item: Option<[u8; 4]>,
}

pub(super) fn parse(src: &mut Src<'_>, info: &mut MediaInfo) -> Result<(), ProbeError> {
    let mut w = Walker::default();
    let len = src.len();
    let walked = w.walk(src, 0, len, 0, *b"root");
    w.fill(info);
    walked?;
    if !w.has_moov && info.container.as_deref() != Some("heif") {
        return Err(src.bad(0, "no 'moov' box: recording truncated or never finalised"));
    }
    Ok(())
}

impl Walker {
    fn fill(&self, info: &mut MediaInfo) {
        info.container = Some(container_for_brand(&self.major, &self.compatible).to_owned());
        let video = self.tracks.iter().find(|t| t.handler == Some(*b"vide"));
        let audio = self.tracks.iter().find(|t| t.handler == Some(*b"soun"));
        info.kind = if video.is_some() {
            Some(MediaKind::Video)
        } else if audio.is_some() {
            Some(MediaKind::Audio)
        } else if info.container.as_deref() == Some("heif") || self.meta_handler == Some(*b"pict") {
            Some(MediaKind::Photo)
        } else {
            None
        };
        if let Some(v) = video {
            info.video_codec.clone_from(&v.codec);
            info.width = v.entry_width.or(v.tkhd_width).filter(|w| *w != 0);
            info.height = v.entry_height.or(v.tkhd_height).filter(|h| *h != 0);
        }
        if let Some(a) = audio {
            info.audio_codec.clone_from(&a.codec);
        }
        info.duration_ms = self.duration_ms.filter(|d| *d != 0);
        info.capture_start = self.qt_creationdate.or(self.mvhd_created);
        info.make.clone_from(&self.make);
        info.model.clone_from(&self.model);
        info.serial.clone_from(&self.serial);
    }

    fn walk(
        &mut self,
        src: &mut Src<'_>,
        start: u64,
        end: u64,
        depth: u32,
        parent: [u8; 4],
    ) -> Result<(), ProbeError> {
        if depth > MAX_DEPTH {
            return Err(src.bad(start, "boxes nested too deeply"));
        }
        let mut off = start;
        while off.checked_add(8).is_some_and(|e| e <= end) {
            let hdr = src.read(off, 8)?;
            let size32 = be_u32(&hdr, 0).unwrap_or(0);
            let typ: [u8; 4] = super::bytes::arr(&hdr, 4).unwrap_or_default();
            let (hlen, size) = match size32 {
                1 => {
                    let ext = src.read(off.saturating_add(8), 8)?;
                    (16, be_u64(&ext, 0).unwrap_or(0))
                }
                0 => (8, end.saturating_sub(off)),
                s => (8, u64::from(s)),
            };
            if size < hlen {
                return Err(src.bad(
                    off,
                    format!("box {} has impossible size {size}", fourcc(typ)),
                ));
            }
            let box_end = off.saturating_add(size);
            let body = off.saturating_add(hlen);
            let body_end = box_end.min(end);
            self.visit(src, typ, body, body_end, depth, parent)?;
            if box_end > end {
                return Err(src.bad(
                    off,
                    format!(
                        "box {} claims {size} bytes but only {} remain",
                        fourcc(typ),
                        end.saturating_sub(off)
                    ),
                ));
            }
            off = box_end;
        }
        Ok(())
    }

    fn visit(
        &mut self,
        src: &mut Src<'_>,
        typ: [u8; 4],
        body: u64,
        end: u64,
        depth: u32,
        parent: [u8; 4],
    ) -> Result<(), ProbeError> {
        let len = end.saturating_sub(body);
        let inner = depth.saturating_add(1);
        match &typ {
            b"ftyp" if parent == *b"root" => {
                let b = src.read_upto(body, len.min(256))?;
                self.major = b.get(..4).unwrap_or_default().to_vec();
                self.compatible = b.get(8..).unwrap_or_default().to_vec();
            }
            b"moov" => {
                self.has_moov = true;
                self.walk(src, body, end, inner, typ)?;
            }
            b"trak" if parent == *b"moov" => {
                if self.tracks.len() < MAX_TRACKS {
                    self.tracks.push(Track::default());
                    self.current_track = Some(self.tracks.len() - 1);
                } else {
                    self.current_track = None;
                }
                let walked = self.walk(src, body, end, inner, typ);
                self.current_track = None;
                walked?;
            }
            b"mdia" | b"minf" | b"stbl" | b"udta" | b"ilst" => {
                self.walk(src, body, end, inner, typ)?;
            }
            b"meta" => {
                // ISO `meta` is a full box (4 bytes version/flags); QuickTime's is not.
                let peek = src.read_upto(body, 8)?;
                let skip = if peek.get(4..8) == Some(b"hdlr") {
                    0
                } else {
                    4
                };
                self.walk(src, body.saturating_add(skip), end, inner, typ)?;
            }
            b"mvhd" => {
                let b = src.read_upto(body, len.min(64))?;
                self.mvhd(&b)
                    .ok_or_else(|| src.bad(body, "short 'mvhd' box"))?;
            }
            b"tkhd" => {
                let b = src.read_upto(body, len.min(128))?;
                self.tkhd(&b);
            }
            b"hdlr" => {
                let b = src.read_upto(body, len.min(64))?;
                let handler = super::bytes::arr::<4>(&b, 8);
                if parent == *b"mdia" {
                    if let Some(t) = self.track() {
                        t.handler = handler;
                    }
                } else if parent == *b"meta" {
                    self.meta_handler = handler;
                }
            }
            b"stsd" if parent == *b"stbl" => {
                let b = src.read_upto(body, len.min(1024))?;
                self.stsd(&b);
            }
            b"keys" if parent == *b"meta" => {
                let b = src.read_upto(body, len.min(LEAF_CAP))?;
                self.keys(&b);
            }
            b"data" => {
                if let Some(item) = self.ilst_item {
                    let b = src.read_upto(body, len.min(LEAF_CAP))?;
                    self.ilst_value(item, &b);
                }
            }
            _ if parent == *b"ilst" => {
                self.ilst_item = Some(typ);
                let walked = self.walk(src, body, end, inner, typ);
                self.ilst_item = None;
                walked?;
            }
            [0xA9, ..] if parent == *b"udta" => {
                // QuickTime user data text: u16 length, u16 language, text.
                let b = src.read_upto(body, len.min(1024))?;
                let n = usize::from(be_u16(&b, 0).unwrap_or(0));
                let value = b.get(4..4usize.saturating_add(n)).and_then(text);
                self.set_named(&typ, value);
            }
            _ => {}
        }
        Ok(())
    }

    fn track(&mut self) -> Option<&mut Track> {
        self.tracks.get_mut(self.current_track?)
    }

    fn mvhd(&mut self, b: &[u8]) -> Option<()> {
        let (created, timescale, duration) = match b.first()? {
            1 => (be_u64(b, 4)?, be_u32(b, 20)?, be_u64(b, 24)?),
            _ => (
                u64::from(be_u32(b, 4)?),
                be_u32(b, 12)?,
                u64::from(be_u32(b, 16)?),
            ),
        };
        self.mvhd_created = time::from_mac_epoch(created);
        let unknown = duration == u64::MAX || duration == u64::from(u32::MAX);
        if !unknown {
            self.duration_ms = ticks_to_ms(duration, u64::from(timescale));
        }
        Some(())
    }

    fn tkhd(&mut self, b: &[u8]) {
        let at = if b.first() == Some(&1) { 88 } else { 76 };
        let w = be_u32(b, at).map(|v| v >> 16);
        let h = be_u32(b, at + 4).map(|v| v >> 16);
        if let Some(t) = self.track() {
            t.tkhd_width = w;
            t.tkhd_height = h;
        }
    }

    fn stsd(&mut self, b: &[u8]) {
        // version/flags, entry count, then the first sample entry.
        let entry = b.get(8..).unwrap_or_default();
        let Some(code) = super::bytes::arr::<4>(entry, 4) else {
            return;
        };
        let Some(track) = self.track() else { return };
        let handler = track.handler.or_else(|| guess_handler(&code));
        track.handler = handler;
        track.fourcc = Some(code);
        if handler == Some(*b"vide") {
            track.entry_width = be_u16(entry, 32).map(u32::from);
            track.entry_height = be_u16(entry, 34).map(u32::from);
            track.codec = video_codec(&code).map(str::to_owned);
        } else if handler == Some(*b"soun") {
            let sample_bits = be_u16(entry, 26).unwrap_or(16);
            track.codec = audio_codec(&code, entry, sample_bits);
        }
    }

    fn keys(&mut self, b: &[u8]) {
        let count = be_u32(b, 4).unwrap_or(0);
        let mut at = 8usize;
        for _ in 0..count.min(MAX_KEYS as u32) {
            let Some(size) = be_u32(b, at).and_then(|s| usize::try_from(s).ok()) else {
                break;
            };
            if size < 8 {
                break;
            }
            let name = b
                .get(at.saturating_add(8)..at.saturating_add(size))
                .and_then(text)
                .unwrap_or_default();
            self.keys.push(name);
            at = at.saturating_add(size);
        }
    }

    fn ilst_value(&mut self, item: [u8; 4], b: &[u8]) {
        // type indicator (u32), locale (u32), value; only text types are used.
        let kind = be_u32(b, 0).unwrap_or(u32::MAX);
        if kind != 1 && kind != 0 {
            return;
        }
        let value = b.get(8..).and_then(text);
        if item.first() == Some(&0xA9) {
            self.set_named(&item, value);
            return;
        }
        let index = u32::from_be_bytes(item);
        let Some(key) = usize::try_from(index)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.keys.get(i))
        else {
            return;
        };
        let key = key.to_ascii_lowercase();
        let slot = if key.ends_with(".make") {
            &mut self.make
        } else if key.ends_with(".model") {
            &mut self.model
        } else if key.contains("serial") {
            &mut self.serial
        } else if key.ends_with(".creationdate") {
            self.qt_creationdate = value.as_deref().and_then(time::parse_iso);
            return;
        } else {
            return;
        };
        if slot.is_none() {
            *slot = value;
        }
    }

    fn set_named(&mut self, code: &[u8; 4], value: Option<String>) {
        let slot = match code.get(1..) {
            Some(b"mak") => &mut self.make,
            Some(b"mod") => &mut self.model,
            _ => return,
        };
        if slot.is_none() {
            *slot = value;
        }
    }
}

fn guess_handler(code: &[u8; 4]) -> Option<[u8; 4]> {
    if video_codec(code).is_some() {
        Some(*b"vide")
    } else if audio_codec(code, &[], 16).is_some() {
        Some(*b"soun")
    } else {
        None
    }
}

fn video_codec(code: &[u8; 4]) -> Option<&'static str> {
    Some(match code {
        b"avc1" | b"avc2" | b"avc3" | b"avc4" => "h264",
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc",
        b"mp4v" => "mpeg4",
        b"s263" | b"h263" | b"H263" => "h263",
        b"vp08" => "vp8",
        b"vp09" => "vp9",
        b"av01" => "av1",
        b"jpeg" | b"mjpa" | b"mjpb" | b"MJPG" => "mjpeg",
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "prores",
        b"mp2v" | b"xdvc" => "mpeg2video",
        _ => return None,
    })
}

fn audio_codec(code: &[u8; 4], entry: &[u8], sample_bits: u16) -> Option<String> {
    let name = match code {
        b"mp4a" => esds_codec(entry).unwrap_or("aac"),
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"twos" if sample_bits == 8 => "pcm_s8",
        b"twos" => "pcm_s16be",
        b"sowt" if sample_bits == 8 => "pcm_s8",
        b"sowt" => "pcm_s16le",
        b"in24" => "pcm_s24be",
        b"in32" => "pcm_s32be",
        b"fl32" => "pcm_f32be",
        b"fl64" => "pcm_f64be",
        b"raw " => "pcm_u8",
        b"ulaw" => "pcm_mulaw",
        b"alaw" => "pcm_alaw",
        b"alac" => "alac",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b".mp3" => "mp3",
        _ => return None,
    };
    Some(name.to_owned())
}

/// The codec of an `mp4a` entry from its `esds` DecoderConfigDescriptor.
fn esds_codec(entry: &[u8]) -> Option<&'static str> {
    let at = entry.windows(4).position(|w| w == b"esds")?;
    let mut p = at.checked_add(8)?; // type + version/flags
    let descriptor = |p: &mut usize, want: u8| -> Option<()> {
        if *entry.get(*p)? != want {
            return None;
        }
        *p = p.checked_add(1)?;
        for _ in 0..4 {
            let b = *entry.get(*p)?;
            *p = p.checked_add(1)?;
            if b & 0x80 == 0 {
                break;
            }
        }
        Some(())
    };
    descriptor(&mut p, 0x03)?;
    let flags = *entry.get(p.checked_add(2)?)?;
    p = p.checked_add(3)?;
    if flags & 0x80 != 0 {
        p = p.checked_add(2)?;
    }
    if flags & 0x40 != 0 {
        p = p.checked_add(usize::from(*entry.get(p)?) + 1)?;
    }
    if flags & 0x20 != 0 {
        p = p.checked_add(2)?;
    }
    descriptor(&mut p, 0x04)?;
    Some(match entry.get(p)? {
        0x69 | 0x6B => "mp3",
        0xA5 => "ac3",
        0xA6 => "eac3",
        0xAD => "opus",
        _ => "aac",
    })
}
