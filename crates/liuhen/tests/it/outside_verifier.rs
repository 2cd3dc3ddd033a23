//! An outside verifier needs only CLI output: `liuhen log checkpoint` (the signed note,
//! exactly as signed), `liuhen log entry N` (body, leaf hash, inclusion proof) and
//! `liuhen keys export`. `scripts/verify-log-entry.py` checks them with Python
//! `cryptography` (Ed25519, SHA-256) and the OpenSSL CLI (SM2/SM3), none of liuhen's code.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::TestApp;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/verify-log-entry.py")
}

/// python3 with `cryptography`, and openssl; under CI=true their absence fails the test.
fn tools_present() -> bool {
    let python = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    let openssl = Command::new("openssl")
        .arg("version")
        .status()
        .is_ok_and(|s| s.success());
    (python && openssl)
        || liuhen_test_support::missing(&format!(
            "python3 + cryptography ({python}) or openssl ({openssl})"
        ))
}

fn stdout_of(app: &TestApp, args: &[&str]) -> String {
    let out = app.run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the outside verifier; (exit success, its output).
fn outside(dir: &Path, checkpoint: &str, entry: &str, keys: &str) -> (bool, String) {
    let (c, e, k) = (
        dir.join("cp.txt"),
        dir.join("entry.json"),
        dir.join("keys.txt"),
    );
    std::fs::write(&c, checkpoint).unwrap();
    std::fs::write(&e, entry).unwrap();
    std::fs::write(&k, keys).unwrap();
    let out = Command::new("python3")
        .arg(script())
        .args([&c, &e, &k])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn an_outside_verifier_checks_entries_against_the_signed_checkpoint_from_cli_output_only() {
    if !tools_present() {
        return;
    }
    let app = TestApp::new();
    let files = app.make_files("a", 3, 2000, 7);
    let (ok, _) = app.ingest(&[files.to_str().unwrap()]);
    assert!(ok);

    // Signed after the ingest already: printed all the same, byte for byte each time.
    let note = stdout_of(&app, &["log", "checkpoint"]);
    assert_eq!(note, stdout_of(&app, &["log", "checkpoint"]));
    let lines: Vec<&str> = note.split('\n').collect();
    // 4 body lines, the empty line, 2 signature lines, and nothing after the last newline.
    assert_eq!(lines.len(), 8, "{note:?}");
    assert_eq!(lines[4], "");
    assert!(lines[5].starts_with("— ed25519 "), "{note}");
    assert!(lines[6].starts_with("— sm2 "), "{note}");
    assert_eq!(lines[7], "");
    let size: u64 = lines[1].parse().unwrap();
    assert_eq!(
        size, 7,
        "keys.created + the operator's account and token (3) + three ingests"
    );

    let keys = stdout_of(&app, &["keys", "export"]);
    let dir = tempfile::tempdir().unwrap();
    for seq in 0..size {
        let entry = stdout_of(&app, &["log", "entry", &seq.to_string()]);
        let (ok, text) = outside(dir.path(), &note, &entry, &keys);
        assert!(ok, "entry {seq}: {text}");
        assert!(text.starts_with(&format!("OK: entry {seq} ")), "{text}");
    }

    // What a forger would change is caught.
    let entry = stdout_of(&app, &["log", "entry", "2"]);
    let v: serde_json::Value = serde_json::from_str(&entry).unwrap();
    let mut forged = v.clone();
    forged["body"] = v["body"]
        .as_str()
        .unwrap()
        .replace("\"v\":2", "\"v\":3")
        .into();
    let (ok, text) = outside(dir.path(), &note, &forged.to_string(), &keys);
    assert!(!ok && text.contains("leaf hash differs"), "{text}");
    let mut moved = v.clone();
    moved["seq"] = 1.into();
    let (ok, _) = outside(dir.path(), &note, &moved.to_string(), &keys);
    assert!(!ok, "an entry presented at another index");
    let grown = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    let (ok, text) = outside(dir.path(), &grown, &entry, &keys);
    assert!(!ok && text.contains("Ed25519"), "{text}");
    // The SM2 signature alone is checked too: swap in another checkpoint's SM2 line.
    let files = app.make_files("b", 1, 2000, 8);
    assert!(app.ingest(&[files.to_str().unwrap()]).0);
    let newer = stdout_of(&app, &["log", "checkpoint"]);
    let sm2_newer = newer.lines().nth(6).unwrap();
    let mixed = note.replacen(lines[6], sm2_newer, 1);
    let (ok, text) = outside(dir.path(), &mixed, &entry, &keys);
    assert!(!ok && text.contains("SM2"), "{text}");
}
