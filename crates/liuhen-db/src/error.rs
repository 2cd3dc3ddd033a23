#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration {version} failed")]
    Migrate {
        version: i64,
        #[source]
        source: sqlx::Error,
    },
    #[error("database error while {context}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A read-only command found no store, or one whose schema is older than this program
    /// (it never creates or migrates one).
    #[error(
        "no current liuhen database at {0}: a read-only command neither creates nor migrates it"
    )]
    NotCurrent(String),
    /// The database has a schema, older than this program's: it is migrated only by
    /// `liuhen migrate` (after a backup), never by a start.
    #[error(
        "the database schema is behind this liuhen (migrations {missing:?} not applied): \
         back it up, then run `liuhen migrate` (docs/operations.md)"
    )]
    SchemaBehind { missing: Vec<i64> },
    /// A stored row does not decode into the domain type (a damaged or hand-edited row).
    #[error("stored {what} is invalid: {detail}")]
    Corrupt { what: String, detail: String },
}

impl DbError {
    pub(crate) fn connect(url: String, source: sqlx::Error) -> Self {
        Self::Connect { url, source }
    }
}

pub(crate) trait QueryContext<T> {
    fn ctx(self, context: &'static str) -> Result<T, DbError>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn ctx(self, context: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Query { context, source })
    }
}

/// A write that failed because of the storage under the database, not the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// SQLITE_FULL, PostgreSQL `53100 disk_full`, ENOSPC / EDQUOT.
    DiskFull,
    /// SQLITE_IOERR (any extended code), PostgreSQL `58030 io_error`, EIO.
    Io,
}

impl StorageFault {
    /// Classifies one sqlx error (the driver's result code, or the OS error).
    pub fn of_sqlx(e: &sqlx::Error) -> Option<StorageFault> {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if let Ok(n) = code.parse::<i64>() {
                    // SQLite: the primary result code is the low byte of the extended one.
                    // SQLITE_IOERR_SHMSIZE (4874): the shared-memory file could not grow,
                    // which on Linux means ENOSPC.
                    if n == 4874 {
                        return Some(StorageFault::DiskFull);
                    }
                    return match n & 0xff {
                        13 => Some(StorageFault::DiskFull),
                        10 => Some(StorageFault::Io),
                        _ => None,
                    };
                }
                match code.as_ref() {
                    "53100" => Some(StorageFault::DiskFull),
                    "58030" => Some(StorageFault::Io),
                    _ => None,
                }
            }
            sqlx::Error::Io(io) => Self::of_io(io),
            _ => None,
        }
    }

    pub fn of_io(e: &std::io::Error) -> Option<StorageFault> {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                Some(StorageFault::DiskFull)
            }
            _ if e.raw_os_error() == Some(5) => Some(StorageFault::Io),
            _ => None,
        }
    }
}

impl DbError {
    /// Whether this error is the disk being full or failing (see [`StorageFault`]).
    pub fn storage_fault(&self) -> Option<StorageFault> {
        match self {
            DbError::Connect { source, .. }
            | DbError::Migrate { source, .. }
            | DbError::Query { source, .. } => StorageFault::of_sqlx(source),
            DbError::UnsupportedUrl(_)
            | DbError::Corrupt { .. }
            | DbError::NotCurrent(_)
            | DbError::SchemaBehind { .. } => None,
        }
    }
}

/// [`QueryContext`] for a statement of a write transaction: a storage fault also marks
/// the store degraded (see `health`).
pub(crate) trait InTx<T> {
    fn in_tx(
        self,
        health: &crate::health::WriteHealth,
        context: &'static str,
    ) -> Result<T, DbError>;
}

impl<T> InTx<T> for Result<T, sqlx::Error> {
    fn in_tx(
        self,
        health: &crate::health::WriteHealth,
        context: &'static str,
    ) -> Result<T, DbError> {
        self.map_err(|source| health.failed(source, context))
    }
}
