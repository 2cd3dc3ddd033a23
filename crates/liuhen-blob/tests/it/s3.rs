//! Against a real S3 server (SeaweedFS via scripts/s3-up.sh). Each test gets a fresh
//! Object Lock bucket. Without LIUHEN_TEST_S3_ENDPOINT the tests skip, unless CI=true.

use std::io::Read;

use liuhen_blob::{BlobError, BlobStore, S3Config, S3Store};

use crate::conformance::{conformance, ts};

fn fresh_store() -> Option<S3Store> {
    let Ok(endpoint) = std::env::var("LIUHEN_TEST_S3_ENDPOINT") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but LIUHEN_TEST_S3_ENDPOINT is not set: run `eval \"$(scripts/s3-up.sh)\"` first"
            );
        }
        eprintln!("skipping S3 test: LIUHEN_TEST_S3_ENDPOINT not set (see scripts/s3-up.sh)");
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
