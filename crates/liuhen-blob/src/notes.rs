//! Signed checkpoint notes kept outside the database (issue 14): small write-once objects
//! named by the tree size they cover, `checkpoints/<size, 20 digits>.note`. A note once
//! written is never replaced: writing the same bytes again is a no-op, other bytes under
//! the same name are [`BlobError::NoteConflict`] (two different logs claiming one size:
//! a database restored from an older copy went on signing).
//!
//! Locally (the blob store's `checkpoints/` and a witness directory) a note is a file of
//! mode 0444, written temp → fsync → hard link (fails if present) → fsync dir; on S3 an
//! object under COMPLIANCE retention.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use crate::BlobError;

/// The folder (local) or key prefix (S3) of the checkpoint notes.
pub const NOTE_AREA: &str = "checkpoints";

/// The name of the note of the checkpoint over `tree_size` entries: names sort by size.
pub fn note_name(tree_size: u64) -> String {
    format!("{tree_size:020}.note")
}

/// The tree size a note name stands for; `None` for anything else.
pub fn note_size(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".note")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn io_err(context: String) -> impl FnOnce(io::Error) -> BlobError {
    move |source| BlobError::Io { context, source }
}

/// Writes `dir/name` once (mode 0444, durable when this returns); the directory is created
/// if missing. Same bytes already there: nothing to do; other bytes: `NoteConflict`.
pub fn write_once_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BlobError> {
    let path = dir.join(name);
    fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
    if let Some(existing) = read_note_file(dir, name)? {
        return same_or_conflict(name, &existing, bytes);
    }
    let tmp = dir.join(format!(
        ".{name}.{}.{}",
        std::process::id(),
        uuid::Uuid::now_v7()
    ));
    let written = (|| -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(Permissions::from_mode(0o444))?;
        f.sync_all()?;
        drop(f);
        fs::hard_link(&tmp, &path)
    })();
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Written meanwhile by another process: the same note, or a conflict.
            let existing = read_note_file(dir, name)?.unwrap_or_default();
            return same_or_conflict(name, &existing, bytes);
        }
        Err(e) => return Err(io_err(format!("writing {}", path.display()))(e)),
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(format!("syncing {}", dir.display())))
}

pub(crate) fn same_or_conflict(name: &str, existing: &[u8], new: &[u8]) -> Result<(), BlobError> {
    if existing == new {
        Ok(())
    } else {
        Err(BlobError::NoteConflict {
            name: name.to_owned(),
        })
    }
}

/// The note names in `dir`, sorted (by tree size); a missing directory has none.
pub fn list_note_files(dir: &Path) -> Result<Vec<String>, BlobError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(format!("listing {}", dir.display()))(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(format!("listing {}", dir.display())))?;
        if let Some(name) = entry.file_name().to_str()
            && note_size(name).is_some()
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The bytes of `dir/name`, `None` when absent.
pub fn read_note_file(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
    let path = dir.join(name);
    match fs::read(&path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(format!("reading {}", path.display()))(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_size() {
        assert_eq!(note_name(7), "00000000000000000007.note");
        assert_eq!(note_size(&note_name(123_456)), Some(123_456));
        for bad in [
            "7.note",
            "0000000000000000000x.note",
            "00000000000000000007.txt",
        ] {
            assert_eq!(note_size(bad), None, "{bad}");
        }
        assert!(note_name(9) < note_name(10));
    }

    #[test]
    fn write_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("w");
        write_once_file(&d, &note_name(3), b"a").unwrap();
        write_once_file(&d, &note_name(3), b"a").unwrap();
        assert!(matches!(
            write_once_file(&d, &note_name(3), b"b"),
            Err(BlobError::NoteConflict { .. })
        ));
        let mode = fs::metadata(d.join(note_name(3)))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o444);
        assert_eq!(list_note_files(&d).unwrap(), vec![note_name(3)]);
        assert_eq!(read_note_file(&d, &note_name(3)).unwrap().unwrap(), b"a");
        assert!(
            list_note_files(&dir.path().join("none"))
                .unwrap()
                .is_empty()
        );
    }
}
