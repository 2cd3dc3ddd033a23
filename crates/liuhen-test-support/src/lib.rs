//! Test-only helpers shared by liuhen's test crates (a dev-dependency only). A test that
//! needs a tool (ffmpeg, ffprobe, openssl, pdftotext, xorriso, strace…) or a service asks
//! here: under `CI=true` its absence fails the test; elsewhere a note is printed and the
//! test returns — never a silent early return.

/// Whether `CI=true` (the CI run, where nothing may be skipped).
pub fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether the tool `name` can be started. When it cannot, the test fails under `CI=true`
/// and otherwise prints a note: a check that did not run is never silent.
pub fn require_tool(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_ok();
    found || missing(name)
}

/// Something a test needs is missing: a failure under `CI=true`, else a note; `false`.
pub fn missing(what: &str) -> bool {
    assert!(!under_ci(), "CI=true but {what} is missing");
    eprintln!("note: {what} missing, test skipped (it fails under CI=true)");
    false
}

/// The admin URL of the PostgreSQL server the tests' second backend runs on
/// (`LIUHEN_TEST_PG_URL`). Unset: `None` with a note, a failure under `CI=true`. Every
/// `for_each_backend` of the test crates asks here.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("LIUHEN_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            missing("LIUHEN_TEST_PG_URL (the PostgreSQL half of the test)");
            None
        }
    }
}

/// A database name no other test of any process uses at the same time.
pub fn pg_database_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "liuhen_t_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_present_tool_is_found_and_a_missing_one_is_loud_under_ci() {
        // `cargo` runs this test, so it exists.
        assert!(require_tool("cargo"));
        let absent = "liuhen-no-such-tool-4f2a";
        if under_ci() {
            assert!(std::panic::catch_unwind(|| require_tool(absent)).is_err());
        } else {
            assert!(!require_tool(absent));
        }
    }

    #[test]
    fn database_names_differ() {
        assert_ne!(pg_database_name(), pg_database_name());
    }
}
