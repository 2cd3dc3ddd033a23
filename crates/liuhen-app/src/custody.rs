//! The open custody: metadata store, blob store, signing keys and rules, ready for use cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use liuhen_blob::{BlobStore, LocalStore, S3Config, S3Store};
use liuhen_db::{Db, NewEntry};
use liuhen_domain::AuditAction;
use liuhen_merkle::keys::SigningKeys;

use crate::{AppError, Config};

pub struct OpenOptions {
    pub data_dir: PathBuf,
    /// Replaces the configured blob store (tests use the in-memory one).
    pub blobs: Option<Arc<dyn BlobStore>>,
    /// Replaces the configured database URL.
    pub database_url: Option<String>,
}

impl OpenOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            blobs: None,
            database_url: None,
        }
    }
}

#[derive(Clone)]
pub struct Custody {
    pub(crate) db: Db,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) keys: Arc<SigningKeys>,
    pub(crate) config: Arc<Config>,
    pub(crate) origin: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) journal: Arc<crate::journal::Journal>,
    /// Hashing state of the uploads in progress (see `uploads`).
    pub(crate) uploads: Arc<crate::uploads::Sessions>,
    pub(crate) policy: Arc<liuhen_domain::access::Policy>,
    /// How printed forms look (`[pdf]`: red header, font).
    pub(crate) pdf_style: Arc<crate::pdf::Style>,
}

impl Custody {
    /// Opens (creating on first start) the data directory: configuration, database,
    /// blob store, signing keys. The keys' creation is itself logged.
    pub async fn open(opts: OpenOptions) -> Result<Custody, AppError> {
        let dir = opts.data_dir;
        std::fs::create_dir_all(&dir).map_err(|e| AppError::io(&dir, e))?;
        let config = Config::load(&dir)?;
        let policy = config.access_policy(&dir)?;
        let url = opts
            .database_url
            .unwrap_or_else(|| config.database_url(&dir));
        let db = Db::connect(&url).await?;
        let blobs: Arc<dyn BlobStore> = match opts.blobs {
            Some(b) => b,
            None => open_blobs(&config, &dir)?,
        };
        let key_dir = dir.join("keys");
        let (keys, created) =
            SigningKeys::load_or_create(&key_dir).map_err(|e| AppError::Keys(e.to_string()))?;
        let origin = format!("liuhen/{}", instance_id(&dir)?);
        let pdf_style = pdf_style(&config, &dir)?;
        let custody = Custody {
            journal: Arc::new(crate::journal::Journal::start(db.clone())),
            db,
            blobs,
            keys: Arc::new(keys),
            config: Arc::new(config),
            origin,
            data_dir: dir,
            uploads: Default::default(),
            policy: Arc::new(policy),
            pdf_style: Arc::new(pdf_style),
        };
        if created {
            custody.log_keys_created().await?;
        }
        if custody.db.migrated_now(13) {
            // Rows made before identity by account: map what maps to exactly one account.
            custody.backfill_identities().await?;
        }
        Ok(custody)
    }

    pub fn db(&self) -> &Db {
        &self.db
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
            Timestamp::now(),
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

fn open_blobs(config: &Config, dir: &Path) -> Result<Arc<dyn BlobStore>, AppError> {
    Ok(match (config.storage.blobs.as_str(), &config.storage.s3) {
        ("s3", Some(s3)) => {
            let store = S3Store::new(S3Config {
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
                bucket: s3.bucket.clone(),
                access_key: s3.access_key.clone(),
                secret_key: s3.secret_key.clone(),
            })?;
            store.ensure_bucket()?;
            Arc::new(store)
        }
        _ => Arc::new(LocalStore::open(&Config::blob_dir(dir))?),
    })
}

/// A stable identifier of this data directory, created on first start.
fn instance_id(dir: &Path) -> Result<String, AppError> {
    let path = dir.join("instance-id");
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AppError::io(&path, e)),
        _ => {
            let id = uuid::Uuid::now_v7().to_string();
            std::fs::write(&path, format!("{id}\n")).map_err(|e| AppError::io(&path, e))?;
            Ok(id)
        }
    }
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
