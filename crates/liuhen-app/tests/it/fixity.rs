//! Scheduled fixity (issue 12, R6.2) on both backends, with the clock moved: a pass when
//! none was made, none again until `every_days` have passed, a flipped byte and a removed
//! blob found, logged per result and per pass, alerted; an S3 object changed around liuhen
//! (SeaweedFS, real) found the same way.

use std::sync::Arc;

use jiff::SignedDuration;
use liuhen_app::alerts::AlertQuery;
use liuhen_app::{Custody, MovableClock, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::signals::SignalKind;

use crate::retention::{for_each_backend, fresh_s3, ingest_one};

async fn actions(c: &Custody, subject: &str) -> Vec<String> {
    c.db()
        .entries_for(subject)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

fn writable(path: &std::path::Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

#[tokio::test]
async fn a_pass_finds_a_flipped_byte_and_a_missing_blob_logs_and_alerts() {
    for_each_backend(|c, clock, dir| async move {
        let tag = dir.display().to_string();
        let be = format!("{:?}", c.db().backend());
        let a = ingest_one(&c, &dir, &format!("first clip {tag} {}", be)).await;
        let b = ingest_one(&c, &dir, &format!("second clip {tag} {}", be)).await;
        let d = ingest_one(&c, &dir, &format!("third clip {tag} {}", be)).await;

        assert!(c.fixity_due().await.unwrap(), "no pass yet: due");
        let first = c.fixity_run_if_due().await.unwrap().expect("a pass");
        assert_eq!((first.originals, first.ok), (3, 3));
        assert!(first.findings.is_empty());
        let mut total = 0;
        for id in [&a, &b, &d] {
            total += c.record(id).await.unwrap().size_bytes;
        }
        assert_eq!(first.bytes, total);
        assert_eq!(
            actions(&c, &format!("record:{a}"))
                .await
                .last()
                .map(String::as_str),
            Some("fixity.checked")
        );
        let last = c.fixity_last_pass().await.unwrap().unwrap();
        assert_eq!((last.originals, last.failed), (3, 0));
        assert_eq!(
            last.next_due,
            last.finished + SignedDuration::from_hours(90 * 24)
        );
        // Not due again for 90 days (the configured period).
        assert!(c.fixity_run_if_due().await.unwrap().is_none());
        clock.advance(SignedDuration::from_hours(89 * 24));
        assert!(c.fixity_run_if_due().await.unwrap().is_none());

        // Around liuhen: one byte flipped in a, b's file removed.
        let ra = c.record(&a).await.unwrap();
        let pa = c.blobs().local_path(&ra.sha256).unwrap();
        let mut bytes = std::fs::read(&pa).unwrap();
        bytes[0] ^= 1;
        writable(&pa);
        std::fs::write(&pa, &bytes).unwrap();
        let rb = c.record(&b).await.unwrap();
        std::fs::remove_file(c.blobs().local_path(&rb.sha256).unwrap()).unwrap();

        clock.advance(SignedDuration::from_hours(2 * 24));
        let second = c
            .fixity_run_if_due()
            .await
            .unwrap()
            .expect("due after 90 days");
        assert_eq!((second.originals, second.ok), (3, 1));
        let mut found: Vec<(String, &str)> = second
            .findings
            .iter()
            .map(|f| (f.record_id.clone(), f.outcome))
            .collect();
        found.sort();
        let mut want = vec![
            (a.to_string(), "blob_corrupt"),
            (b.to_string(), "blob_missing"),
        ];
        want.sort();
        assert_eq!(found, want);
        assert_eq!(
            actions(&c, &format!("record:{a}"))
                .await
                .last()
                .map(String::as_str),
            Some("fixity.failed")
        );
        assert_eq!(
            actions(&c, &format!("record:{d}"))
                .await
                .last()
                .map(String::as_str),
            Some("fixity.checked")
        );
        let passes = actions(&c, "fixity").await;
        assert_eq!(passes, ["fixity.pass", "fixity.pass"]);
        let last = c.fixity_last_pass().await.unwrap().unwrap();
        assert_eq!((last.originals, last.failed), (3, 2));

        // Alerted: one integrity_failure per finding, naming the entry.
        let sup = crate::support::user(
            &c,
            &format!("sup{be}"),
            "监督员",
            &[Role::Supervisor],
            "甲局",
        )
        .await;
        let list = c
            .alerts(
                &sup,
                &AlertQuery {
                    kind: Some(SignalKind::IntegrityFailure),
                    page: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut evidence: Vec<u64> = list
            .alerts
            .iter()
            .flat_map(|a| a.signal.evidence.clone())
            .collect();
        evidence.sort();
        let mut seqs: Vec<u64> = second.findings.iter().map(|f| f.seq).collect();
        seqs.sort();
        assert_eq!(evidence, seqs);
    })
    .await;
}

/// SeaweedFS, real: an object overwritten around liuhen (a new version of the same key)
/// is found by the pass, logged and alerted.
#[tokio::test]
async fn s3_object_changed_around_liuhen_is_found() {
    let Some(store) = fresh_s3() else { return };
    let store = Arc::new(store);
    let dir = tempfile::tempdir().unwrap();
    let clock = MovableClock::new();
    let c = Custody::open(OpenOptions {
        blobs: Some(store.clone()),
        clock: Some(clock.clone()),
        ..OpenOptions::new(dir.path().join("data"))
    })
    .await
    .unwrap();
    let a = ingest_one(&c, dir.path(), "an S3 original, soon changed").await;
    let b = ingest_one(&c, dir.path(), "an S3 original left alone").await;
    let clean = c.fixity_pass("system", 0).await.unwrap();
    assert_eq!((clean.originals, clean.ok), (2, 2));

    let ra = c.record(&a).await.unwrap();
    let key = liuhen_blob::S3Store::blob_key(&ra.sha256);
    store
        .raw_put_overwrite(&key, b"an S3 original, SOON changed")
        .unwrap();
    clock.advance(SignedDuration::from_hours(91 * 24));
    let pass = c.fixity_run_if_due().await.unwrap().expect("due");
    assert_eq!((pass.originals, pass.ok), (2, 1));
    assert_eq!(pass.findings.len(), 1);
    assert_eq!(pass.findings[0].record_id, a.to_string());
    assert_eq!(pass.findings[0].outcome, "blob_corrupt");
    assert_eq!(
        actions(&c, &format!("record:{a}"))
            .await
            .last()
            .map(String::as_str),
        Some("fixity.failed")
    );
    assert_eq!(
        actions(&c, &format!("record:{b}"))
            .await
            .last()
            .map(String::as_str),
        Some("fixity.checked")
    );
}

/// Derivative locks: a derivative blob locked short of its original's retain-until gets
/// the original's lock from the pass; `verify` re-hashes derivatives (no orphan warning)
/// and names an altered one.
#[tokio::test]
async fn derivatives_get_their_originals_lock_and_are_rehashed_by_verify() {
    use liuhen_app::verify::{Quiet, VerifyOptions};
    let dir = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(dir.path().join("data")))
        .await
        .unwrap();
    let id = ingest_one(&c, dir.path(), "an original with a thumbnail").await;
    let original = c.record(&id).await.unwrap();
    let blobs = c.blobs().clone();
    let short = c.now() + SignedDuration::from_hours(24);
    let put = blobs
        .put(
            &mut std::io::Cursor::new(b"thumbnail bytes".to_vec()),
            short,
        )
        .unwrap();
    let thumb = put.digests.sha256;
    liuhen_db::testing::tamper(
        c.db(),
        &format!(
            "INSERT INTO derivatives (original_sha256, kind, derivative_sha256, size_bytes, \
             status, created_ms) VALUES ('{}', 'thumbnail', '{}', {}, 'ready', 0)",
            original.sha256.to_hex(),
            thumb.to_hex(),
            put.digests.size
        ),
    )
    .await
    .unwrap();

    let pass = c.fixity_pass("system", 0).await.unwrap();
    assert_eq!(pass.derivative_locks, 1);
    assert!(blobs.retention(&thumb).unwrap().unwrap() >= original.retain_until);
    assert_eq!(
        c.fixity_pass("system", 0).await.unwrap().derivative_locks,
        0
    );

    let report = c
        .verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap();
    assert!(report.ok, "{:?}", report.problems);
    assert!(
        report.warnings.iter().all(|w| w.code != "blob_orphan"),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.blobs_checked, 2, "the original and its derivative");

    let path = blobs.local_path(&thumb).unwrap();
    writable(&path);
    std::fs::write(&path, b"thumbnail bytez").unwrap();
    let report = c
        .verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap();
    let found: Vec<(&str, String)> = report
        .problems
        .iter()
        .map(|p| (p.code, p.subject.clone()))
        .collect();
    assert_eq!(found, [("blob_corrupt", format!("blob:{thumb}"))]);
}
