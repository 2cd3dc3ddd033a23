//! Behaviour every `BlobStore` must have. Expects an empty store.

use std::io::{self, Read};

use jiff::Timestamp;
use liuhen_blob::{BlobError, BlobStore, Sha256Digest, Sm3Digest, Warrant};

pub const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
pub const ABC_SM3: &str = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const EMPTY_SM3: &str = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b";

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), so large blobs are not trivially compressible.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Hands out at most `max` bytes per read, to exercise short reads.
pub struct Dribble<'a> {
    pub data: &'a [u8],
    pub max: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn read_all(store: &dyn BlobStore, sha: &Sha256Digest) -> Vec<u8> {
    let mut out = Vec::new();
    store.open(sha).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn range(store: &dyn BlobStore, sha: &Sha256Digest, start: u64, len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut r = store.open_range(sha, start, len).unwrap();
    r.read_to_end(&mut out).unwrap();
    out
}

fn sha256_of(data: &[u8]) -> Sha256Digest {
    use sha2::Digest as _;
    Sha256Digest::from_bytes(sha2::Sha256::digest(data).into())
}

fn sm3_of(data: &[u8]) -> Sm3Digest {
    use sm3::Digest as _;
    Sm3Digest::from_bytes(sm3::Sm3::digest(data).into())
}

pub fn conformance(store: &dyn BlobStore) {
    let t1 = ts("2035-01-01T00:00:00Z");
    let t2 = ts("2040-06-30T12:00:00Z");
    let t3 = ts("2045-01-01T00:00:00Z");
    let abc: Sha256Digest = ABC_SHA256.parse().unwrap();

    // Empty store and NotFound everywhere.
    assert_eq!(store.list().unwrap(), vec![]);
    assert_eq!(store.size(&abc).unwrap(), None);
    assert!(matches!(store.open(&abc), Err(BlobError::NotFound(s)) if s == abc));
    assert!(matches!(
        store.open_range(&abc, 0, 1),
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(store.rehash(&abc), Err(BlobError::NotFound(_))));
    assert!(matches!(store.retention(&abc), Err(BlobError::NotFound(_))));
    assert!(matches!(
        store.extend_retention(&abc, t1),
        Err(BlobError::NotFound(_))
    ));

    // Known digests; retention rounded up to the second.
    let out = store
        .put(&mut &b"abc"[..], ts("2034-12-31T23:59:59.2Z"))
        .unwrap();
    assert!(out.newly_stored);
    assert_eq!(out.digests.sha256, abc);
    assert_eq!(out.digests.sm3.to_hex(), ABC_SM3);
    assert_eq!(out.digests.size, 3);
    assert_eq!(read_all(store, &abc), b"abc");
    assert_eq!(store.size(&abc).unwrap(), Some(3));
    assert_eq!(store.rehash(&abc).unwrap(), out.digests);
    assert_eq!(store.retention(&abc).unwrap(), Some(t1));

    // Duplicate: nothing written, one object, an earlier date does not shorten.
    let again = store
        .put(&mut &b"abc"[..], ts("2030-01-01T00:00:00Z"))
        .unwrap();
    assert!(!again.newly_stored);
    assert_eq!(again.digests, out.digests);
    assert_eq!(store.list().unwrap(), vec![abc]);
    assert_eq!(store.retention(&abc).unwrap(), Some(t1));

    // Empty blob.
    let empty = store.put(&mut io::empty(), t1).unwrap();
    assert!(empty.newly_stored);
    assert_eq!(empty.digests.sha256.to_hex(), EMPTY_SHA256);
    assert_eq!(empty.digests.sm3.to_hex(), EMPTY_SM3);
    assert_eq!(empty.digests.size, 0);
    assert_eq!(read_all(store, &empty.digests.sha256), b"");
    assert_eq!(store.size(&empty.digests.sha256).unwrap(), Some(0));
    assert_eq!(range(store, &empty.digests.sha256, 0, 0), b"");

    // 20 MiB, fed in odd short reads: several chunks and several 8 MiB S3 parts.
    let big = noise(20 * 1024 * 1024 + 12_345, 7);
    let put = store
        .put(
            &mut Dribble {
                data: &big,
                max: 300_007,
            },
            t1,
        )
        .unwrap();
    let big_sha = put.digests.sha256;
    assert!(put.newly_stored);
    assert_eq!(big_sha, sha256_of(&big));
    assert_eq!(put.digests.sm3, sm3_of(&big));
    assert_eq!(put.digests.size, big.len() as u64);
    assert!(
        read_all(store, &big_sha) == big,
        "20 MiB round trip differs"
    );
    assert_eq!(store.rehash(&big_sha).unwrap(), put.digests);
    let boundary = 8 * 1024 * 1024 - 10;
    assert_eq!(
        range(store, &big_sha, boundary, 20),
        &big[boundary as usize..][..20]
    );
    let tail = big.len() as u64 - 5;
    assert_eq!(range(store, &big_sha, tail, 5), &big[tail as usize..]);
    assert_eq!(range(store, &big_sha, 3, 0), b"");
    assert!(matches!(
        store.open_range(&big_sha, tail, 6),
        Err(BlobError::RangeOutOfBounds { start, len: 6, .. }) if start == tail
    ));
    assert_eq!(range(store, &abc, 1, 2), b"bc");

    let mut all = vec![abc, empty.digests.sha256, big_sha];
    all.sort();
    assert_eq!(store.list().unwrap(), all);

    // Retention: extend, refuse shortening (unchanged), equal is a no-op.
    store.extend_retention(&abc, t2).unwrap();
    assert_eq!(store.retention(&abc).unwrap(), Some(t2));
    match store.extend_retention(&abc, t1) {
        Err(BlobError::RetentionShortening { current, requested }) => {
            assert_eq!((current, requested), (t2, t1));
        }
        other => panic!("shortening must be refused, got {other:?}"),
    }
    assert_eq!(store.retention(&abc).unwrap(), Some(t2));
    store.extend_retention(&abc, t2).unwrap();
    // A duplicate put with a later date extends.
    assert!(!store.put(&mut &b"abc"[..], t3).unwrap().newly_stored);
    assert_eq!(store.retention(&abc).unwrap(), Some(t3));

    // Many at once: each raised to the later date, an earlier one left as it is.
    let t4 = ts("2050-01-01T00:00:00Z");
    store
        .extend_retention_many(&[(abc, t4), (empty.digests.sha256, t1), (big_sha, t2)])
        .unwrap();
    assert_eq!(store.retention(&abc).unwrap(), Some(t4));
    assert_eq!(store.retention(&empty.digests.sha256).unwrap(), Some(t1));
    assert_eq!(store.retention(&big_sha).unwrap(), Some(t2));
    assert!(matches!(
        store.extend_retention_many(&[(ABC_SHA256.parse().unwrap(), t1), (sha256_of(b"none"), t4)]),
        Err(BlobError::NotFound(_))
    ));

    adopt_conformance(store);
}

/// `adopt`: a finished upload file becomes a blob with the digests computed while it was
/// written; a file that does not match them is refused and nothing appears under them.
fn adopt_conformance(store: &dyn BlobStore) {
    let t1 = ts("2035-01-01T00:00:00Z");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.part");
    let data = noise(3 * 1024 * 1024 + 5, 42);
    std::fs::write(&path, &data).unwrap();
    let expected = liuhen_blob::hash_reader(&mut &data[..]).unwrap();

    let out = store.adopt(&path, &expected, t1, false).unwrap();
    assert!(out.newly_stored);
    assert_eq!(out.digests, expected);
    assert!(
        read_all(store, &expected.sha256) == data,
        "adopted content differs"
    );
    assert_eq!(store.rehash(&expected.sha256).unwrap(), expected);
    assert_eq!(store.retention(&expected.sha256).unwrap(), Some(t1));
    assert!(path.exists(), "the caller still owns its file");
    // Adopting the same content again stores nothing new.
    assert!(
        !store
            .adopt(&path, &expected, t1, false)
            .unwrap()
            .newly_stored
    );

    // Bytes that do not match the digests computed during the upload are refused.
    let other = dir.path().join("tampered.part");
    let mut bad = noise(1024 * 1024, 43);
    std::fs::write(&other, &bad).unwrap();
    let claimed = liuhen_blob::hash_reader(&mut &bad[..]).unwrap();
    bad[10] ^= 0xff;
    std::fs::write(&other, &bad).unwrap();
    assert!(matches!(
        store.adopt(&other, &claimed, t1, false),
        Err(BlobError::Corrupt { expected, .. }) if expected == claimed.sha256
    ));
    assert_eq!(store.size(&claimed.sha256).unwrap(), None);
    // Even when the caller read the file back itself, a wrong size is refused.
    let mut shorter = claimed;
    shorter.size -= 1;
    assert!(store.adopt(&other, &shorter, t1, true).is_err());
    assert_eq!(store.size(&claimed.sha256).unwrap(), None);
}

/// Stores a blob, lets `corrupt` damage it behind the store's back, and checks that a
/// verified read fails naming both digests and that `rehash` reports the new content.
pub fn verified_read_detects_corruption(store: &dyn BlobStore, corrupt: &dyn Fn(&Sha256Digest)) {
    let data = noise(3 * 1024 * 1024 + 17, 99);
    let out = store
        .put(&mut &data[..], ts("2035-01-01T00:00:00Z"))
        .unwrap();
    let sha = out.digests.sha256;
    corrupt(&sha);
    let mut buf = Vec::new();
    let err = store.open(&sha).unwrap().read_to_end(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let msg = err.to_string();
    let actual = store.rehash(&sha).unwrap().sha256;
    assert_ne!(actual, sha);
    assert!(msg.contains(&sha.to_hex()), "{msg}");
    assert!(msg.contains(&actual.to_hex()), "{msg}");
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<BlobError>());
    assert!(
        matches!(inner, Some(BlobError::Corrupt { expected, actual: a }) if *expected == sha && *a == actual)
    );
}

/// The warrant of an approved three-step disposal list naming `blobs`, at `at`.
pub fn warrant(blobs: &[Sha256Digest], at: Timestamp) -> Warrant {
    use liuhen_domain::Role;
    use liuhen_domain::approval::StepDecision;
    use liuhen_domain::disposal_list::{Decision, ListState, ListStatus};
    let chain = [Role::RecordsKeeper, Role::LegalOffice, Role::DeputyHead];
    let decisions: Vec<Decision> = chain
        .iter()
        .enumerate()
        .map(|(step, role)| Decision {
            step,
            role: *role,
            approver_id: format!("approver-{step}"),
            decision: StepDecision::Approve,
            reason: "保管期限届满，经鉴定无保存价值".into(),
            decided_ms: 0,
        })
        .collect();
    let state = ListState {
        drafted_by: "keeper",
        status: ListStatus::Approved,
        chain: &chain,
        decisions: &decisions,
    };
    Warrant::issue("list-1", &state, blobs.iter().copied(), at).unwrap()
}

/// `dispose`: refused without the blob in the warrant and while the lock has not passed at
/// the warrant's time (nothing changes); afterwards the blob is gone everywhere and the
/// other blobs are untouched. `passed` is a time after 2035-01-01 the store accepts.
pub fn dispose_conformance(store: &dyn BlobStore, locked: Timestamp, passed: Timestamp) {
    let doomed = store.put(&mut &b"disposal: 2019 clip"[..], locked).unwrap();
    let kept = store.put(&mut &b"disposal: kept clip"[..], locked).unwrap();
    let (d, k) = (doomed.digests.sha256, kept.digests.sha256);
    let before = store.list().unwrap();

    match store.dispose(&d, &warrant(&[k], passed)) {
        Err(BlobError::NotWarranted { sha, list }) => {
            assert_eq!((sha, list.as_str()), (d, "list-1"))
        }
        other => panic!("a blob the warrant does not name must be refused, got {other:?}"),
    }
    let early = ts("2020-01-01T00:00:00Z");
    match store.dispose(&d, &warrant(&[d], early)) {
        Err(BlobError::LockNotPassed { sha, until, at }) => {
            assert_eq!((sha, at), (d, early));
            assert!(until >= locked, "{until} < {locked}");
        }
        other => panic!("a locked blob must be refused, got {other:?}"),
    }
    assert_eq!(store.list().unwrap(), before);
    assert_eq!(store.size(&d).unwrap(), Some(19));

    store.dispose(&d, &warrant(&[d], passed)).unwrap();
    assert_eq!(store.size(&d).unwrap(), None);
    assert!(matches!(store.open(&d), Err(BlobError::NotFound(_))));
    assert!(matches!(store.retention(&d), Err(BlobError::NotFound(_))));
    assert!(!store.list().unwrap().contains(&d));
    assert_eq!(read_all(store, &k), b"disposal: kept clip");
    assert!(matches!(
        store.dispose(&d, &warrant(&[d], passed)),
        Err(BlobError::NotFound(s)) if s == d
    ));
}

/// Checkpoint notes: write-once by name, the same bytes again a no-op, other bytes refused,
/// listed in size order.
pub fn notes_conformance(store: &dyn BlobStore) {
    use liuhen_blob::notes::note_name;
    let until = ts("2099-01-01T00:00:00Z");
    assert!(store.note_names().unwrap().is_empty());
    assert_eq!(store.read_note(&note_name(4)).unwrap(), None);
    store.put_note(&note_name(10), b"ten\n", until).unwrap();
    store.put_note(&note_name(4), b"four\n", until).unwrap();
    store.put_note(&note_name(4), b"four\n", until).unwrap();
    assert!(matches!(
        store.put_note(&note_name(4), b"forged\n", until),
        Err(BlobError::NoteConflict { .. })
    ));
    assert_eq!(
        store.note_names().unwrap(),
        vec![note_name(4), note_name(10)]
    );
    assert_eq!(
        store.read_note(&note_name(4)).unwrap().as_deref(),
        Some(&b"four\n"[..])
    );
}
