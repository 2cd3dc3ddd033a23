//! `liuhen backup` and `liuhen restore` (issue 14, `docs/operations.md`).
//!
//! A backup is a directory: the database (SQLite: `VACUUM INTO`, a consistent copy taken
//! online; PostgreSQL: `pg_dump`, run by the operator as documented), the signing identity
//! (instance id and keys, 0600), `liuhen.toml`, and `backup.json` saying what it holds.
//! Originals are not in it: the blob store is write-once and backed up on its own (S3
//! versioning/replication, or a copy of `blobs/`). A restore copies the files back and
//! ends with `verify`, which checks the restored log against the checkpoints kept outside
//! the database: an older backup is reported as a rollback.

use std::path::Path;

use serde::Serialize;

use crate::{AppError, Custody};

#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub dir: String,
    pub backend: &'static str,
    /// Entries in the log when the copy was taken.
    pub log_size: u64,
    /// Tree size of the newest checkpoint in the copy.
    pub checkpoint: Option<u64>,
    /// What the operator still has to do (PostgreSQL: the `pg_dump`).
    pub todo: Option<String>,
}

impl Custody {
    /// Writes a backup into the new directory `to`.
    pub async fn backup(&self, to: &Path) -> Result<BackupReport, AppError> {
        crate::signing_identity::export_bundle(&self.data_dir, to)?;
        let config = self.data_dir.join("liuhen.toml");
        if config.exists() {
            std::fs::copy(&config, to.join("liuhen.toml")).map_err(|e| AppError::io(&config, e))?;
        }
        let sqlite = self.db.backend() == liuhen_db::Backend::Sqlite;
        let todo = if sqlite {
            self.db.vacuum_into(&to.join("liuhen.db")).await?;
            None
        } else {
            Some(format!(
                "the PostgreSQL database is not in this directory: run \
                 `pg_dump --format=custom --file={}/liuhen.pgdump <database URL>` now \
                 (docs/operations.md, Backups)",
                to.display()
            ))
        };
        let log_size = self.db.log_size().await?;
        let checkpoint = self.db.latest_checkpoint().await?.map(|c| c.tree_size);
        let report = BackupReport {
            dir: to.display().to_string(),
            backend: if sqlite { "sqlite" } else { "postgres" },
            log_size,
            checkpoint,
            todo,
        };
        let manifest = serde_json::json!({
            "at": self.now().to_string(),
            "backend": report.backend,
            "log_size": log_size,
            "checkpoint": checkpoint,
        });
        let path = to.join("backup.json");
        std::fs::write(&path, format!("{manifest:#}\n")).map_err(|e| AppError::io(&path, e))?;
        Ok(report)
    }
}

/// `liuhen restore FROM`: puts a backup's database, identity and configuration into the data
/// directory (servers stopped). The SQLite database's old `-wal`/`-shm` files are removed
/// first: left there they would be replayed into the restored copy. The caller ends with
/// `verify`.
pub fn restore_files(from: &Path, data_dir: &Path) -> Result<(), AppError> {
    let db = from.join("liuhen.db");
    if !db.is_file() {
        return Err(AppError::Invalid(format!(
            "{} holds no SQLite database: for PostgreSQL, restore the dump with `pg_restore \
             --clean --dbname=<database URL> {}/liuhen.pgdump`, then `liuhen restore` again \
             for the keys and configuration, then `liuhen verify`",
            from.display(),
            from.display()
        )));
    }
    std::fs::create_dir_all(data_dir.join("keys")).map_err(|e| AppError::io(data_dir, e))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let stale = data_dir.join(format!("liuhen.db{suffix}"));
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(AppError::io(&stale, e));
            }
            _ => {}
        }
    }
    let mut files: Vec<&str> = crate::signing_identity::BUNDLE_FILES.to_vec();
    files.push("liuhen.db");
    if from.join("liuhen.toml").exists() {
        files.push("liuhen.toml");
    }
    for name in files {
        let (src, dst) = (from.join(name), data_dir.join(name));
        let tmp = data_dir.join(format!(".{}.restore", name.replace('/', "_")));
        std::fs::copy(&src, &tmp).map_err(|e| AppError::io(&src, e))?;
        restrict(&tmp)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, &dst).map_err(|e| AppError::io(&dst, e))?;
    }
    for dir in [data_dir.to_path_buf(), data_dir.join("keys")] {
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| AppError::io(&dir, e))?;
    }
    Ok(())
}

fn restrict(path: &Path) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| AppError::io(path, e))
}
