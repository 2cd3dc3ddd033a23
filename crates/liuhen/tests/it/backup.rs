//! The restore drill (issue 14): back up, make more changes, restore the backup — `verify`
//! (the restore's last step) reports the rollback against the checkpoint kept outside the
//! database; restore the newest backup — `verify` exit 0.

use serde_json::Value;

use crate::support::{TestApp, codes};

fn backup(app: &TestApp, name: &str) -> std::path::PathBuf {
    let to = app.work.join(name);
    let out = app.run(&["backup", "--to", to.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["backend"], "sqlite");
    for f in [
        "liuhen.db",
        "instance-id",
        "keys/ed25519.key",
        "keys/sm2.key",
        "backup.json",
    ] {
        assert!(to.join(f).is_file(), "{f} in the backup");
    }
    to
}

fn restore(app: &TestApp, from: &std::path::Path) -> (Option<i32>, Value) {
    let out = app.run(&["restore", from.to_str().unwrap(), "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code(), report)
}

#[tokio::test]
async fn restore_drill_an_older_backup_is_a_rollback_the_newest_verifies() {
    let app = TestApp::new();
    let a = app.make_files("a", 2, 20_000, 1);
    assert!(app.ingest(&[a.to_str().unwrap()]).0);
    let older = backup(&app, "backup-1");

    let b = app.make_files("b", 2, 20_000, 2);
    assert!(app.ingest(&[b.to_str().unwrap()]).0);
    let newest = backup(&app, "backup-2");
    app.assert_verifies();

    // The disaster: the database is lost; the older backup is restored by mistake.
    std::fs::remove_file(app.data.join("liuhen.db")).unwrap();
    let (code, report) = restore(&app, &older);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(
        codes(&report),
        ["checkpoint_external_beyond_log"],
        "{report:#}"
    );
    let msg = report["problems"][0]["message"].as_str().unwrap();
    assert!(msg.contains("restored from an older copy"), "{msg}");

    let (code, report) = restore(&app, &newest);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["records"], 4);
    assert_eq!(report["blobs_checked"], 4);
}
