//! Minimal cookie reading and writing (no dependency needed for name=value pairs).

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// How cookies are marked beyond SameSite=Strict and path /.
#[derive(Debug, Clone, Copy)]
pub struct Flags {
    /// Not readable by scripts.
    pub http_only: bool,
    /// Sent over HTTPS only (`[security] secure_cookies`).
    pub secure: bool,
}

/// A `Set-Cookie` value: SameSite=Strict, path /; `max_age` None = session cookie.
pub fn set(name: &str, value: &str, max_age: Option<u64>, flags: Flags) -> String {
    let mut s = format!("{name}={value}; Path=/; SameSite=Strict");
    if flags.http_only {
        s.push_str("; HttpOnly");
    }
    if flags.secure {
        s.push_str("; Secure");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_flags() {
        let plain = Flags {
            http_only: false,
            secure: false,
        };
        assert_eq!(
            set("lang", "en", None, plain),
            "lang=en; Path=/; SameSite=Strict"
        );
        let session = Flags {
            http_only: true,
            secure: true,
        };
        assert_eq!(
            set("s", "", Some(0), session),
            "s=; Path=/; SameSite=Strict; HttpOnly; Secure; Max-Age=0"
        );
    }
}
