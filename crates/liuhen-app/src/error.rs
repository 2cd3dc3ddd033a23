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
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// Refused by the access policy (already logged).
    #[error("forbidden: {code}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    /// Refused by a rule of the access workflow (self-approval, skipped step, …); logged.
    #[error("refused: {code}")]
    Refused { code: &'static str, message: String },
    /// A resumable upload refused a request (bad metadata, wrong offset, checksum, ...).
    #[error(transparent)]
    Upload(#[from] crate::uploads::UploadError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl AppError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Task(e.to_string())
    }
}
