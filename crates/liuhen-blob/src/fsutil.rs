//! File-system helpers of the [`crate::LocalStore`]: directory syncs and creation, the
//! filesystem-wide barrier, cleaning abandoned temp directories, and the drop-behind reader
//! of a fixity pass.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::BlobError;

pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> BlobError {
    let context = context.into();
    move |source| BlobError::Io { context, source }
}

/// Removes a temp directory whose owning process is gone (its lock is free), or a stray file.
pub(crate) fn remove_if_abandoned(path: &Path) -> io::Result<()> {
    if !path.is_dir() {
        return fs::remove_file(path);
    }
    match File::open(path.join(".lock")) {
        Ok(lock) => match lock.try_lock() {
            Ok(()) => {
                // Closed first: on FUSE (and NFS) an open file that is removed lives on as
                // a hidden file, and the directory would not be empty.
                drop(lock);
                fs::remove_dir_all(path)
            }
            Err(fs::TryLockError::WouldBlock) => Ok(()),
            Err(fs::TryLockError::Error(e)) => Err(e),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::remove_dir_all(path),
        Err(e) => Err(e),
    }
}

/// Flushes the whole filesystem holding `path` (one barrier for many files).
pub(crate) fn syncfs(path: &Path) -> Result<(), BlobError> {
    let dir = File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
    rustix::fs::syncfs(&dir).map_err(|e| {
        BlobError::io(
            format!("syncing the filesystem of {}", path.display()),
            io::Error::from(e),
        )
    })
}

pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `parent/name` if missing; fsyncs `parent` when it did, so the new entry is durable.
pub(crate) fn ensure_dir(parent: &Path, name: &str) -> io::Result<PathBuf> {
    let dir = parent.join(name);
    match fs::create_dir(&dir) {
        Ok(()) => fsync_dir(parent)?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    Ok(dir)
}

/// Reads a file and tells the kernel to drop from the page cache, every few MiB, what was
/// read (`posix_fadvise(DONTNEED)`); advisory, so failures are ignored.
pub(crate) struct DropBehind {
    file: File,
    read: u64,
    dropped: u64,
}

impl DropBehind {
    pub(crate) fn new(file: File) -> Self {
        Self {
            file,
            read: 0,
            dropped: 0,
        }
    }
}

impl DropBehind {
    const EVERY: u64 = 8 * 1024 * 1024;

    fn drop_read(&mut self) {
        if let Some(len) = std::num::NonZeroU64::new(self.read - self.dropped) {
            let _ = rustix::fs::fadvise(
                &self.file,
                self.dropped,
                Some(len),
                rustix::fs::Advice::DontNeed,
            );
            self.dropped = self.read;
        }
    }
}

impl Read for DropBehind {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if n == 0 || self.read - self.dropped >= Self::EVERY {
            self.drop_read();
        }
        Ok(n)
    }
}
