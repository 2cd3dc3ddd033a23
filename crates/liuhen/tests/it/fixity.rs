//! `liuhen fixity run|status` (issue 12, R6.2): one pass by hand, exit 1 when an original
//! is altered, the result logged, the pass shown by `status`; `verify` still passes over
//! the new entries of an intact store.

use serde_json::Value;

use crate::support::TestApp;

fn run_json(app: &TestApp, args: &[&str]) -> (bool, Value) {
    let out = app.run(args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), v)
}

#[tokio::test]
async fn fixity_run_finds_a_flipped_byte_and_status_shows_the_pass() {
    let app = TestApp::new();
    let dir = app.make_files("a", 3, 50_000, 7);
    let (ok, reports) = app.ingest(&[dir.to_str().unwrap()]);
    assert!(ok);
    let (ok, status) = run_json(&app, &["fixity", "status", "--json"]);
    assert!(ok);
    assert_eq!(status, Value::Null, "no pass yet");

    let (ok, pass) = run_json(&app, &["fixity", "run", "--budget", "0", "--json"]);
    assert!(ok, "{pass:#}");
    assert_eq!(
        (pass["originals"].as_u64(), pass["ok"].as_u64()),
        (Some(3), Some(3))
    );
    app.assert_verifies();

    let sha = reports[2]["sha256"].as_str().unwrap();
    let path = app.blob_path(sha);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20_000] ^= 0x80;
    std::fs::write(&path, bytes).unwrap();

    let (ok, pass) = run_json(&app, &["fixity", "run", "--json"]);
    assert!(!ok, "exit 1 when an original is altered");
    let findings = pass["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{pass:#}");
    assert_eq!(findings[0]["outcome"], "blob_corrupt");
    assert_eq!(findings[0]["record_id"], reports[2]["record_id"]);

    let (ok, status) = run_json(&app, &["fixity", "status", "--json"]);
    assert!(ok);
    assert_eq!(status["originals"], 3);
    assert_eq!(status["failed"], 1);
}
