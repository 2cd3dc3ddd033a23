//! The builtin prober: hand-written, defensive parsers for the formats body cameras write.
//!
//! Invariants every parser here keeps, because its input is untrusted:
//! - all reads go through [`Src`], which refuses reads past the end of the file, caps every
//!   read at [`MAX_READ`] and charges a step budget ([`MAX_STEPS`]);
//! - no indexing or arithmetic on untrusted values without `get`/checked operations;
//! - every loop advances its offset strictly or stops; recursion is depth-limited.

mod bytes;
pub(crate) mod isobmff;
mod jpeg;
mod matroska;
mod riff;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::{MediaInfo, MediaKind, ProbeError};

/// Largest single read a parser may make.
pub(crate) const MAX_READ: u64 = 1024 * 1024;
/// Most reads one probe may make.
pub(crate) const MAX_STEPS: u32 = 20_000;
/// Deepest nesting of boxes/elements a parser follows.
pub(crate) const MAX_DEPTH: u32 = 16;

pub(crate) const PROBER: &str = "builtin";

/// Probes a file with the builtin parsers.
///
/// `Ok` when the format was recognised; problems met while reading it (truncation, broken
/// boxes, exhausted budget) are described in [`MediaInfo::probe_error`] next to whatever was
/// read before them. `Err` when the file cannot be opened or its format is not recognised.
pub fn probe_builtin(path: &Path) -> Result<MediaInfo, ProbeError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    probe_src(&mut Src::new(Box::new(file), len))
}

/// [`probe_builtin`] on bytes already in memory (an upload, a test input).
pub fn probe_builtin_bytes(data: &[u8]) -> Result<MediaInfo, ProbeError> {
    let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
    probe_src(&mut Src::new(Box::new(std::io::Cursor::new(data)), len))
}

/// Never fails: errors become `probe_error`.
pub(crate) fn probe_lenient(path: &Path) -> MediaInfo {
    probe_builtin(path).unwrap_or_else(|err| MediaInfo {
        prober: PROBER,
        probe_error: Some(err.to_string()),
        ..MediaInfo::default()
    })
}

fn probe_src(src: &mut Src<'_>) -> Result<MediaInfo, ProbeError> {
    let head = src.read_upto(0, 16)?;
    let mut info = MediaInfo {
        prober: PROBER,
        ..MediaInfo::default()
    };
    let result = if isobmff::sniff(&head) {
        src.format = "ISO-BMFF/QuickTime";
        isobmff::parse(src, &mut info)
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        src.format = "Matroska";
        matroska::parse(src, &mut info)
    } else if head.starts_with(&[0xFF, 0xD8]) {
        src.format = "JPEG";
        jpeg::parse(src, &mut info)
    } else if head.starts_with(b"RIFF") {
        src.format = "RIFF";
        riff::parse(src, &mut info)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        src.format = "PNG";
        png(src, &mut info)
    } else {
        return Err(ProbeError::UnrecognisedFormat);
    };
    if let Err(err) = result {
        info.add_error(err.to_string());
    }
    Ok(info.finish())
}

fn png(src: &mut Src<'_>, info: &mut MediaInfo) -> Result<(), ProbeError> {
    info.kind = Some(MediaKind::Photo);
    info.container = Some("png".into());
    info.video_codec = Some("png".into());
    let ihdr = src.read(8, 16)?;
    if ihdr.get(4..8) != Some(b"IHDR") {
        return Err(src.bad(8, "first chunk is not IHDR"));
    }
    info.width = bytes::be_u32(&ihdr, 8).filter(|w| *w != 0);
    info.height = bytes::be_u32(&ihdr, 12).filter(|h| *h != 0);
    Ok(())
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A bounded, budgeted view of the input.
pub(crate) struct Src<'a> {
    inner: Box<dyn ReadSeek + 'a>,
    len: u64,
    steps: u32,
    pub(crate) format: &'static str,
}

impl<'a> Src<'a> {
    fn new(inner: Box<dyn ReadSeek + 'a>, len: u64) -> Self {
        Self {
            inner,
            len,
            steps: 0,
            format: "file",
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn bad(&self, offset: u64, reason: impl Into<String>) -> ProbeError {
        ProbeError::Malformed {
            format: self.format,
            offset,
            reason: reason.into(),
        }
    }

    fn charge(&mut self, offset: u64) -> Result<(), ProbeError> {
        self.steps = self.steps.saturating_add(1);
        if self.steps > MAX_STEPS {
            return Err(self.bad(offset, format!("gave up after {MAX_STEPS} reads")));
        }
        Ok(())
    }

    /// Exactly `n` bytes at `offset`; an error if they are not all in the file or `n` is
    /// larger than [`MAX_READ`].
    pub(crate) fn read(&mut self, offset: u64, n: u64) -> Result<Vec<u8>, ProbeError> {
        if n > MAX_READ {
            return Err(self.bad(offset, format!("refusing to read {n} bytes at once")));
        }
        let end = offset
            .checked_add(n)
            .filter(|end| *end <= self.len)
            .ok_or_else(|| {
                self.bad(
                    offset,
                    format!("needs {n} bytes but the file ends at {}", self.len),
                )
            })?;
        self.read_range(offset, end)
    }

    /// Up to `n` bytes at `offset` (capped at [`MAX_READ`] and the end of the file).
    pub(crate) fn read_upto(&mut self, offset: u64, n: u64) -> Result<Vec<u8>, ProbeError> {
        let end = offset.saturating_add(n.min(MAX_READ)).min(self.len);
        if end <= offset {
            return Ok(Vec::new());
        }
        self.read_range(offset, end)
    }

    fn read_range(&mut self, offset: u64, end: u64) -> Result<Vec<u8>, ProbeError> {
        self.charge(offset)?;
        let n = usize::try_from(end.saturating_sub(offset)).unwrap_or(0);
        let mut buf = vec![0; n];
        self.inner.seek(SeekFrom::Start(offset))?;
        self.inner.read_exact(&mut buf)?;
        Ok(buf)
    }
}
