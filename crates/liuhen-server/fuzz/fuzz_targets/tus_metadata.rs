//! libFuzzer target: tus `Upload-Metadata` (`liuhen_domain::headers::parse_tus_metadata`).
//! Properties: no panic; every accepted key is non-empty printable ASCII; writing the
//! accepted pairs back (key, space, padded base64) and parsing again gives the same pairs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_domain::headers::parse_tus_metadata;

/// Standard padded base64, written here (not the parser's decoder) so the round trip is
/// checked against an independent encoder.
fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pairs) = parse_tus_metadata(raw) else {
        return;
    };
    let mut again = Vec::new();
    for (k, v) in &pairs {
        assert!(
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic()),
            "{k:?}"
        );
        assert!(!k.contains(','), "{k:?}");
        again.push(if v.is_empty() {
            k.clone()
        } else {
            format!("{k} {}", b64(v.as_bytes()))
        });
    }
    assert_eq!(parse_tus_metadata(&again.join(",")).as_ref(), Ok(&pairs));
});
