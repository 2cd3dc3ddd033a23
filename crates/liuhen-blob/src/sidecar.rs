//! Retention sidecars of the [`crate::LocalStore`] and the batch journal that lets many of
//! them grow behind three durability barriers instead of two per sidecar.
//!
//! A sidecar `retention/ab/cd/<hex>` holds one retain-until, RFC 3339 at whole seconds and a
//! newline (`2035-01-01T00:00:00Z\n`: 21 bytes for every year the store can hold), so a
//! grown date has the length of the one it replaces.
//!
//! One sidecar (a put, [`crate::BlobStore::extend_retention`]) is replaced atomically: temp
//! file → `sync_all` → rename → fsync of its directory. Many
//! ([`crate::BlobStore::extend_retention_many`]) go through the journal
//! `retention.journal` at the store's root, under the retention lock:
//! 1. the journal is written whole — a header, one `<sha256 hex> <until>` line per sidecar
//!    that grows, a trailer with the SHA-256 of everything before it — and synced (its
//!    directory too when the file is new);
//! 2. each sidecar is overwritten in place, same length, without a sync;
//! 3. one `syncfs` makes them all durable;
//! 4. the journal is emptied (not synced: replaying it again changes nothing).
//!
//! A crash during (1) leaves a journal without its trailer: no sidecar was touched yet, and
//! it is discarded. A crash after (1) leaves each sidecar old, new, or torn by an
//! interrupted in-place write: opening the store for writing replays the journal (each
//! sidecar raised to the journal's date, a torn one rewritten), and until then a reader
//! that finds a sidecar unreadable takes the journal's date for it. A sidecar is therefore
//! never read shorter than its old date, and the caller's rows (written after this
//! returns) are never ahead of it. Readers take the lock shared, so they never see a
//! sidecar mid-write.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sha2::Digest as _;

use crate::fsutil::{fsync_dir, io_err};
use crate::{BlobError, Sha256Digest};

const JOURNAL: &str = "retention.journal";
const HEADER: &str = "liuhen retention journal v1\n";
const TRAILER: &str = "sha256 ";

fn invalid(path: &Path, e: impl std::fmt::Display) -> BlobError {
    BlobError::io(
        format!("parsing {}", path.display()),
        io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
    )
}

/// The bytes of a sidecar holding `until` (already rounded to the second).
pub(crate) fn sidecar_bytes(until: Timestamp) -> String {
    format!("{until}\n")
}

/// Reads a sidecar: `Ok(None)` when there is none, an `InvalidData` error when it does not
/// parse (torn or edited by hand).
pub(crate) fn read_sidecar(path: &Path) -> Result<Option<Timestamp>, BlobError> {
    match fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|e| invalid(path, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BlobError::io(format!("reading {}", path.display()), e)),
    }
}

/// Overwrites a sidecar in place (creating it if missing), without syncing.
pub(crate) fn overwrite_sidecar(path: &Path, until: Timestamp) -> io::Result<()> {
    let bytes = sidecar_bytes(until);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    file.write_all_at(bytes.as_bytes(), 0)?;
    if file.metadata()?.len() != bytes.len() as u64 {
        file.set_len(bytes.len() as u64)?;
    }
    Ok(())
}

fn journal_path(root: &Path) -> PathBuf {
    root.join(JOURNAL)
}

fn encode(items: &BTreeMap<Sha256Digest, Timestamp>) -> Vec<u8> {
    let mut body = String::with_capacity(HEADER.len() + items.len() * 86 + 72);
    body.push_str(HEADER);
    for (sha, until) in items {
        body.push_str(&sha.to_hex());
        body.push(' ');
        body.push_str(&sidecar_bytes(*until));
    }
    let digest = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    body.push_str(TRAILER);
    body.push_str(&digest);
    body.push('\n');
    body.into_bytes()
}

/// The committed entries of a journal's bytes; `None` when it is empty or was never
/// completed (no trailer, or one that does not match).
fn decode(bytes: &[u8]) -> Option<BTreeMap<Sha256Digest, Timestamp>> {
    let text = std::str::from_utf8(bytes).ok()?.strip_suffix('\n')?;
    let body_end = text.rfind('\n')? + 1;
    let (body, trailer) = text.split_at(body_end);
    let digest = trailer.strip_prefix(TRAILER)?;
    if digest != hex::encode(sha2::Sha256::digest(body.as_bytes())) {
        return None;
    }
    let mut out = BTreeMap::new();
    for line in body.strip_prefix(HEADER)?.lines() {
        let (sha, until) = line.split_once(' ')?;
        out.insert(sha.parse().ok()?, until.parse().ok()?);
    }
    Some(out)
}

fn read_journal(root: &Path) -> Result<Option<BTreeMap<Sha256Digest, Timestamp>>, BlobError> {
    let path = journal_path(root);
    match fs::read(&path) {
        Ok(bytes) => Ok(decode(&bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BlobError::io(format!("reading {}", path.display()), e)),
    }
}

/// The date a committed, not yet emptied journal holds for `sha` (after a crash).
pub(crate) fn journal_date(
    root: &Path,
    sha: &Sha256Digest,
) -> Result<Option<Timestamp>, BlobError> {
    Ok(read_journal(root)?.and_then(|j| j.get(sha).copied()))
}

/// Step (1): writes and syncs the journal of `items`.
pub(crate) fn commit(
    root: &Path,
    items: &BTreeMap<Sha256Digest, Timestamp>,
) -> Result<(), BlobError> {
    let path = journal_path(root);
    let ctx = || format!("writing {}", path.display());
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(io_err(ctx()))?;
    file.write_all(&encode(items)).map_err(io_err(ctx()))?;
    file.sync_data().map_err(io_err(ctx()))?;
    if !existed {
        fsync_dir(root).map_err(io_err(ctx()))?;
    }
    Ok(())
}

/// Step (4): empties the journal. Not synced: if the emptying is lost, the replay at the
/// next open raises sidecars to dates they already hold.
pub(crate) fn clear(root: &Path) -> Result<(), BlobError> {
    let path = journal_path(root);
    match OpenOptions::new().write(true).open(&path) {
        Ok(file) => file
            .set_len(0)
            .map_err(io_err(format!("emptying {}", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BlobError::io(format!("opening {}", path.display()), e)),
    }
}

/// What the store must do at open (under the retention lock): the committed entries of a
/// journal left by a crash, to be applied; an uncommitted journal is emptied here.
pub(crate) fn pending(root: &Path) -> Result<Option<BTreeMap<Sha256Digest, Timestamp>>, BlobError> {
    let path = journal_path(root);
    let bytes = match fs::read(&path) {
        Ok(bytes) if bytes.is_empty() => return Ok(None),
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BlobError::io(format!("reading {}", path.display()), e)),
    };
    match decode(&bytes) {
        Some(items) => Ok(Some(items)),
        None => {
            clear(root)?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn journal_round_trips_and_refuses_what_was_not_completed() {
        let a: Sha256Digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            .parse()
            .unwrap();
        let b: Sha256Digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            .parse()
            .unwrap();
        let items = BTreeMap::from([
            (a, ts("2099-12-31T23:59:59Z")),
            (b, ts("2035-01-01T00:00:00Z")),
        ]);
        let bytes = encode(&items);
        assert_eq!(decode(&bytes), Some(items.clone()));
        // Every shorter prefix (a crash while writing) is refused, as is a changed byte.
        for n in 0..bytes.len() {
            assert_eq!(decode(&bytes[..n]), None, "prefix of {n} bytes");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER.len() + 70] ^= 1;
        assert_eq!(decode(&flipped), None);
        assert_eq!(decode(&encode(&BTreeMap::new())), Some(BTreeMap::new()));
    }

    #[test]
    fn sidecars_have_one_length() {
        for t in [
            "1000-01-01T00:00:00Z",
            "2035-06-01T12:00:00Z",
            "9999-12-30T22:00:00Z",
        ] {
            assert_eq!(sidecar_bytes(ts(t)).len(), 21, "{t}");
        }
    }
}
