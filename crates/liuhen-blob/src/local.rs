//! Blobs as files under a root directory.
//!
//! Layout: `sha256/ab/cd/<hex>` (read-only files, mode 0444), `retention/ab/cd/<hex>`
//! (RFC 3339 retain-until: one replaced atomically, many grown in place behind the batch
//! journal `retention.journal`, see [`crate::sidecar`]), `checkpoints/<size>.note` (signed
//! checkpoint notes, write-once, 0444: [`crate::notes`]), `tmp/` (in-progress writes, emptied
//! at open: a crash leftover is never visible as a blob). One process owns a root at a time.
//!
//! Durability order of a put: write to `tmp/` while hashing → chmod 0444 → `sync_all` →
//! retention sidecar → hard-link into place → fsync the directories → unlink the temp name.
//! A hard link (not `rename`) fails if the final name exists, so a concurrent put of the
//! same content can never replace a stored original, not even with identical bytes.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::fsutil::{DropBehind, ensure_dir, fsync_dir, io_err, remove_if_abandoned, syncfs};
use crate::hasher::{CHUNK_SIZE, DualHasher, VerifyingReader, next_chunk};
use crate::sidecar;
use crate::{
    BlobError, BlobStore, Digests, PutOutcome, Sha256Digest, Warrant, ceil_to_second,
    check_disposable,
};

pub struct LocalStore {
    root: PathBuf,
    /// This store's own temp directory under `tmp/`.
    tmp: PathBuf,
    /// Held while the store is open, so that no other process cleans `tmp`; `None`: opened
    /// read-only, every write refused.
    _tmp_lock: Option<File>,
}

/// A blob already in place is reported stored only once it is known to be the same
/// content (size and SHA-256 read back) and durable: the file and its directory synced
/// now, since the write that put it there may have failed at its directory fsync.
fn confirm_existing(path: &Path, expected: &Digests) -> Result<(), BlobError> {
    use sha2::Digest as _;
    let sha = expected.sha256;
    let mut file = File::open(path).map_err(io_err(format!("opening blob {sha}")))?;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; CHUNK_SIZE];
    loop {
        let n = crate::hasher::read_full(&mut file, &mut buf)
            .map_err(io_err(format!("reading blob {sha}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let actual = Sha256Digest::from_bytes(hasher.finalize().into());
    if actual != sha || size != expected.size {
        return Err(BlobError::Corrupt {
            expected: sha,
            actual,
        });
    }
    file.sync_all()
        .map_err(io_err(format!("syncing blob {sha}")))?;
    if let Some(dir) = path.parent() {
        fsync_dir(dir).map_err(io_err(format!("syncing {}", dir.display())))?;
    }
    Ok(())
}

impl LocalStore {
    /// Opens (creating if needed) a store at `root` and removes leftovers of interrupted writes.
    ///
    /// Several processes may share a root (the server and a CLI ingest): each writes its temp
    /// files in its own `tmp/<uuid>/` directory, locked for the store's lifetime. Only
    /// directories whose lock is free (their process is gone) are cleaned.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        for sub in ["sha256", "retention", "tmp"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
        }
        let tmp = root.join("tmp");
        let entries = fs::read_dir(&tmp).map_err(io_err(format!("listing {}", tmp.display())))?;
        for entry in entries {
            let path = entry.map_err(io_err("listing tmp"))?.path();
            remove_if_abandoned(&path).map_err(io_err(format!("removing {}", path.display())))?;
        }
        let own = tmp.join(uuid::Uuid::now_v7().to_string());
        fs::create_dir(&own).map_err(io_err(format!("creating {}", own.display())))?;
        let lock = File::create(own.join(".lock"))
            .map_err(io_err(format!("creating the lock in {}", own.display())))?;
        lock.try_lock().map_err(|e| {
            BlobError::io(format!("locking {}", own.display()), io::Error::other(e))
        })?;
        fsync_dir(root).map_err(io_err(format!("syncing {}", root.display())))?;
        let store = Self {
            root: root.to_path_buf(),
            tmp: own,
            _tmp_lock: Some(lock),
        };
        store.replay_journal()?;
        Ok(store)
    }

    /// Applies a batch journal left by a crash (see [`crate::sidecar`]): each sidecar of a
    /// blob still present raised to the journal's date (a torn one rewritten), one
    /// `syncfs`, then the journal emptied.
    fn replay_journal(&self) -> Result<(), BlobError> {
        let _lock = self.retention_lock()?;
        let Some(items) = sidecar::pending(&self.root)? else {
            return Ok(());
        };
        for (sha, until) in &items {
            if self.size(sha)?.is_none() {
                continue;
            }
            let path = self.fanout("retention", sha);
            if sidecar::read_sidecar(&path).ok().flatten() < Some(*until) {
                self.fanout_dir_create("retention", sha)
                    .and_then(|_| sidecar::overwrite_sidecar(&path, *until))
                    .map_err(io_err(format!("replaying the retention of blob {sha}")))?;
            }
        }
        syncfs(&self.root)?;
        sidecar::clear(&self.root)
    }

    /// Opens an existing store for reading only: creates, cleans and locks nothing, and
    /// refuses every write (for `verify` and other read-only commands).
    pub fn open_read_only(root: &Path) -> Result<Self, BlobError> {
        let blobs = root.join("sha256");
        if !blobs.is_dir() {
            return Err(BlobError::io(
                format!("opening the blob store {}", root.display()),
                io::Error::new(io::ErrorKind::NotFound, "no sha256/ directory"),
            ));
        }
        Ok(Self {
            root: root.to_path_buf(),
            tmp: root.join("tmp"),
            _tmp_lock: None,
        })
    }

    fn writable(&self) -> Result<(), BlobError> {
        match self._tmp_lock {
            Some(_) => Ok(()),
            None => Err(BlobError::io(
                format!("writing to {}", self.root.display()),
                io::Error::new(io::ErrorKind::ReadOnlyFilesystem, "opened read-only"),
            )),
        }
    }

    /// Path of the stored file for `sha` (exposed for fixity tooling and tests).
    pub fn blob_path(&self, sha: &Sha256Digest) -> PathBuf {
        self.fanout("sha256", sha)
    }

    fn fanout(&self, area: &str, sha: &Sha256Digest) -> PathBuf {
        let hex = sha.to_hex();
        self.root
            .join(area)
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    }

    fn fanout_dir_create(&self, area: &str, sha: &Sha256Digest) -> io::Result<PathBuf> {
        let hex = sha.to_hex();
        let level1 = ensure_dir(&self.root.join(area), &hex[0..2])?;
        ensure_dir(&level1, &hex[2..4])
    }

    fn temp_path(&self, suffix: &str) -> PathBuf {
        self.tmp.join(format!("{}.{suffix}", uuid::Uuid::now_v7()))
    }

    fn open_blob(&self, sha: &Sha256Digest) -> Result<File, BlobError> {
        let path = self.blob_path(sha);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BlobError::NotFound(*sha),
            _ => BlobError::io(format!("opening {}", path.display()), e),
        })
    }

    /// Streams `src` into a new temp file; returns it synced and read-only.
    fn write_temp(&self, src: &mut dyn Read, temp: &Path) -> Result<Digests, BlobError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
            .map_err(io_err(format!("creating {}", temp.display())))?;
        let mut hasher = DualHasher::new();
        while let Some(chunk) =
            next_chunk(src, CHUNK_SIZE).map_err(|e| BlobError::io("reading the source", e))?
        {
            file.write_all(&chunk)
                .map_err(io_err(format!("writing {}", temp.display())))?;
            hasher.update_shared(chunk);
        }
        file.set_permissions(Permissions::from_mode(0o444))
            .map_err(io_err(format!("making {} read-only", temp.display())))?;
        file.sync_all()
            .map_err(io_err(format!("syncing {}", temp.display())))?;
        Ok(hasher.finish_digests())
    }

    fn put_inner(
        &self,
        temp: &Path,
        digests: Digests,
        until: Timestamp,
    ) -> Result<bool, BlobError> {
        let sha = digests.sha256;
        let final_path = self.blob_path(&sha);
        if final_path.exists() {
            confirm_existing(&final_path, &digests)?;
            self.raise_retention(&sha, until)?;
            return Ok(false);
        }
        // Retention first: a visible blob always has its retain-until on disk.
        self.raise_retention(&sha, until)?;
        let dir = self
            .fanout_dir_create("sha256", &sha)
            .map_err(io_err(format!("creating the directory of blob {sha}")))?;
        match fs::hard_link(temp, &final_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                confirm_existing(&final_path, &digests)?;
                return Ok(false);
            }
            Err(e) => return Err(BlobError::io(format!("linking blob {sha} into place"), e)),
        }
        fsync_dir(&dir).map_err(io_err(format!("syncing {}", dir.display())))?;
        Ok(true)
    }

    /// Makes an adopted file read-only and durable, and checks its size and SHA-256 against
    /// the digests computed while it was written (SM3 was computed from the same bytes).
    fn check_adopted(
        &self,
        temp: &Path,
        expected: &Digests,
        read_back: bool,
    ) -> Result<(), BlobError> {
        use sha2::Digest as _;
        let mut file = File::open(temp).map_err(io_err(format!("opening {}", temp.display())))?;
        if read_back {
            let size = file
                .metadata()
                .map_err(io_err(format!("reading the size of {}", temp.display())))?
                .len();
            if size != expected.size {
                return Err(BlobError::Corrupt {
                    expected: expected.sha256,
                    actual: expected.sha256,
                });
            }
            file.set_permissions(Permissions::from_mode(0o444))
                .map_err(io_err(format!("making {} read-only", temp.display())))?;
            return file
                .sync_all()
                .map_err(io_err(format!("syncing {}", temp.display())));
        }
        let mut sha = sha2::Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK_SIZE];
        loop {
            let n = crate::hasher::read_full(&mut file, &mut buf)
                .map_err(io_err(format!("reading {}", temp.display())))?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
            size += n as u64;
        }
        let actual = Sha256Digest::from_bytes(sha.finalize().into());
        if actual != expected.sha256 || size != expected.size {
            return Err(BlobError::Corrupt {
                expected: expected.sha256,
                actual,
            });
        }
        file.set_permissions(Permissions::from_mode(0o444))
            .map_err(io_err(format!("making {} read-only", temp.display())))?;
        file.sync_all()
            .map_err(io_err(format!("syncing {}", temp.display())))
    }

    /// Sets retain-until to `max(current, until)` under the store's retention lock.
    fn raise_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        let _lock = self.retention_lock()?;
        match self.read_retention(sha)? {
            Some(current) if current >= until => Ok(()),
            _ => self.write_retention(sha, until),
        }
    }

    /// Serialises read-compare-write of retention sidecars (also across processes).
    fn retention_lock(&self) -> Result<File, BlobError> {
        let path = self.root.join("retention.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(format!("opening {}", path.display())))?;
        file.lock()
            .map_err(io_err(format!("locking {}", path.display())))?;
        Ok(file)
    }

    /// The retention lock taken shared, for a reader outside the lock; `None` when no
    /// writer ever created it.
    fn retention_lock_shared(&self) -> Result<Option<File>, BlobError> {
        let path = self.root.join("retention.lock");
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BlobError::io(format!("opening {}", path.display()), e)),
        };
        file.lock_shared()
            .map_err(io_err(format!("locking {}", path.display())))?;
        Ok(Some(file))
    }

    /// Reads a sidecar (the caller holds the retention lock, or takes what it finds). A
    /// sidecar torn by a crash in a batch reads as its journal's date.
    fn read_retention(&self, sha: &Sha256Digest) -> Result<Option<Timestamp>, BlobError> {
        match sidecar::read_sidecar(&self.fanout("retention", sha)) {
            Err(BlobError::Io { source, context })
                if source.kind() == io::ErrorKind::InvalidData =>
            {
                match sidecar::journal_date(&self.root, sha)? {
                    Some(until) => Ok(Some(until)),
                    None => Err(BlobError::Io { context, source }),
                }
            }
            other => other,
        }
    }

    /// Atomic replace: temp file → `sync_all` → rename → fsync the directory.
    fn write_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        let temp = self.temp_path("retention");
        let ctx = || format!("writing the retention of blob {sha}");
        let result = (|| {
            let mut file = File::create_new(&temp)?;
            writeln!(file, "{until}")?;
            file.sync_all()?;
            let dir = self.fanout_dir_create("retention", sha)?;
            fs::rename(&temp, self.fanout("retention", sha))?;
            fsync_dir(&dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result.map_err(|e| BlobError::io(ctx(), e))
    }
}

impl BlobStore for LocalStore {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn put(&self, src: &mut dyn Read, retain_until: Timestamp) -> Result<PutOutcome, BlobError> {
        self.writable()?;
        let until = ceil_to_second(retain_until);
        let temp = self.temp_path("part");
        let result = self
            .write_temp(src, &temp)
            .and_then(|digests| Ok((digests, self.put_inner(&temp, digests, until)?)));
        // Whatever happened, the temp name goes; the final name (if linked) stays.
        let _ = fs::remove_file(&temp);
        let (digests, newly_stored) = result?;
        Ok(PutOutcome {
            digests,
            newly_stored,
        })
    }

    fn open(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        let file = self.open_blob(sha)?;
        Ok(Box::new(VerifyingReader::new(file, *sha)))
    }

    fn open_range(
        &self,
        sha: &Sha256Digest,
        start: u64,
        len: u64,
    ) -> Result<Box<dyn Read + Send>, BlobError> {
        let mut file = self.open_blob(sha)?;
        let size = file
            .metadata()
            .map_err(io_err(format!("reading the size of blob {sha}")))?
            .len();
        crate::check_range(start, len, size)?;
        file.seek(SeekFrom::Start(start))
            .map_err(io_err(format!("seeking in blob {sha}")))?;
        Ok(Box::new(file.take(len)))
    }

    fn open_scan(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        let file = self.open_blob(sha)?;
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::Sequential);
        Ok(Box::new(DropBehind::new(file)))
    }

    fn size(&self, sha: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        match fs::metadata(self.blob_path(sha)) {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BlobError::io(format!("reading the size of blob {sha}"), e)),
        }
    }

    fn rehash(&self, sha: &Sha256Digest) -> Result<Digests, BlobError> {
        let mut file = self.open_blob(sha)?;
        crate::rehash_reader(sha, &mut file)
    }

    fn retention(&self, sha: &Sha256Digest) -> Result<Option<Timestamp>, BlobError> {
        if self.size(sha)?.is_none() {
            return Err(BlobError::NotFound(*sha));
        }
        let _lock = self.retention_lock_shared()?;
        self.read_retention(sha)
    }

    fn extend_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        self.writable()?;
        if self.size(sha)?.is_none() {
            return Err(BlobError::NotFound(*sha));
        }
        let _lock = self.retention_lock()?;
        match crate::extension(self.read_retention(sha)?, until)? {
            Some(until) => self.write_retention(sha, until),
            None => Ok(()),
        }
    }

    fn adopt(
        &self,
        path: &Path,
        expected: &Digests,
        retain_until: Timestamp,
        read_back: bool,
    ) -> Result<PutOutcome, BlobError> {
        self.writable()?;
        let until = ceil_to_second(retain_until);
        let temp = self.temp_path("adopt");
        match fs::hard_link(path, &temp) {
            Ok(()) => {}
            // Another filesystem (EXDEV) or no links: copy like any other store.
            Err(_) => return crate::adopt_by_copy(self, path, expected, retain_until),
        }
        let result = self
            .check_adopted(&temp, expected, read_back)
            .and_then(|()| self.put_inner(&temp, *expected, until));
        let _ = fs::remove_file(&temp);
        Ok(PutOutcome {
            digests: *expected,
            newly_stored: result?,
        })
    }

    fn local_path(&self, sha: &Sha256Digest) -> Option<PathBuf> {
        let path = self.blob_path(sha);
        path.is_file().then_some(path)
    }

    fn list(&self) -> Result<Vec<Sha256Digest>, BlobError> {
        let mut out = Vec::new();
        let base = self.root.join("sha256");
        let read = |dir: &Path| -> Result<Vec<PathBuf>, BlobError> {
            let entries =
                fs::read_dir(dir).map_err(io_err(format!("listing {}", dir.display())))?;
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<io::Result<Vec<_>>>()
                .map_err(io_err(format!("listing {}", dir.display())))
        };
        for l1 in read(&base)? {
            for l2 in read(&l1)? {
                for file in read(&l2)? {
                    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if let Ok(sha) = name.parse::<Sha256Digest>() {
                        out.push(sha);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Under the retention lock: every sidecar that must grow is written to the batch
    /// journal (synced), overwritten in place, and all made durable by one `syncfs`; then
    /// the journal is emptied ([`crate::sidecar`]). A crash leaves each sidecar old or new
    /// once the store is opened again, never shorter. A missing blob fails the whole call
    /// before anything is written.
    fn extend_retention_many(&self, items: &[(Sha256Digest, Timestamp)]) -> Result<(), BlobError> {
        self.writable()?;
        let _lock = self.retention_lock()?;
        // A journal left committed by a failed call is carried over whole, so that its
        // sidecars, perhaps written but not yet durable, stay covered.
        let mut grow = sidecar::pending(&self.root)?.unwrap_or_default();
        grow.retain(|sha, _| self.blob_path(sha).exists());
        for (sha, until) in items {
            let until = ceil_to_second(*until);
            if self.size(sha)?.is_none() {
                return Err(BlobError::NotFound(*sha));
            }
            let floor = grow.get(sha).copied().max(self.read_retention(sha)?);
            if floor < Some(until) {
                grow.insert(*sha, until);
            }
        }
        if grow.is_empty() {
            return Ok(());
        }
        sidecar::commit(&self.root, &grow)?;
        for (sha, until) in &grow {
            let path = self.fanout("retention", sha);
            sidecar::overwrite_sidecar(&path, *until)
                .or_else(|e| match e.kind() {
                    io::ErrorKind::NotFound => self
                        .fanout_dir_create("retention", sha)
                        .and_then(|_| sidecar::overwrite_sidecar(&path, *until)),
                    _ => Err(e),
                })
                .map_err(io_err(format!("writing the retention of blob {sha}")))?;
        }
        syncfs(&self.root)?;
        sidecar::clear(&self.root)
    }

    /// Checks the sidecar under the retention lock, then unlinks the blob and its sidecar
    /// and syncs their directories. A blob without a sidecar has no lock to wait for.
    fn dispose(&self, sha: &Sha256Digest, warrant: &Warrant) -> Result<(), BlobError> {
        self.writable()?;
        if self.size(sha)?.is_none() {
            return Err(BlobError::NotFound(*sha));
        }
        let _lock = self.retention_lock()?;
        check_disposable(sha, warrant, self.read_retention(sha)?)?;
        let blob = self.blob_path(sha);
        let ctx = || format!("disposing of blob {sha}");
        fs::remove_file(&blob).map_err(io_err(ctx()))?;
        if let Some(dir) = blob.parent() {
            fsync_dir(dir).map_err(io_err(ctx()))?;
        }
        let sidecar = self.fanout("retention", sha);
        match fs::remove_file(&sidecar) {
            Ok(()) => {
                if let Some(dir) = sidecar.parent() {
                    fsync_dir(dir).map_err(io_err(ctx()))?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(BlobError::io(ctx(), e)),
        }
        Ok(())
    }

    fn put_note(&self, name: &str, note: &[u8], _retain_until: Timestamp) -> Result<(), BlobError> {
        self.writable()?;
        crate::notes::write_once_file(&self.root.join(crate::notes::NOTE_AREA), name, note)
    }

    fn note_names(&self) -> Result<Vec<String>, BlobError> {
        crate::notes::list_note_files(&self.root.join(crate::notes::NOTE_AREA))
    }

    fn read_note(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
        crate::notes::read_note_file(&self.root.join(crate::notes::NOTE_AREA), name)
    }
}
