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

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path /; `max_age` None = session cookie.
pub fn set(name: &str, value: &str, max_age: Option<u64>, http_only: bool) -> String {
    let mut s = format!("{name}={value}; Path=/; SameSite=Strict");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    s
}
