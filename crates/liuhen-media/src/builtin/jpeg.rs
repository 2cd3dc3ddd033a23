//! JPEG: marker segments up to the first scan, the frame header and the EXIF block.

use super::Src;
use super::bytes::{be_u16, le_u16, le_u32, text};
use crate::{MediaInfo, MediaKind, ProbeError, time};

pub(super) fn parse(src: &mut Src<'_>, info: &mut MediaInfo) -> Result<(), ProbeError> {
    info.kind = Some(MediaKind::Photo);
    info.container = Some("jpeg".into());
    info.video_codec = Some("mjpeg".into());
    let mut off: u64 = 2;
    let mut seen_exif = false;
    let mut seen_sof = false;
    let mut skipped = None;
    loop {
        let m = src
            .read(off, 2)
            .map_err(|_| src.bad(off, "data ends before the image data (truncated JPEG?)"))?;
        let (Some(&0xFF), Some(&marker)) = (m.first(), m.get(1)) else {
            // A wrong segment length (broken EXIF writers): resynchronise on the next
            // marker like decoders do, and flag the file.
            let found = resync(src, off)?;
            skipped.get_or_insert((off, found));
            off = found;
            continue;
        };
        match marker {
            // Fill byte: the next byte starts the marker again.
            0xFF => {
                off = off.saturating_add(1);
                continue;
            }
            0x01 | 0xD0..=0xD8 => {
                off = off.saturating_add(2);
                continue;
            }
            0xD9 => break,
            _ => {}
        }
        let seg_len = src
            .read(off.saturating_add(2), 2)
            .map_err(|_| src.bad(off, "data ends inside a segment header (truncated JPEG?)"))?;
        let seg_len = u64::from(be_u16(&seg_len, 0).unwrap_or(0));
        if seg_len < 2 {
            return Err(src.bad(off, format!("segment length {seg_len} is impossible")));
        }
        let body = off.saturating_add(4);
        let body_len = seg_len - 2;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && !seen_sof => {
                let b = src.read(body, body_len.min(5))?;
                info.height = be_u16(&b, 1).map(u32::from).filter(|h| *h != 0);
                info.width = be_u16(&b, 3).map(u32::from).filter(|w| *w != 0);
                seen_sof = true;
            }
            0xE1 if !seen_exif => {
                let b = src.read_upto(body, body_len)?;
                if let Some(tiff) = b.strip_prefix(b"Exif\0\0") {
                    seen_exif = true;
                    exif(tiff, info);
                }
            }
            0xDA => break,
            _ => {}
        }
        off = body.saturating_add(body_len);
    }
    if !seen_sof {
        return Err(src.bad(off, "no frame header (SOF) found"));
    }
    if let Some((from, to)) = skipped {
        return Err(src.bad(
            from,
            format!(
                "segment lengths are wrong: skipped {} bytes to the next marker",
                to - from
            ),
        ));
    }
    Ok(())
}

/// Offset of the next plausible marker after `off`, searched within 64 KiB.
fn resync(src: &mut Src<'_>, off: u64) -> Result<u64, ProbeError> {
    const WINDOW: u64 = 64 * 1024;
    let b = src.read_upto(off, WINDOW)?;
    b.windows(2)
        .position(|w| w.first() == Some(&0xFF) && matches!(w.get(1), Some(0xC0..=0xFE)))
        .and_then(|p| u64::try_from(p).ok())
        .filter(|p| *p > 0)
        .map(|p| off.saturating_add(p))
        .ok_or_else(|| src.bad(off, "expected a marker"))
}

/// Byte order of a TIFF block.
#[derive(Clone, Copy)]
struct Tiff<'a> {
    data: &'a [u8],
    big_endian: bool,
}

const MAX_IFD_ENTRIES: u16 = 512;
const MAX_TEXT: usize = 256;

impl Tiff<'_> {
    fn u16(self, at: usize) -> Option<u16> {
        if self.big_endian {
            be_u16(self.data, at)
        } else {
            le_u16(self.data, at)
        }
    }

    fn u32(self, at: usize) -> Option<u32> {
        if self.big_endian {
            super::bytes::be_u32(self.data, at)
        } else {
            le_u32(self.data, at)
        }
    }

    /// Entries of the IFD at `at`: (tag, type, count, offset of the value field).
    fn entries(self, at: usize) -> impl Iterator<Item = (u16, u16, u32, usize)> {
        let count = self.u16(at).unwrap_or(0).min(MAX_IFD_ENTRIES);
        (0..usize::from(count)).filter_map(move |i| {
            let e = at.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
            Some((
                self.u16(e)?,
                self.u16(e.checked_add(2)?)?,
                self.u32(e.checked_add(4)?)?,
                e.checked_add(8)?,
            ))
        })
    }

    fn ascii(self, typ: u16, count: u32, value_at: usize) -> Option<String> {
        if typ != 2 {
            return None;
        }
        let n = usize::try_from(count).ok()?.min(MAX_TEXT);
        let start = if n <= 4 {
            value_at
        } else {
            usize::try_from(self.u32(value_at)?).ok()?
        };
        text(self.data.get(start..start.checked_add(n)?)?)
    }
}

#[derive(Default)]
struct Exif {
    make: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    original: Option<String>,
    original_offset: Option<String>,
    digitized: Option<String>,
    digitized_offset: Option<String>,
}

fn exif(data: &[u8], info: &mut MediaInfo) {
    let big_endian = match data.get(..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return,
    };
    let t = Tiff { data, big_endian };
    if t.u16(2) != Some(42) {
        return;
    }
    let Some(ifd0) = t.u32(4).and_then(|o| usize::try_from(o).ok()) else {
        return;
    };
    let mut e = Exif::default();
    let mut exif_ifd = None;
    for (tag, typ, count, at) in t.entries(ifd0) {
        match tag {
            0x010F => e.make = t.ascii(typ, count, at),
            0x0110 => e.model = t.ascii(typ, count, at),
            0xC62F => e.serial = e.serial.or(t.ascii(typ, count, at)),
            0x8769 => exif_ifd = t.u32(at).and_then(|o| usize::try_from(o).ok()),
            _ => {}
        }
    }
    // Only IFD0 and the Exif IFD are read, never a chain of pointers: no loop possible.
    if let Some(sub) = exif_ifd.filter(|o| *o != ifd0) {
        for (tag, typ, count, at) in t.entries(sub) {
            let v = || t.ascii(typ, count, at);
            match tag {
                0x9003 => e.original = v(),
                0x9004 => e.digitized = v(),
                0x9011 => e.original_offset = v(),
                0x9012 => e.digitized_offset = v(),
                0xA431 => e.serial = v().or(e.serial),
                _ => {}
            }
        }
    }
    info.make = e.make;
    info.model = e.model;
    info.serial = e.serial;
    info.capture_start = e
        .original
        .as_deref()
        .and_then(|dt| time::parse_exif(dt, e.original_offset.as_deref()))
        .or_else(|| {
            e.digitized
                .as_deref()
                .and_then(|dt| time::parse_exif(dt, e.digitized_offset.as_deref()))
        });
}
