//! One signing identity for every server of a log (issue 14). The log's identity is its
//! origin (`liuhen/<instance id>`, in every checkpoint) and the key ids of its latest
//! `keys.created` entry. A server whose data directory holds other keys (or none, or
//! another instance id) refuses to start and says how to install the right ones:
//! `liuhen keys export --to DIR` on a server of the group, `liuhen keys import DIR` here.
//! The bundle is the instance id and the three key files (Ed25519, SM2, the secrets key
//! that seals TOTP secrets in the shared database), each 0600.

use std::path::Path;

use liuhen_db::Db;
use liuhen_merkle::keys::{ED25519_KEY_FILE, SM2_KEY_FILE, SigningKeys};

use crate::AppError;

/// The files of a signing identity, relative to the data directory.
pub const BUNDLE_FILES: [&str; 4] = [
    "instance-id",
    "keys/ed25519.key",
    "keys/sm2.key",
    "keys/secrets.key",
];

const HOW: &str = "copy the identity from a server of this group: `liuhen --data-dir <its data dir> \
     keys export --to <dir>` there, then `liuhen --data-dir <this data dir> keys import <dir>` \
     here (docs/operations.md)";

/// The key ids (Ed25519, SM2) of the log's identity: its latest `keys.created` entry.
pub(crate) async fn logged_key_ids(db: &Db) -> Result<Option<(String, String)>, AppError> {
    let entries = db.entries_for_actions("keys", &["keys.created"]).await?;
    let Some(last) = entries.last() else {
        return Ok(None);
    };
    let body = liuhen_db::EntryBody::parse(&last.body)
        .map_err(|e| AppError::Keys(format!("log entry #{}: {e}", last.seq)))?;
    let id = |k: &str| body.details[k].as_str().unwrap_or_default().to_owned();
    Ok(Some((id("ed25519_key_id"), id("sm2_key_id"))))
}

/// Before keys are loaded or made: a log that already has an identity is signed by that
/// identity only. No keys here: refused (none is created); other keys: refused.
pub(crate) async fn check_keys(db: &Db, key_dir: &Path) -> Result<(), AppError> {
    let Some((ed, sm2)) = logged_key_ids(db).await? else {
        return Ok(());
    };
    let present = key_dir.join(ED25519_KEY_FILE).exists() || key_dir.join(SM2_KEY_FILE).exists();
    if !present {
        return Err(AppError::Keys(format!(
            "this database's log is signed by the keys Ed25519 {ed} / SM2 {sm2}, and this data \
             directory has none ({}); a new identity would break the log for good. To join \
             this server to the group, {HOW}",
            key_dir.display()
        )));
    }
    let keys = SigningKeys::load_existing(key_dir).map_err(|e| AppError::Keys(e.to_string()))?;
    let public = keys.public_keys();
    if public.ed25519_key_id() != ed || public.sm2_key_id() != sm2 {
        return Err(AppError::Keys(format!(
            "this data directory's keys (Ed25519 {} / SM2 {}) are not the log's identity \
             (Ed25519 {ed} / SM2 {sm2}): this server would sign checkpoints nobody can verify. \
             Remove {} and {HOW}",
            public.ed25519_key_id(),
            public.sm2_key_id(),
            key_dir.display()
        )));
    }
    Ok(())
}

/// After the instance id is known: the checkpoints already signed name this log's origin.
pub(crate) async fn check_origin(db: &Db, origin: &str, dir: &Path) -> Result<(), AppError> {
    let Some(latest) = db.latest_checkpoint().await? else {
        return Ok(());
    };
    let theirs = latest.body.lines().next().unwrap_or_default();
    if theirs != origin {
        return Err(AppError::Keys(format!(
            "this database's checkpoints name the log {theirs:?}, this data directory's instance \
             id {} makes {origin:?}: {HOW}",
            dir.join("instance-id").display()
        )));
    }
    Ok(())
}

/// `liuhen keys export --to DIR`: the identity's files into a new directory (0700), each
/// 0600. Reads the data directory only.
pub fn export_bundle(data_dir: &Path, to: &Path) -> Result<(), AppError> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(to)
        .map_err(|e| AppError::io(to, e))?;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(to.join("keys"))
        .map_err(|e| AppError::io(&to.join("keys"), e))?;
    for name in BUNDLE_FILES {
        let from = data_dir.join(name);
        let bytes = std::fs::read(&from).map_err(|e| AppError::io(&from, e))?;
        write_secret(&to.join(name), &bytes)?;
    }
    Ok(())
}

/// `liuhen keys import DIR`: installs an exported identity into a data directory that has
/// none yet (or exactly this one already). Refuses to replace other keys: remove them
/// first, knowing that whatever they signed will no longer verify here.
pub fn import_bundle(from: &Path, data_dir: &Path) -> Result<(), AppError> {
    let mut todo = Vec::new();
    for name in BUNDLE_FILES {
        let src = from.join(name);
        let bytes = std::fs::read(&src).map_err(|e| AppError::io(&src, e))?;
        let dst = data_dir.join(name);
        match std::fs::read(&dst) {
            Ok(existing) if existing == bytes => {}
            Ok(_) => {
                return Err(AppError::Keys(format!(
                    "{} already exists with other contents; this data directory has an identity \
                     of its own. Move {} and {} away first if it signed nothing that must stay",
                    dst.display(),
                    data_dir.join("keys").display(),
                    data_dir.join("instance-id").display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => todo.push((dst, bytes)),
            Err(e) => return Err(AppError::io(&dst, e)),
        }
    }
    // Checked before anything is written: a bundle that does not load is not installed.
    SigningKeys::load_existing(&from.join("keys")).map_err(|e| AppError::Keys(e.to_string()))?;
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(data_dir.join("keys"))
        .map_err(|e| AppError::io(&data_dir.join("keys"), e))?;
    for (dst, bytes) in todo {
        write_secret(&dst, &bytes)?;
    }
    Ok(())
}

/// Writes a file 0600 durably (temp, fsync, rename, fsync of the directory).
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e| AppError::io(path, e))
}
