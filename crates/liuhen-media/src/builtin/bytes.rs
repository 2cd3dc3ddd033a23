//! Checked little helpers over untrusted byte slices: `None` instead of a panic.

pub(crate) fn arr<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

pub(crate) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    arr(b, at).map(u16::from_be_bytes)
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    arr(b, at).map(u32::from_be_bytes)
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    arr(b, at).map(u64::from_be_bytes)
}

pub(crate) fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    arr(b, at).map(u16::from_le_bytes)
}

pub(crate) fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    arr(b, at).map(u32::from_le_bytes)
}

/// Printable text of a metadata string: lossy UTF-8, trailing NULs and blanks removed,
/// `None` when nothing is left.
pub(crate) fn text(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    let s = String::from_utf8_lossy(b.get(..end)?);
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A four-character code for messages: `'moov'`, or hex when it is not printable.
pub(crate) fn fourcc(code: [u8; 4]) -> String {
    if code
        .iter()
        .all(|c| c.is_ascii_graphic() || *c == b' ' || *c == 0xA9)
    {
        let text: String = code.iter().map(|&c| char::from(c)).collect();
        format!("'{text}'")
    } else {
        format!("{:#010x}", u32::from_be_bytes(code))
    }
}

/// Duration in milliseconds (rounded) from a count of `timescale` ticks.
pub(crate) fn ticks_to_ms(ticks: u64, timescale: u64) -> Option<u64> {
    if timescale == 0 {
        return None;
    }
    let ts = u128::from(timescale);
    u64::try_from((u128::from(ticks) * 1000 + ts / 2) / ts).ok()
}
