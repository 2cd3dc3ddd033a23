use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;

use liuhen_blob::{BlobError, BlobStore, DualHasher, LocalStore, hash_reader};

use crate::conformance::{
    conformance, dispose_conformance, noise, notes_conformance, ts,
    verified_read_detects_corruption,
};

#[test]
fn local_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    conformance(&store);
    notes_conformance(&store);
    let note = dir
        .path()
        .join("checkpoints")
        .join(liuhen_blob::notes::note_name(4));
    assert_eq!(
        fs::metadata(note).unwrap().permissions().mode() & 0o777,
        0o444
    );
    verified_read_detects_corruption(&store, &|sha| {
        // Damage the original the way a disk or an intruder might.
        let path = store.blob_path(sha);
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let mut f = OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(1234)).unwrap();
        f.write_all(b"\x00\xff").unwrap();
    });
    dispose_conformance(
        &store,
        ts("2035-01-01T00:00:00Z"),
        ts("2041-01-01T00:00:00Z"),
    );
    // The sidecar went with the blob.
    let mut sidecars = 0;
    for e in walk(&dir.path().join("retention")) {
        sidecars += usize::from(e.is_file());
    }
    assert_eq!(sidecars, store.list().unwrap().len());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn local_blobs_are_read_only_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let out = store
        .put(&mut &b"evidence"[..], ts("2035-01-01T00:00:00Z"))
        .unwrap();
    let path = store.blob_path(&out.digests.sha256);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
    assert!(path.ends_with(format!(
        "sha256/{}/{}/{}",
        &out.digests.sha256.to_hex()[..2],
        &out.digests.sha256.to_hex()[2..4],
        out.digests.sha256
    )));
    drop(store);
    let store = LocalStore::open(dir.path()).unwrap();
    assert_eq!(store.list().unwrap(), vec![out.digests.sha256]);
    assert_eq!(
        store.retention(&out.digests.sha256).unwrap(),
        Some(ts("2035-01-01T00:00:00Z"))
    );
}

/// Yields `ok_bytes` of data, then fails like a dropped upload connection.
struct FailingReader {
    ok_bytes: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok_bytes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "client went away",
            ));
        }
        let n = buf.len().min(self.ok_bytes);
        buf[..n].fill(0x5a);
        self.ok_bytes -= n;
        Ok(n)
    }
}

#[test]
fn local_failed_put_leaves_nothing_visible() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let err = store
        .put(
            &mut FailingReader {
                ok_bytes: 3 * 1024 * 1024 + 5,
            },
            ts("2035-01-01T00:00:00Z"),
        )
        .unwrap_err();
    assert!(
        matches!(&err, BlobError::Io { source, .. } if source.kind() == io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    assert_eq!(store.list().unwrap(), vec![]);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());

    // Leftovers of a crashed process (its lock is free) are removed at open and never listed;
    // the temp directory of a store that is still open is left alone.
    let crashed = dir.path().join("tmp/0190-crashed");
    fs::create_dir(&crashed).unwrap();
    fs::write(crashed.join(".lock"), b"").unwrap();
    fs::write(crashed.join("a.part"), b"half a recording").unwrap();
    fs::write(dir.path().join("tmp/stray.part"), b"older layout").unwrap();
    let other = LocalStore::open(dir.path()).unwrap();
    assert!(!crashed.exists());
    assert_eq!(other.list().unwrap(), vec![]);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
    // Two live stores: each keeps its own locked directory.
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 2);
    drop(store);
    drop(other);
    let _again = LocalStore::open(dir.path()).unwrap();
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 1);
}

/// Every file under `tmp/` except the per-store lock files.
fn temp_files(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for d in fs::read_dir(root.join("tmp")).unwrap() {
        let p = d.unwrap().path();
        if p.is_dir() {
            for f in fs::read_dir(&p).unwrap() {
                let name = f.unwrap().file_name().to_string_lossy().into_owned();
                if name != ".lock" {
                    out.push(name);
                }
            }
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn dual_hasher_matches_single_threaded_hashes() {
    use sha2::Digest as _;
    let data = noise(5 * 1024 * 1024 + 3, 1);
    let mut h = DualHasher::new();
    for piece in data.chunks(777_777) {
        h.update(piece);
    }
    assert_eq!(h.len(), data.len() as u64);
    let (sha, sm3) = h.finish();
    assert_eq!(sha.as_bytes()[..], sha2::Sha256::digest(&data)[..]);
    assert_eq!(sm3.as_bytes()[..], sm3::Sm3::digest(&data)[..]);
    let d = hash_reader(&mut &data[..]).unwrap();
    assert_eq!((d.sha256, d.sm3, d.size), (sha, sm3, data.len() as u64));
    // Dropping a hasher mid-stream must not hang or leak its thread.
    let mut abandoned = DualHasher::new();
    abandoned.update(b"partial");
    drop(abandoned);
}

/// Regression (issue 16): a blob already in place was reported stored without being
/// checked or synced. Now its content is read back first: a damaged or truncated one is
/// `Corrupt`, never "already stored". A read-only store refuses every write.
#[test]
fn an_existing_blob_counts_only_after_its_content_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let data = noise(20_000, 9);
    let until = ts("2035-01-01T00:00:00Z");
    let first = store.put(&mut &data[..], until).unwrap();
    assert!(first.newly_stored);
    let again = store.put(&mut &data[..], until).unwrap();
    assert!(!again.newly_stored, "the same content: already stored");
    assert_eq!(again.digests, first.digests);

    // Truncated in place (a directory that was never synced, a disk that lost the tail).
    let path = store.blob_path(&first.digests.sha256);
    fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(10_000)
        .unwrap();
    match store.put(&mut &data[..], until) {
        Err(BlobError::Corrupt { expected, .. }) => assert_eq!(expected, first.digests.sha256),
        other => panic!("a truncated existing blob was accepted: {other:?}"),
    }

    let read_only = LocalStore::open_read_only(dir.path()).unwrap();
    assert!(read_only.put(&mut &b"new"[..], until).is_err());
    assert!(
        read_only
            .extend_retention(&first.digests.sha256, until)
            .is_err()
    );
}

/// A journal as `docs/durability.md` describes it, built here by hand (not by the store).
fn journal(lines: &[(&str, &str)], complete: bool) -> Vec<u8> {
    use sha2::Digest as _;
    let mut body = String::from("liuhen retention journal v1\n");
    for (sha, until) in lines {
        body.push_str(&format!("{sha} {until}\n"));
    }
    if complete {
        let digest = hex::encode(sha2::Sha256::digest(body.as_bytes()));
        body.push_str(&format!("sha256 {digest}\n"));
    }
    body.into_bytes()
}

/// A crash in `extend_retention_many` after its journal was synced: one sidecar still old,
/// one torn by an interrupted in-place write. Read before any reopening, the torn one reads
/// as the journal's date; opening the store for writing replays the journal and empties it.
/// A journal cut short (crash while writing it) is discarded and changes nothing.
#[test]
fn retention_batch_journal_is_replayed_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let old = ts("2029-01-01T00:00:00Z");
    let new = ts("2126-01-01T00:00:00Z");
    let a = store.put(&mut &b"first"[..], old).unwrap().digests.sha256;
    let b = store.put(&mut &b"second"[..], old).unwrap().digests.sha256;
    let c = store.put(&mut &b"third"[..], old).unwrap().digests.sha256;
    drop(store);
    let sidecar = |sha: &liuhen_blob::Sha256Digest| {
        let hex = sha.to_hex();
        dir.path()
            .join("retention")
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    };
    assert_eq!(
        fs::read_to_string(sidecar(&a)).unwrap(),
        "2029-01-01T00:00:00Z\n"
    );
    fs::write(sidecar(&b), "2126-01-01T0:00:00Z\n").unwrap(); // torn
    let (ha, hb) = (a.to_hex(), b.to_hex());
    let lines = [
        (ha.as_str(), "2126-01-01T00:00:00Z"),
        (hb.as_str(), "2126-01-01T00:00:00Z"),
    ];
    fs::write(dir.path().join("retention.journal"), journal(&lines, true)).unwrap();

    let reader = LocalStore::open_read_only(dir.path()).unwrap();
    assert_eq!(reader.retention(&a).unwrap(), Some(old));
    assert_eq!(reader.retention(&b).unwrap(), Some(new));
    assert_eq!(reader.retention(&c).unwrap(), Some(old));

    let store = LocalStore::open(dir.path()).unwrap();
    for sha in [&a, &b] {
        assert_eq!(store.retention(sha).unwrap(), Some(new));
        assert_eq!(
            fs::read_to_string(sidecar(sha)).unwrap(),
            "2126-01-01T00:00:00Z\n"
        );
    }
    assert_eq!(store.retention(&c).unwrap(), Some(old));
    assert_eq!(fs::read(dir.path().join("retention.journal")).unwrap(), b"");
    drop(store);

    let cut = journal(&[(c.to_hex().as_str(), "2126-01-01T00:00:00Z")], false);
    fs::write(dir.path().join("retention.journal"), cut).unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    assert_eq!(store.retention(&c).unwrap(), Some(old));
    assert_eq!(fs::read(dir.path().join("retention.journal")).unwrap(), b"");

    // A batch through the store leaves the journal empty and the sidecars at full length.
    store
        .extend_retention_many(&[(c, new), (a, old), (c, ts("2100-01-01T00:00:00Z"))])
        .unwrap();
    assert_eq!(
        fs::read_to_string(sidecar(&c)).unwrap(),
        "2126-01-01T00:00:00Z\n"
    );
    assert_eq!(store.retention(&a).unwrap(), Some(new));
    assert_eq!(fs::read(dir.path().join("retention.journal")).unwrap(), b"");
}
