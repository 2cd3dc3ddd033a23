//! Against a real S3 server (SeaweedFS via scripts/s3-up.sh). Each test gets a fresh
//! Object Lock bucket. Without LIUHEN_TEST_S3_ENDPOINT the tests skip, unless CI=true.

use std::io::Read;

use liuhen_blob::{BlobError, BlobStore, S3Config, S3Store};

use crate::conformance::{conformance, notes_conformance, ts, warrant};

fn fresh_store() -> Option<S3Store> {
    let Ok(endpoint) = std::env::var("LIUHEN_TEST_S3_ENDPOINT") else {
        liuhen_test_support::missing(
            "LIUHEN_TEST_S3_ENDPOINT (run `eval \"$(scripts/s3-up.sh)\"` first)",
        );
        return None;
    };
    let var =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set with the endpoint"));
    let store = S3Store::new(S3Config {
        endpoint,
        region: "us-east-1".into(),
        bucket: format!("liuhen-test-{}", uuid::Uuid::now_v7().simple()),
        access_key: var("LIUHEN_TEST_S3_ACCESS_KEY"),
        secret_key: var("LIUHEN_TEST_S3_SECRET_KEY"),
    })
    .unwrap();
    store.create_bucket_with_object_lock().unwrap();
    Some(store)
}

#[test]
fn s3_conformance() {
    let Some(store) = fresh_store() else { return };
    conformance(&store);
    notes_conformance(&store);
    // A checkpoint note is locked: the server refuses to delete its version.
    let key = format!("checkpoints/{}", liuhen_blob::notes::note_name(4));
    let version = store
        .raw_version_id(&key)
        .unwrap()
        .expect("versioned bucket");
    let err = store.raw_delete(&key, Some(&version)).unwrap_err();
    assert!(matches!(&err, BlobError::S3 { status: 403, .. }), "{err:?}");
    assert_eq!(
        store.raw_list_staging().unwrap(),
        Vec::<String>::new(),
        "staging must be cleaned"
    );
}

/// The server, not our client, refuses to destroy a locked original.
#[test]
fn s3_server_refuses_to_destroy_locked_original() {
    let Some(store) = fresh_store() else { return };
    let original = b"body camera 0042, 2025-03-01 14:02".to_vec();
    let out = store
        .put(&mut &original[..], ts("2035-01-01T00:00:00Z"))
        .unwrap();
    let sha = out.digests.sha256;
    let key = S3Store::blob_key(&sha);
    let version = store
        .raw_version_id(&key)
        .unwrap()
        .expect("versioned bucket");

    // Deleting the locked version itself is denied.
    let err = store.raw_delete(&key, Some(&version)).unwrap_err();
    eprintln!("delete of locked version {version}: {err}");
    assert!(
        matches!(&err, BlobError::S3 { status: 403, code, .. } if code == "AccessDenied"),
        "{err:?}"
    );

    // Shortening COMPLIANCE retention is denied by the server too.
    let err = store
        .raw_put_retention(&sha, ts("2030-01-01T00:00:00Z"))
        .unwrap_err();
    eprintln!("shortening retention: {err}");
    assert!(matches!(&err, BlobError::S3 { status: 403, .. }), "{err:?}");
    assert_eq!(
        store.retention(&sha).unwrap(),
        Some(ts("2035-01-01T00:00:00Z"))
    );

    // A plain DELETE only adds a delete marker; an overwrite only adds a version.
    store.raw_delete(&key, None).unwrap();
    let new_version = store.raw_put_overwrite(&key, b"tampered").unwrap();
    assert_ne!(new_version.as_deref(), Some(version.as_str()));
    assert_eq!(store.raw_get(&key, Some(&version)).unwrap(), original);

    // The verified read of the (now shadowed) key detects the substitution.
    let mut buf = Vec::new();
    let err = store.open(&sha).unwrap().read_to_end(&mut buf).unwrap_err();
    eprintln!("verified read after overwrite: {err}");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains(&sha.to_hex()));
}

/// A preservation hold (R3.7) is mirrored as the object's legal hold, and released.
#[test]
fn s3_legal_hold_is_set_and_released() {
    let Some(store) = fresh_store() else { return };
    let out = store
        .put(&mut &b"held evidence"[..], ts("2030-01-01T00:00:00Z"))
        .unwrap();
    let sha = out.digests.sha256;
    assert_eq!(store.legal_hold(&sha).unwrap(), Some(false));
    assert!(store.set_legal_hold(&sha, true).unwrap());
    assert_eq!(store.legal_hold(&sha).unwrap(), Some(true));
    assert!(store.set_legal_hold(&sha, false).unwrap());
    assert_eq!(store.legal_hold(&sha).unwrap(), Some(false));
}

/// `dispose` on S3: liuhen refuses by the warrant's time first; with a warrant whose time
/// has passed but a lock the server still holds, the server refuses (403) and the object
/// stays; once the server's clock passes the lock (a few real seconds), every version goes.
#[test]
fn s3_dispose_waits_for_the_server_lock() {
    let Some(store) = fresh_store() else { return };
    let lock = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
    let out = store.put(&mut &b"disposal on s3"[..], lock).unwrap();
    let sha = out.digests.sha256;
    let err = store
        .dispose(&sha, &warrant(&[sha], ts("2020-01-01T00:00:00Z")))
        .unwrap_err();
    assert!(matches!(err, BlobError::LockNotPassed { .. }), "{err:?}");
    let err = store
        .dispose(&sha, &warrant(&[sha], ts("2100-01-01T00:00:00Z")))
        .unwrap_err();
    eprintln!("dispose before the server's lock passed: {err}");
    assert!(matches!(&err, BlobError::S3 { status: 403, .. }), "{err:?}");
    assert_eq!(store.size(&sha).unwrap(), Some(14));
    // Real time must pass on the server (its clock is the one that counts).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match store.dispose(&sha, &warrant(&[sha], jiff::Timestamp::now())) {
            Ok(()) => break,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("waiting for the lock to pass: {e}");
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            Err(e) => panic!("dispose after the lock passed: {e:?}"),
        }
    }
    assert_eq!(store.size(&sha).unwrap(), None);
    assert!(!store.list().unwrap().contains(&sha));
}
