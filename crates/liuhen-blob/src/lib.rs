//! Write-once, content-addressed storage of original recordings.
//!
//! Originals are evidence: the API has no overwrite, and its one delete
//! ([`BlobStore::dispose`]) needs the warrant of an approved disposal list and a lock that
//! has passed. A blob is addressed by
//! its SHA-256 and becomes visible only once it is complete and durable; every `put` also
//! computes SM3 (GB/T 32905) in the same streaming pass. Retention ("retain until") can only
//! be extended, never shortened; on S3 it is enforced by the server (Object Lock, COMPLIANCE).
//!
//! Backends: [`LocalStore`] (a directory tree), [`MemoryStore`] (tests), [`S3Store`].

mod fsutil;
mod hasher;
mod local;
mod memory;
pub mod notes;
mod s3;
mod sidecar;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
pub use liuhen_domain::disposal_list::Warrant;
pub use liuhen_domain::{Sha256Digest, Sm3Digest};

pub use hasher::{
    BACKGROUND_NICE, CHUNK_SIZE, DualHasher, Rehasher, VerifyingReader, background_priority,
    hash_reader,
};
pub use local::LocalStore;
pub use memory::MemoryStore;
pub use s3::{S3Config, S3Store};

/// What one streaming pass over a blob computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    pub sha256: Sha256Digest,
    pub sm3: Sm3Digest,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOutcome {
    pub digests: Digests,
    /// `false`: identical content was already stored (nothing was written).
    pub newly_stored: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no blob with SHA-256 {0}")]
    NotFound(Sha256Digest),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "retention may only be extended: current retain-until {current}, requested {requested}"
    )]
    RetentionShortening {
        current: Timestamp,
        requested: Timestamp,
    },
    #[error("blob content is corrupt: expected SHA-256 {expected}, actual SHA-256 {actual}")]
    Corrupt {
        expected: Sha256Digest,
        actual: Sha256Digest,
    },
    #[error("byte range {start}+{len} is outside the blob ({size} bytes)")]
    RangeOutOfBounds { start: u64, len: u64, size: u64 },
    #[error("S3 {operation} failed: HTTP {status} {code}: {message}")]
    S3 {
        operation: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("S3 {operation}: transport error")]
    Http {
        operation: &'static str,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("S3 {operation}: unexpected response: {detail}")]
    UnexpectedResponse {
        operation: &'static str,
        detail: String,
    },
    #[error("invalid S3 configuration: {0}")]
    InvalidConfig(String),
    #[error("blob {sha} is not named by the warrant of disposal list {list}")]
    NotWarranted { sha: Sha256Digest, list: String },
    #[error("blob {sha} is locked until {until}: its retention has not passed at {at}")]
    LockNotPassed {
        sha: Sha256Digest,
        until: Timestamp,
        at: Timestamp,
    },
    #[error(
        "checkpoint note {name} is already kept outside the database with other contents \
         (another log claims this size: was the database restored from an older copy?)"
    )]
    NoteConflict { name: String },
}

impl BlobError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        BlobError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Write-once storage of originals, addressed by SHA-256. No overwrite; the only delete is
/// [`BlobStore::dispose`], under an approved disposal list's warrant.
pub trait BlobStore: Send + Sync {
    /// `"local"`, `"memory"` or `"s3"`.
    fn kind(&self) -> &'static str;

    /// Stores `src` in one streaming pass, computing SHA-256 and SM3 in parallel, with
    /// bounded memory. The blob becomes visible under its SHA-256 only once complete and
    /// durable. If identical content is already stored, nothing is written
    /// (`newly_stored == false`) and its retention is extended to `retain_until` if later.
    /// Retention is kept at whole-second precision, rounded up.
    fn put(&self, src: &mut dyn Read, retain_until: Timestamp) -> Result<PutOutcome, BlobError>;

    /// The blob's bytes, re-hashed while read: at EOF a SHA-256 mismatch is an
    /// `io::Error` of kind `InvalidData` wrapping [`BlobError::Corrupt`].
    fn open(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError>;

    /// Bytes `start..start + len`, unverified (for playback).
    fn open_range(
        &self,
        sha: &Sha256Digest,
        start: u64,
        len: u64,
    ) -> Result<Box<dyn Read + Send>, BlobError>;

    fn size(&self, sha: &Sha256Digest) -> Result<Option<u64>, BlobError>;

    /// Re-hashes the stored content fully (fixity check) and returns what was computed;
    /// the caller compares it with the digests on record.
    fn rehash(&self, sha: &Sha256Digest) -> Result<Digests, BlobError>;

    fn retention(&self, sha: &Sha256Digest) -> Result<Option<Timestamp>, BlobError>;

    /// A whole blob as stored, unverified, for a background re-hash (a fixity pass). The
    /// local store reads it sequentially and drops what it read from the page cache behind
    /// itself, so that a pass over a store larger than memory does not evict the pages
    /// playback is using. The default is [`BlobStore::open_range`] over the whole blob.
    fn open_scan(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        let size = self.size(sha)?.ok_or(BlobError::NotFound(*sha))?;
        self.open_range(sha, 0, size)
    }

    /// Extends retain-until; an earlier date than the current one is refused with
    /// [`BlobError::RetentionShortening`] and nothing changes.
    fn extend_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError>;

    /// Extends the retain-until of many blobs at once (a case's records after its class
    /// changed): each to `max(current, until)`, never shortening. All or nothing is not
    /// promised, but every lock that is written is complete and durable when this returns.
    /// The default extends one by one; [`LocalStore`] batches its durability barriers;
    /// [`S3Store`] keeps several requests in flight.
    fn extend_retention_many(&self, items: &[(Sha256Digest, Timestamp)]) -> Result<(), BlobError> {
        for (sha, until) in items {
            match self.retention(sha)? {
                Some(current) if current >= ceil_to_second(*until) => {}
                _ => self.extend_retention(sha, *until)?,
            }
        }
        Ok(())
    }

    /// Mirrors a preservation hold (R3.7) as the store's legal hold where it has one (S3
    /// Object Lock). Returns `false` when the store has no such thing (local, memory): the
    /// hold then lives in the metadata only. A legal hold never shortens anything.
    fn set_legal_hold(&self, sha: &Sha256Digest, on: bool) -> Result<bool, BlobError> {
        let _ = (sha, on);
        Ok(false)
    }

    /// The store's legal hold of a blob; `None` when the store has none.
    fn legal_hold(&self, sha: &Sha256Digest) -> Result<Option<bool>, BlobError> {
        let _ = sha;
        Ok(None)
    }

    fn list(&self) -> Result<Vec<Sha256Digest>, BlobError>;

    /// Keeps a signed checkpoint note outside the database, write-once, under `name`
    /// ([`notes::note_name`]), locked until `retain_until` where the store locks (S3). The
    /// same bytes again: nothing to do; other bytes: [`BlobError::NoteConflict`].
    fn put_note(&self, name: &str, note: &[u8], retain_until: Timestamp) -> Result<(), BlobError>;

    /// The names of the checkpoint notes kept, sorted by tree size.
    fn note_names(&self) -> Result<Vec<String>, BlobError>;

    /// A checkpoint note's bytes, `None` when there is none of that name.
    fn read_note(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError>;

    /// Deletes a blob for good, the one way anything leaves the store (R6.3, R2.7). Needs the
    /// [`Warrant`] of an approved disposal list naming the blob (only the domain's disposal
    /// rules issue one) and refuses with [`BlobError::LockNotPassed`], changing nothing,
    /// while the blob's retain-until is later than the warrant's time; S3 also refuses by
    /// its own clock. A blob not stored is [`BlobError::NotFound`].
    fn dispose(&self, sha: &Sha256Digest, warrant: &Warrant) -> Result<(), BlobError>;

    /// Stores a complete, fsynced file whose digests were computed while it was written
    /// (a finished resumable upload). The stored blob is checked against `expected`; a
    /// mismatch is [`BlobError::Corrupt`] and nothing is stored under `expected`. The caller
    /// still owns `path` afterwards (and removes it).
    ///
    /// The default streams the file through [`BlobStore::put`] and compares all digests.
    /// [`LocalStore`] adopts the file by hard link when it is on the same filesystem (no
    /// second copy of the bytes). It re-reads the file once to check its SHA-256, unless
    /// `read_back` says the caller computed `expected.sha256` from the file's own content
    /// (read back after each write); then the size is checked.
    fn adopt(
        &self,
        path: &Path,
        expected: &Digests,
        retain_until: Timestamp,
        read_back: bool,
    ) -> Result<PutOutcome, BlobError> {
        let _ = read_back;
        adopt_by_copy(self, path, expected, retain_until)
    }

    /// A path on this machine where the blob can be read in place (read-only), if the store
    /// keeps blobs as files; used to hand originals to ffmpeg without copying them.
    fn local_path(&self, _sha: &Sha256Digest) -> Option<PathBuf> {
        None
    }
}

/// [`BlobStore::adopt`] by streaming the file through `put` and comparing the digests.
pub fn adopt_by_copy<S: BlobStore + ?Sized>(
    store: &S,
    path: &Path,
    expected: &Digests,
    retain_until: Timestamp,
) -> Result<PutOutcome, BlobError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| BlobError::io(format!("opening {}", path.display()), e))?;
    let out = store.put(&mut file, retain_until)?;
    if out.digests != *expected {
        return Err(BlobError::Corrupt {
            expected: expected.sha256,
            actual: out.digests.sha256,
        });
    }
    Ok(out)
}

/// The checks every backend's `dispose` makes before deleting anything.
pub(crate) fn check_disposable(
    sha: &Sha256Digest,
    warrant: &Warrant,
    lock: Option<Timestamp>,
) -> Result<(), BlobError> {
    if !warrant.covers(sha) {
        return Err(BlobError::NotWarranted {
            sha: *sha,
            list: warrant.list_id().to_owned(),
        });
    }
    match lock {
        Some(until) if until > warrant.at() => Err(BlobError::LockNotPassed {
            sha: *sha,
            until,
            at: warrant.at(),
        }),
        _ => Ok(()),
    }
}

/// "Extend, never shorten", once for the three stores (what to ask for is decided above
/// them, `liuhen_domain::retention::applied`): the lock to write when a blob locked until
/// `current` is asked to be kept until `until` (rounded up to the second), `None` when it
/// already is, [`BlobError::RetentionShortening`] for an earlier one.
pub(crate) fn extension(
    current: Option<Timestamp>,
    until: Timestamp,
) -> Result<Option<Timestamp>, BlobError> {
    let until = ceil_to_second(until);
    match current {
        Some(current) if until < current => Err(BlobError::RetentionShortening {
            current,
            requested: until,
        }),
        Some(current) if until == current => Ok(None),
        _ => Ok(Some(until)),
    }
}

/// Rounds up to whole seconds: S3 keeps retain-until at second precision, and rounding
/// up never shortens what was asked for.
pub(crate) fn ceil_to_second(ts: Timestamp) -> Timestamp {
    if ts.subsec_nanosecond() > 0 {
        Timestamp::from_second(ts.as_second() + 1).unwrap_or(Timestamp::MAX)
    } else {
        Timestamp::from_second(ts.as_second()).unwrap_or(ts)
    }
}

/// Checks that `start..start + len` lies inside a blob of `size` bytes.
pub(crate) fn check_range(start: u64, len: u64, size: u64) -> Result<(), BlobError> {
    match start.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(BlobError::RangeOutOfBounds { start, len, size }),
    }
}

/// Hashes a stored blob's reader, mapping read errors to [`BlobError::Io`].
pub(crate) fn rehash_reader(sha: &Sha256Digest, r: &mut dyn Read) -> Result<Digests, BlobError> {
    hash_reader(r).map_err(|e| BlobError::io(format!("re-hashing blob {sha}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_extends_keeps_and_never_shortens() {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        let half = Timestamp::from_millisecond(100_500).unwrap();
        assert_eq!(extension(None, t(100)).unwrap(), Some(t(100)));
        assert_eq!(extension(None, half).unwrap(), Some(t(101)));
        assert_eq!(extension(Some(t(100)), t(200)).unwrap(), Some(t(200)));
        assert_eq!(extension(Some(t(100)), t(100)).unwrap(), None);
        assert_eq!(extension(Some(t(101)), half).unwrap(), None);
        assert!(matches!(
            extension(Some(t(200)), t(100)),
            Err(BlobError::RetentionShortening { current, requested })
                if current == t(200) && requested == t(100)
        ));
    }
}
