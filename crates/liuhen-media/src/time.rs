//! Time stamps as media files write them.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// Zone assumed for times written without one: China Standard Time, UTC+8.
pub(crate) const ASSUMED_OFFSET_HOURS: i8 = 8;

fn assumed_zone() -> TimeZone {
    TimeZone::fixed(Offset::constant(ASSUMED_OFFSET_HOURS))
}

/// Seconds since 1904-01-01T00:00:00Z (QuickTime/ISO-BMFF `mvhd`). Zero means "unset".
pub(crate) fn from_mac_epoch(secs: u64) -> Option<Timestamp> {
    const MAC_TO_UNIX: i64 = 2_082_844_800;
    if secs == 0 {
        return None;
    }
    let secs = i64::try_from(secs).ok()?.checked_sub(MAC_TO_UNIX)?;
    Timestamp::from_second(secs).ok()
}

/// Matroska `DateUTC`: nanoseconds since 2001-01-01T00:00:00Z.
pub(crate) fn from_matroska_date(nanos: i64) -> Option<Timestamp> {
    const MKV_EPOCH_UNIX: i64 = 978_307_200;
    Timestamp::from_second(MKV_EPOCH_UNIX)
        .ok()?
        .checked_add(SignedDuration::from_nanos(nanos))
        .ok()
}

/// RFC 3339 / ISO 8601 text as ffprobe and QuickTime write it; a time without zone is
/// interpreted as UTC+8.
pub(crate) fn parse_iso(text: &str) -> Option<Timestamp> {
    let text = text.trim().trim_end_matches('\0');
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    // QuickTime sometimes writes "+0800" instead of "+08:00".
    if let Some(ts) = fix_compact_offset(text).and_then(|t| t.parse::<Timestamp>().ok()) {
        return Some(ts);
    }
    let civil: DateTime = text.parse().ok()?;
    assumed_zone().to_timestamp(civil).ok()
}

fn fix_compact_offset(text: &str) -> Option<String> {
    let cut = text.len().checked_sub(5)?;
    let (head, tail) = (text.get(..cut)?, text.get(cut..)?);
    let sign = tail.get(..1)?;
    let digits = tail.get(1..)?;
    if (sign == "+" || sign == "-") && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!(
            "{head}{sign}{}:{}",
            digits.get(..2)?,
            digits.get(2..)?
        ))
    } else {
        None
    }
}

/// EXIF "YYYY:MM:DD HH:MM:SS" plus an optional `OffsetTime*` "+08:00". Without an offset
/// the time is interpreted as UTC+8.
pub(crate) fn parse_exif(datetime: &str, offset: Option<&str>) -> Option<Timestamp> {
    let dt = datetime.trim().trim_end_matches('\0');
    let bytes = dt.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let field = |range: std::ops::Range<usize>| -> Option<i16> { dt.get(range)?.parse().ok() };
    let civil = DateTime::new(
        field(0..4)?,
        i8::try_from(field(5..7)?).ok()?,
        i8::try_from(field(8..10)?).ok()?,
        i8::try_from(field(11..13)?).ok()?,
        i8::try_from(field(14..16)?).ok()?,
        i8::try_from(field(17..19)?).ok()?,
        0,
    )
    .ok()?;
    let zone = offset
        .map(|o| o.trim().trim_end_matches('\0'))
        .and_then(parse_offset)
        .map(TimeZone::fixed)
        .unwrap_or_else(assumed_zone);
    zone.to_timestamp(civil).ok()
}

fn parse_offset(text: &str) -> Option<Offset> {
    let sign = match text.get(..1)? {
        "+" => 1i32,
        "-" => -1,
        _ => return None,
    };
    let hours: i32 = text.get(1..3)?.parse().ok()?;
    let minutes: i32 = text.get(4..6)?.parse().ok()?;
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_without_offset_is_china_time() {
        let ts = parse_exif("2023:07:09 20:36:33", None).unwrap();
        assert_eq!(ts, "2023-07-09T12:36:33Z".parse().unwrap());
    }

    #[test]
    fn exif_with_offset() {
        let ts = parse_exif("2023:07:09 20:36:33", Some("+02:00")).unwrap();
        assert_eq!(ts, "2023-07-09T18:36:33Z".parse().unwrap());
    }

    #[test]
    fn exif_garbage() {
        assert_eq!(parse_exif("    :  :     :  :  ", None), None);
        assert_eq!(parse_exif("2023:07:09", None), None);
        assert_eq!(parse_exif("2023:13:45 99:99:99", None), None);
    }

    #[test]
    fn iso_forms() {
        let want: Timestamp = "2019-02-12T07:27:12Z".parse().unwrap();
        assert_eq!(parse_iso("2019-02-12T15:27:12+08:00"), Some(want));
        assert_eq!(parse_iso("2019-02-12T15:27:12+0800"), Some(want));
        assert_eq!(parse_iso("2019-02-12T15:27:12"), Some(want));
        assert_eq!(parse_iso("nonsense"), None);
        assert_eq!(parse_iso("+"), None);
    }

    #[test]
    fn epochs() {
        assert_eq!(from_mac_epoch(0), None);
        assert_eq!(from_mac_epoch(2_082_844_800), Some(Timestamp::UNIX_EPOCH));
        assert_eq!(from_mac_epoch(u64::MAX), None);
        assert_eq!(
            from_matroska_date(0),
            Some("2001-01-01T00:00:00Z".parse().unwrap())
        );
    }
}
