//! kill -9 at random points during ingest: whatever was reported done is present and
//! verifies, no partial original is ever visible, and a rerun completes the rest.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{TestApp, sha256_file};

#[test]
fn kill_9_during_ingest_loses_nothing_reported_done() {
    let app = TestApp::new();
    app.make_files("card/small", 30, 200_000, 11);
    app.make_files("card/large", 4, 8 << 20, 12);
    let card = app.work.join("card");
    let card = card.to_str().unwrap();

    // The store exists before the first kill: a kill before the database was ever created
    // leaves nothing to verify, and read-only `verify` rightly refuses to create it.
    let init = app.cmd().args(["log", "checkpoint"]).output().unwrap();
    assert!(init.status.success(), "{init:?}");

    let mut seed = jiff::Timestamp::now().as_nanosecond() as u64 | 1;
    eprintln!("crash test seed {seed}");
    let mut done: HashMap<String, String> = HashMap::new();
    for round in 0..8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(30 + seed % 600);
        let mut child = app
            .cmd()
            .args(["ingest", "--json", card])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            let r: serde_json::Value = serde_json::from_str(&line).unwrap();
            if r.get("summary").is_some() {
                continue;
            }
            assert_ne!(r["status"], "failed", "round {round}: {r}");
            done.insert(
                r["path"].as_str().unwrap().to_owned(),
                r["sha256"].as_str().unwrap().to_owned(),
            );
        }
        // After every crash the custody verifies, and everything reported done is there.
        let (ok, report) = app.verify();
        assert!(ok, "round {round} (delay {delay:?}): {report:#}");
        for sha in done.values() {
            assert_eq!(&sha256_file(&app.blob_path(sha)), sha);
        }
        assert_no_partial_blob(&app);
    }

    let (ok, reports) = app.ingest(&[card]);
    assert!(ok);
    assert_eq!(reports.len(), 34);
    for r in &reports {
        assert!(
            ["stored", "already_done"].contains(&r["status"].as_str().unwrap()),
            "{r}"
        );
        if let Some(sha) = done.get(r["path"].as_str().unwrap()) {
            assert_eq!(
                r["sha256"].as_str().unwrap(),
                sha,
                "a done file was not ingested again"
            );
            assert_eq!(r["status"], "already_done");
        }
    }
    let (ok, report) = app.verify();
    assert!(ok, "{report:#}");
    assert_eq!(report["records"], 34);
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["code"] != "blob_orphan"),
        "{report:#}"
    );
}

/// Every visible original hashes to its own name.
fn assert_no_partial_blob(app: &TestApp) {
    let root = app.data.join("blobs/sha256");
    let Ok(level1) = std::fs::read_dir(&root) else {
        return;
    };
    for a in level1 {
        for b in std::fs::read_dir(a.unwrap().path()).unwrap() {
            for f in std::fs::read_dir(b.unwrap().path()).unwrap() {
                let path = f.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                assert_eq!(sha256_file(&path), name, "partial or wrong blob visible");
            }
        }
    }
}
