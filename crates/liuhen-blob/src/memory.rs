//! In-memory store for tests: same semantics as the durable backends, nothing persisted.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

use crate::hasher::{CHUNK_SIZE, DualHasher, VerifyingReader, next_chunk};
use crate::{
    BlobError, BlobStore, Digests, PutOutcome, Sha256Digest, Warrant, ceil_to_second,
    check_disposable,
};

/// `Cursor` needs `AsRef<[u8]>`, which `Arc<Vec<u8>>` lacks.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

struct Entry {
    bytes: Arc<Vec<u8>>,
    retain_until: Timestamp,
}

#[derive(Default)]
pub struct MemoryStore {
    blobs: Mutex<HashMap<Sha256Digest, Entry>>,
    notes: Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Sha256Digest, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (inserts are
        // single operations), so a poisoned map is still consistent.
        self.blobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bytes(&self, sha: &Sha256Digest) -> Result<Arc<Vec<u8>>, BlobError> {
        self.lock()
            .get(sha)
            .map(|e| Arc::clone(&e.bytes))
            .ok_or(BlobError::NotFound(*sha))
    }

    /// Flips one byte of a stored blob, to test that verified reads catch corruption.
    #[cfg(feature = "test-hooks")]
    pub fn corrupt_for_test(&self, sha: &Sha256Digest, offset: usize) {
        let mut map = self.lock();
        let entry = map.get_mut(sha).expect("blob to corrupt exists");
        let mut bytes = entry.bytes.as_ref().clone();
        bytes[offset] ^= 0xff;
        entry.bytes = Arc::new(bytes);
    }
}

impl BlobStore for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn put(&self, src: &mut dyn Read, retain_until: Timestamp) -> Result<PutOutcome, BlobError> {
        let retain_until = ceil_to_second(retain_until);
        let mut hasher = DualHasher::new();
        let mut bytes = Vec::new();
        while let Some(chunk) =
            next_chunk(src, CHUNK_SIZE).map_err(|e| BlobError::io("reading the source", e))?
        {
            bytes.extend_from_slice(&chunk);
            hasher.update_shared(chunk);
        }
        let digests: Digests = hasher.finish_digests();
        let mut map = self.lock();
        let newly_stored = match map.get_mut(&digests.sha256) {
            Some(existing) => {
                existing.retain_until = existing.retain_until.max(retain_until);
                false
            }
            None => {
                let bytes = Arc::new(bytes);
                map.insert(
                    digests.sha256,
                    Entry {
                        bytes,
                        retain_until,
                    },
                );
                true
            }
        };
        Ok(PutOutcome {
            digests,
            newly_stored,
        })
    }

    fn open(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        let bytes = self.bytes(sha)?;
        Ok(Box::new(VerifyingReader::new(
            Cursor::new(Shared(bytes)),
            *sha,
        )))
    }

    fn open_range(
        &self,
        sha: &Sha256Digest,
        start: u64,
        len: u64,
    ) -> Result<Box<dyn Read + Send>, BlobError> {
        let bytes = self.bytes(sha)?;
        crate::check_range(start, len, bytes.len() as u64)?;
        let mut cursor = Cursor::new(Shared(bytes));
        cursor.set_position(start);
        Ok(Box::new(cursor.take(len)))
    }

    fn size(&self, sha: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        Ok(self.lock().get(sha).map(|e| e.bytes.len() as u64))
    }

    fn rehash(&self, sha: &Sha256Digest) -> Result<Digests, BlobError> {
        let bytes = self.bytes(sha)?;
        crate::rehash_reader(sha, &mut &bytes[..])
    }

    fn retention(&self, sha: &Sha256Digest) -> Result<Option<Timestamp>, BlobError> {
        match self.lock().get(sha) {
            Some(e) => Ok(Some(e.retain_until)),
            None => Err(BlobError::NotFound(*sha)),
        }
    }

    fn extend_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        let mut map = self.lock();
        let entry = map.get_mut(sha).ok_or(BlobError::NotFound(*sha))?;
        if let Some(until) = crate::extension(Some(entry.retain_until), until)? {
            entry.retain_until = until;
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<Sha256Digest>, BlobError> {
        let mut shas: Vec<_> = self.lock().keys().copied().collect();
        shas.sort();
        Ok(shas)
    }

    fn dispose(&self, sha: &Sha256Digest, warrant: &Warrant) -> Result<(), BlobError> {
        let mut map = self.lock();
        let entry = map.get(sha).ok_or(BlobError::NotFound(*sha))?;
        check_disposable(sha, warrant, Some(entry.retain_until))?;
        map.remove(sha);
        Ok(())
    }

    fn put_note(&self, name: &str, note: &[u8], _retain_until: Timestamp) -> Result<(), BlobError> {
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        match notes.get(name) {
            Some(existing) => crate::notes::same_or_conflict(name, existing, note),
            None => {
                notes.insert(name.to_owned(), note.to_vec());
                Ok(())
            }
        }
    }

    fn note_names(&self) -> Result<Vec<String>, BlobError> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(notes.keys().cloned().collect())
    }

    fn read_note(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(notes.get(name).cloned())
    }
}
