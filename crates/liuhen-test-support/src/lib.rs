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
}
