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
