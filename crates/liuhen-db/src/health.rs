//! Whether writes to the metadata store currently succeed. A write that fails because the
//! disk is full or failing marks the store degraded; the next committed write clears it,
//! so the process recovers by itself when space returns. Read by `/healthz`.

use std::sync::{Arc, Mutex};

use crate::DbError;
use crate::error::StorageFault;

#[derive(Clone, Default)]
pub(crate) struct WriteHealth(Arc<Mutex<Option<WriteFault>>>);

/// The last write failure caused by the storage, until a write commits again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFault {
    pub fault: StorageFault,
    /// The database's own words (e.g. "database or disk is full").
    pub message: String,
}

impl WriteHealth {
    /// Wraps a failed statement of a write transaction, noting a storage fault.
    pub(crate) fn failed(&self, source: sqlx::Error, context: &'static str) -> DbError {
        if let Some(fault) = StorageFault::of_sqlx(&source) {
            tracing::error!(error = %source, ?fault, context, "a write failed: storage fault");
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(WriteFault {
                fault,
                message: source.to_string(),
            });
        }
        DbError::Query { context, source }
    }

    pub(crate) fn succeeded(&self) {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if state.take().is_some() {
            tracing::info!("writes succeed again");
        }
    }

    pub(crate) fn current(&self) -> Option<WriteFault> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
