//! Parsers of the two request headers that carry untrusted text into the server (issue
//! 10): tus `Upload-Metadata` and HTTP `Range`. Pure and allocation-bounded by their
//! input; fuzzed by the cargo-fuzz targets in `crates/liuhen-server/fuzz/` (libFuzzer)
//! and by the stable fuzz loop of `liuhen-server` (`src/fuzz.rs`), over one corpus.

/// Why an `Upload-Metadata` header is refused; the message is for people (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetadataError(pub String);

/// `Upload-Metadata`: comma-separated `key base64value` pairs (value optional). Keys are
/// printable ASCII; values standard, padded base64 of UTF-8 text.
pub fn parse_tus_metadata(raw: &str) -> Result<Vec<(String, String)>, MetadataError> {
    let bad = |m: String| MetadataError(m);
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ').filter(|p| !p.is_empty());
        let key = parts.next().unwrap_or_default();
        let value = parts.next();
        if parts.next().is_some() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(format!("元数据项“{key}”格式不正确")));
        }
        let value = match value {
            None => String::new(),
            Some(b64) => {
                let bytes = data_encoding::BASE64
                    .decode(b64.as_bytes())
                    .map_err(|_| bad(format!("元数据项“{key}”不是有效的 Base64 编码")))?;
                String::from_utf8(bytes)
                    .map_err(|_| bad(format!("元数据项“{key}”不是有效的 UTF-8 文本")))?
            }
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

/// What a `Range` header asks of a body of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    Full,
    /// Inclusive byte positions.
    Part(u64, u64),
    Unsatisfiable,
}

/// Parses a `Range` header (RFC 9110 §14). Other units are ignored; several ranges are
/// answered with the whole content; a malformed or unsatisfiable byte range is 416.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeAsk {
    let Some(h) = header.map(str::trim) else {
        return RangeAsk::Full;
    };
    let Some(spec) = h.strip_prefix("bytes=") else {
        return RangeAsk::Full;
    };
    if spec.contains(',') {
        return RangeAsk::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Unsatisfiable;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (a.trim(), b.trim()) {
        ("", n) => match num(n) {
            Some(n) if n > 0 && size > 0 => RangeAsk::Part(size.saturating_sub(n), size - 1),
            _ => RangeAsk::Unsatisfiable,
        },
        (a, "") => match num(a) {
            Some(a) if a < size => RangeAsk::Part(a, size - 1),
            _ => RangeAsk::Unsatisfiable,
        },
        (a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) if a <= b && a < size => RangeAsk::Part(a, b.min(size - 1)),
            _ => RangeAsk::Unsatisfiable,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-written: base64 of "a.mp4" is "YS5tcDQ=", of "张伟" is "5byg5Lyf".
    #[test]
    fn metadata_pairs_as_written() {
        assert_eq!(
            parse_tus_metadata("filename YS5tcDQ=, officer 5byg5Lyf,flag").unwrap(),
            vec![
                ("filename".into(), "a.mp4".into()),
                ("officer".into(), "张伟".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert!(parse_tus_metadata("filename YS5tcDQ").is_err(), "unpadded");
        assert!(
            parse_tus_metadata("filename YS5tcDR=").is_err(),
            "trailing bits"
        );
        assert!(parse_tus_metadata("a b c").is_err());
        assert!(parse_tus_metadata("k\u{e9} YQ==").is_err());
        assert!(parse_tus_metadata("k /w==").is_err(), "not UTF-8");
    }

    #[test]
    fn ranges_as_written() {
        use RangeAsk::*;
        let table: &[(Option<&str>, u64, RangeAsk)] = &[
            (None, 10, Full),
            (Some("bytes=0-4"), 10, Part(0, 4)),
            (Some("bytes=5-"), 10, Part(5, 9)),
            (Some("bytes=-3"), 10, Part(7, 9)),
            (Some("bytes=-30"), 10, Part(0, 9)),
            (Some("bytes=8-100"), 10, Part(8, 9)),
            (Some("bytes=10-"), 10, Unsatisfiable),
            (Some("bytes=4-2"), 10, Unsatisfiable),
            (Some("bytes=-0"), 10, Unsatisfiable),
            (Some("bytes=0-1,3-4"), 10, Full),
            (Some("items=0-1"), 10, Full),
            (Some("bytes=+1-2"), 10, Unsatisfiable),
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=99999999999999999999-"), 10, Unsatisfiable),
        ];
        for (h, size, want) in table {
            assert_eq!(parse_range(*h, *size), *want, "{h:?} of {size}");
        }
    }
}
