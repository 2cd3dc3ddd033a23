//! The open custody: metadata store, blob store, signing keys and rules, ready for use cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use liuhen_blob::{BlobStore, LocalStore, S3Config, S3Store};
use liuhen_db::{Db, NewEntry};
use liuhen_domain::AuditAction;
use liuhen_merkle::keys::SigningKeys;

use crate::{AppError, Clock, Config, SystemClock};

pub struct OpenOptions {
    pub data_dir: PathBuf,
    /// Replaces the configured blob store (tests use the in-memory one).
    pub blobs: Option<Arc<dyn BlobStore>>,
    /// Replaces the configured database URL.
    pub database_url: Option<String>,
    /// Opens an existing data directory and writes nothing to it (`verify`, proofs, key
    /// export): no directory, key, instance id or database is created, nothing migrated
    /// or cleaned; what is missing is an error that names it.
    pub read_only: bool,
    /// Replaces the system clock (tests move time forward with [`crate::MovableClock`]).
    pub clock: Option<Arc<dyn Clock>>,
    /// Applies every migration not yet applied (`liuhen migrate`). Without it an empty
    /// database gets its schema and one that is behind is refused (`DbError::SchemaBehind`).
    pub migrate: bool,
}

impl OpenOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            blobs: None,
            database_url: None,
            read_only: false,
            clock: None,
            migrate: false,
        }
    }

    /// See [`OpenOptions::read_only`].
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
}

#[derive(Clone)]
pub struct Custody {
    pub(crate) db: Db,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) keys: Arc<SigningKeys>,
    pub(crate) config: Arc<Config>,
    pub(crate) origin: String,
    /// Names this server in the upload leases it takes (see `uploads::lease`).
    pub(crate) lease_holder: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) journal: Arc<crate::journal::Journal>,
    /// Hashing state of the uploads in progress (see `uploads`).
    pub(crate) uploads: Arc<crate::uploads::Sessions>,
    pub(crate) policy: Arc<liuhen_domain::access::Policy>,
    /// How printed forms look (`[pdf]`: red header, font).
    pub(crate) pdf_style: Arc<crate::pdf::Style>,
    /// Seals secrets stored in the database (TOTP), see [`crate::secrets`].
    pub(crate) secrets: Arc<crate::secrets::SecretKey>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The largest checkpoint this process has kept outside the database (`external`).
    pub(crate) published: Arc<std::sync::atomic::AtomicU64>,
}

impl Custody {
    /// Opens (creating on first start) the data directory: configuration, database,
    /// blob store, signing keys. The keys' creation is itself logged.
    pub async fn open(opts: OpenOptions) -> Result<Custody, AppError> {
        let dir = opts.data_dir;
        let read_only = opts.read_only;
        if read_only {
            if !dir.is_dir() {
                return Err(AppError::io(
                    &dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such data directory"),
                ));
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| AppError::io(&dir, e))?;
        }
        let config = Config::load(&dir)?;
        let policy = config.access_policy(&dir)?;
        let url = opts
            .database_url
            .unwrap_or_else(|| config.database_url(&dir));
        if !read_only {
            restrict_sqlite_files(&url)?;
        }
        let db = if read_only {
            Db::connect_existing(&url).await?
        } else if opts.migrate {
            Db::connect_migrating(&url).await?
        } else {
            Db::connect(&url).await?
        };
        // A failure from here on closes the database before answering, so that nothing
        // of it (SQLite's -wal/-shm files) stays behind.
        let clock = opts.clock.unwrap_or_else(|| Arc::new(SystemClock));
        match Self::assemble(
            db.clone(),
            opts.blobs,
            config,
            policy,
            dir,
            read_only,
            clock,
        )
        .await
        {
            Ok(custody) => Ok(custody),
            Err(e) => {
                db.close().await;
                Err(e)
            }
        }
    }

    async fn assemble(
        db: Db,
        blobs: Option<Arc<dyn BlobStore>>,
        config: Config,
        policy: liuhen_domain::access::Policy,
        dir: PathBuf,
        read_only: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Custody, AppError> {
        let blobs: Arc<dyn BlobStore> = match blobs {
            Some(b) => b,
            None => open_blobs(&config, &dir, read_only)?,
        };
        let key_dir = dir.join("keys");
        if !read_only {
            // A log already signed is signed by its identity only (issue 14).
            crate::signing_identity::check_keys(&db, &key_dir).await?;
        }
        let (keys, created) = if read_only {
            (SigningKeys::load_existing(&key_dir), false)
        } else {
            match SigningKeys::load_or_create(&key_dir) {
                Ok((keys, created)) => (Ok(keys), created),
                Err(e) => (Err(e), false),
            }
        };
        let keys = keys.map_err(|e| AppError::Keys(e.to_string()))?;
        let origin = format!("liuhen/{}", instance_id(&dir, read_only)?);
        if !read_only {
            crate::signing_identity::check_origin(&db, &origin, &dir).await?;
        }
        let pdf_style = pdf_style(&config, &dir)?;
        let secrets = crate::secrets::SecretKey::load(&key_dir, !read_only)?;
        let custody = Custody {
            journal: Arc::new(crate::journal::Journal::start(db.clone(), clock.clone())),
            db,
            blobs,
            keys: Arc::new(keys),
            config: Arc::new(config),
            origin,
            lease_holder: crate::uploads::lease_holder(&dir),
            data_dir: dir,
            uploads: Default::default(),
            policy: Arc::new(policy),
            pdf_style: Arc::new(pdf_style),
            secrets: Arc::new(secrets),
            clock,
            published: Default::default(),
        };
        if created {
            custody.log_keys_created().await?;
        }
        if custody.db.migrated_now(13) {
            // Rows made before identity by account: map what maps to exactly one account.
            custody.backfill_identities().await?;
        }
        if !read_only {
            custody.seal_plain_totp_secrets().await?;
        }
        Ok(custody)
    }

    /// The time of the use cases (the injected clock; the system's in production).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The metadata store. Not public (issue 11): the server and the CLI reach data through
    /// use cases; the crate's own tests and, with the `testing` feature, the other crates'
    /// tests use it to set up and inspect rows.
    #[cfg(any(test, feature = "testing"))]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The display names of these accounts (unknown ids are left out).
    pub async fn display_names(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        Ok(self.db.display_names(ids).await?)
    }

    /// The account id of a user name.
    pub async fn user_id_by_username(&self, username: &str) -> Result<Option<String>, AppError> {
        Ok(self.db.user_by_username(username).await?.map(|u| u.id))
    }

    /// How many entries the log has.
    pub async fn log_size(&self) -> Result<u64, AppError> {
        Ok(self.db.log_size().await?)
    }

    /// The schema migrations this process applied when it opened the store (`liuhen migrate`).
    pub fn migrations_applied(&self) -> &[i64] {
        self.db.migrations_applied()
    }

    /// How many records are in custody.
    pub async fn record_count(&self) -> Result<u64, AppError> {
        Ok(self.db.record_count().await?)
    }

    /// The last write's storage fault, until a write commits again (`/healthz` degraded).
    pub fn write_fault(&self) -> Option<liuhen_db::WriteFault> {
        self.db.write_fault()
    }

    /// How many write transactions this process has committed (a playback permission is
    /// never reused across one).
    pub fn commits(&self) -> u64 {
        self.db.commits()
    }

    /// Closes the database's connections (SQLite checkpoints and removes its -wal/-shm).
    pub async fn close(&self) {
        self.db.close().await
    }

    /// Appends an entry that records an act changing no other state (a view, a playback,
    /// a refusal, a sign-in). Concurrent events share one commit (group commit); returns
    /// once this entry is durable.
    pub async fn log_event(
        &self,
        entry: liuhen_db::NewEntry,
    ) -> Result<liuhen_db::AuditEntry, AppError> {
        self.journal.append(entry).await
    }

    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The access policy in force.
    pub fn policy(&self) -> &liuhen_domain::access::Policy {
        &self.policy
    }

    /// How printed forms look.
    pub fn pdf_style(&self) -> &crate::pdf::Style {
        &self.pdf_style
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// The checkpoint origin line: names this instance's log.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    async fn log_keys_created(&self) -> Result<(), AppError> {
        let public = self.keys.public_keys();
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: "system".into(),
                action: AuditAction::KeysCreated,
                subject: Some("keys".into()),
                details: serde_json::json!({
                    "ed25519_key_id": public.ed25519_key_id(),
                    "sm2_key_id": public.sm2_key_id(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The SQLite database file and its companions (WAL, shared memory, journal) are readable
/// by their owner only (0600): created so before SQLite opens them, and existing ones of
/// older installations changed. SQLite gives its WAL files the database file's mode.
fn restrict_sqlite_files(url: &str) -> Result<(), AppError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let main = PathBuf::from(path);
    if !main.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&main)
            .map_err(|e| AppError::io(&main, e))?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{path}{suffix}"));
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| AppError::io(&p, e))?;
        }
    }
    Ok(())
}

fn open_blobs(
    config: &Config,
    dir: &Path,
    read_only: bool,
) -> Result<Arc<dyn BlobStore>, AppError> {
    Ok(match (config.storage.blobs.as_str(), &config.storage.s3) {
        ("s3", Some(s3)) => {
            let store = S3Store::new(S3Config {
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
                bucket: s3.bucket.clone(),
                access_key: s3.access_key.clone(),
                secret_key: s3.secret_key.clone(),
            })?;
            if !read_only {
                store.ensure_bucket()?;
            }
            Arc::new(store)
        }
        _ if read_only => Arc::new(LocalStore::open_read_only(&Config::blob_dir(dir))?),
        _ => Arc::new(LocalStore::open(&Config::blob_dir(dir))?),
    })
}

/// A stable identifier of this data directory, created on first start (never by a
/// read-only command: there a missing one is an error).
fn instance_id(dir: &Path, read_only: bool) -> Result<String, AppError> {
    let path = dir.join("instance-id");
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AppError::io(&path, e)),
        _ if read_only => Err(AppError::Invalid(format!(
            "the instance id {} is missing or empty: the log's origin cannot be known              (a read-only command does not create it; restore it from a backup)",
            path.display()
        ))),
        _ => {
            let id = uuid::Uuid::now_v7().to_string();
            write_durably(dir, "instance-id", format!("{id}\n").as_bytes())
                .map_err(|e| AppError::io(&path, e))?;
            Ok(id)
        }
    }
}

/// Writes `dir/name` so that it survives a power cut once this returns: a temporary file,
/// synced, renamed into place, the directory synced (a power-loss test on LazyFS found the
/// instance id empty after a cut when it was written without a sync).
fn write_durably(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dir.join(name))?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The printed forms' style from `[pdf]`; a font that cannot be read stops the start.
fn pdf_style(config: &Config, dir: &Path) -> Result<crate::pdf::Style, AppError> {
    let font = config.pdf.font.trim();
    let path = (!font.is_empty()).then(|| dir.join(font).to_string_lossy().into_owned());
    let header = config.pdf.header.trim();
    let mut style = crate::pdf::Style::default();
    style.header = (!header.is_empty()).then(|| header.to_owned());
    style
        .with_font(path.as_deref(), config.pdf.font_index)
        .map_err(|e| AppError::Invalid(format!("[pdf] font: {e}")))
}
