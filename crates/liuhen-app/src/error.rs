use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("configuration {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] liuhen_db::DbError),
    #[error(transparent)]
    Blob(#[from] liuhen_blob::BlobError),
    #[error("signing keys: {0}")]
    Keys(String),
    /// Bad input, in the use case's own words (shown as written). Being replaced by
    /// [`AppError::Input`]: new code uses that.
    #[error("{0}")]
    Invalid(String),
    /// Bad input as a code with parameters, rendered by the server through its catalogs
    /// (`error.<code>`) in the interface language.
    #[error("invalid: {0}")]
    Input(liuhen_domain::Message),
    #[error("{0} not found")]
    NotFound(String),
    /// Refused by the access policy (already logged). The message is the catalog's
    /// `error.<code>`.
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str },
    /// Refused by a rule of the access workflow (self-approval, skipped step, …); logged.
    /// `message` is rendered by the server through its catalogs.
    #[error("refused: {code}: {message}")]
    Refused {
        code: &'static str,
        message: liuhen_domain::Message,
    },
    /// A resumable upload refused a request (bad metadata, wrong offset, checksum, ...).
    #[error(transparent)]
    Upload(#[from] crate::uploads::UploadError),
    #[error("background task failed: {0}")]
    Task(String),
    /// A write of the audit journal failed because the disk is full or failing.
    #[error("the audit journal could not write: {message}")]
    Storage {
        fault: liuhen_db::StorageFault,
        message: String,
    },
}

impl AppError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl AppError {
    /// Whether this error is the disk being full or failing (database, blob store or any
    /// file of the data directory): such a request changed nothing and may be retried
    /// once space returns.
    pub fn storage_fault(&self) -> Option<liuhen_db::StorageFault> {
        use liuhen_db::StorageFault;
        match self {
            AppError::Db(e) => e.storage_fault(),
            AppError::Storage { fault, .. } => Some(*fault),
            AppError::Io { source, .. } => StorageFault::of_io(source),
            AppError::Blob(liuhen_blob::BlobError::Io { source, .. }) => {
                StorageFault::of_io(source)
            }
            _ => None,
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Task(e.to_string())
    }
}

/// An error and its sources, "outer: inner: …" (the database's own words included).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
