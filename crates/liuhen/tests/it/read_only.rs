//! `verify` and the other read-only commands never write to the store they read: a
//! missing key or instance id is named, not created (issue 16).

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::TestApp;

/// Every file and directory under `root`: relative path → content (`None` for a dir).
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(rel, None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn assert_unchanged(before: &BTreeMap<String, Option<Vec<u8>>>, root: &Path, what: &str) {
    let after = snapshot(root);
    let names = |m: &BTreeMap<String, Option<Vec<u8>>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(before),
        names(&after),
        "{what}: files added or removed"
    );
    for (name, content) in before {
        assert!(after[name] == *content, "{what}: {name} changed");
    }
}

fn prepared() -> TestApp {
    let app = TestApp::new();
    let files = app.make_files("a", 2, 3000, 11);
    assert!(app.ingest(&[files.to_str().unwrap()]).0);
    app
}

#[test]
fn verify_on_a_data_dir_without_keys_fails_and_changes_nothing() {
    let app = prepared();
    app.assert_verifies();
    std::fs::remove_dir_all(app.data.join("keys")).unwrap();
    let before = snapshot(&app.data);
    for args in [
        &["verify"][..],
        &["verify", "--json"],
        &["keys", "export"],
        &["log", "entry", "1"],
        &["log", "inclusion", "1"],
    ] {
        let out = app.run(args);
        assert!(!out.status.success(), "{args:?} succeeded without keys");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("keys") && err.contains("missing"),
            "{args:?}: {err}"
        );
        assert_unchanged(&before, &app.data, &format!("{args:?}"));
    }
}

#[test]
fn verify_without_an_instance_id_fails_and_does_not_create_one() {
    let app = prepared();
    std::fs::remove_file(app.data.join("instance-id")).unwrap();
    let before = snapshot(&app.data);
    let out = app.run(&["verify"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("instance-id"), "{err}");
    assert_unchanged(&before, &app.data, "verify");
}

#[test]
fn read_only_commands_leave_an_intact_data_dir_byte_for_byte() {
    let app = prepared();
    let before = snapshot(&app.data);
    app.assert_verifies();
    for args in [
        &["keys", "export"][..],
        &["log", "entry", "0"],
        &["log", "consistency", "1"],
    ] {
        let out = app.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_unchanged(&before, &app.data, "read-only commands");
    // A data directory that does not exist is not created either.
    let missing = app.work.join("no-such-data");
    let out = std::process::Command::new(crate::support::bin())
        .arg("--data-dir")
        .arg(&missing)
        .arg("verify")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!missing.exists());
}
