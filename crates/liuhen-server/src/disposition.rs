//! `Content-Disposition` for downloads (RFC 6266): the file's own name, Chinese included,
//! as `filename*=UTF-8''…` (RFC 5987 / RFC 8187), after an ASCII `filename="…"` fallback for
//! clients that do not read `filename*`.

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// A generated form (PDF): shown in the browser (`inline`) or saved as `name`; never cached.
pub fn pdf(inline: bool, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (CONTENT_DISPOSITION, content_disposition(inline, name)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// The header value for `name`: `attachment` (or `inline`), an ASCII fallback in which each
/// run of other characters becomes one `_` (extension kept), and the exact name encoded.
pub fn content_disposition(inline: bool, name: &str) -> HeaderValue {
    let name = if name.trim().is_empty() {
        "download"
    } else {
        name
    };
    let value = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii_fallback(name),
        ext_value(name)
    );
    HeaderValue::from_str(&value).expect("only visible ASCII is written")
}

/// The name with every run of characters outside printable ASCII (and `"`, `\`, `%`, `/`,
/// `;`) replaced by one `_`; `download` plus the extension if nothing readable is left.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let keep = c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | '/' | ';') || c == ' ';
        if keep {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let stem = out.rsplit_once('.').map_or(out.as_str(), |(s, _)| s);
    if stem.chars().all(|c| c == '_' || c == ' ') {
        let ext = out.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        return if ext.is_empty() {
            "download".into()
        } else {
            format!("download.{ext}")
        };
    }
    out
}

/// RFC 8187 `value-chars`: `attr-char` as is, every other byte of the UTF-8 encoding as
/// `%XX`.
fn ext_value(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chinese camera file names arrived with their Chinese characters dropped.
    #[test]
    fn original_download_keeps_a_chinese_file_name() {
        // (name, expected header) written out by hand; 执 = E6 89 A7, 法 = E6 B3 95.
        let table = [
            (
                "执法.mp4",
                "attachment; filename=\"download.mp4\"; filename*=UTF-8''%E6%89%A7%E6%B3%95.mp4",
            ),
            (
                "DSJ_执法 1.MP4",
                "attachment; filename=\"DSJ_ 1.MP4\"; filename*=UTF-8''DSJ_%E6%89%A7%E6%B3%95%201.MP4",
            ),
            (
                "a\"b;c%.jpg",
                "attachment; filename=\"a_b_c_.jpg\"; filename*=UTF-8''a%22b%3Bc%25.jpg",
            ),
            (
                "",
                "attachment; filename=\"download\"; filename*=UTF-8''download",
            ),
        ];
        for (name, want) in table {
            assert_eq!(content_disposition(false, name), want, "{name:?}");
        }
        assert!(
            content_disposition(true, "x.pdf")
                .to_str()
                .unwrap()
                .starts_with("inline; ")
        );
    }
}
