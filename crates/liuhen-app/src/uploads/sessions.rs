//! Per-upload lock and hashing state, in memory.

use super::*;

/// The hashing state of an upload: SHA-256 and SM3 of the bytes received so far.
#[derive(Default)]
pub(crate) struct UploadHash {
    pub(super) dual: DualHasher,
}

type Slot = Arc<tokio::sync::Mutex<Option<UploadHash>>>;

/// Per-upload lock and hashing state (in memory; see the module docs).
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Slot>>,
}

impl Sessions {
    pub(super) fn slot(&self, id: &str) -> Slot {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_owned()).or_default().clone()
    }

    pub(super) fn lock(
        &self,
        id: &str,
    ) -> Result<OwnedMutexGuard<Option<UploadHash>>, UploadError> {
        self.slot(id)
            .try_lock_owned()
            .map_err(|_| UploadError::Busy)
    }

    /// Waits (at most `limit`) for whoever holds the upload: a PATCH or the completion
    /// that follows the last byte.
    pub(super) async fn lock_within(
        &self,
        id: &str,
        limit: std::time::Duration,
    ) -> Result<OwnedMutexGuard<Option<UploadHash>>, UploadError> {
        tokio::time::timeout(limit, self.slot(id).lock_owned())
            .await
            .map_err(|_| UploadError::Busy)
    }

    pub(super) fn forget(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}
