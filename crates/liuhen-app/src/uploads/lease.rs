//! The upload's lease in the database: what makes one upload written by one request at a
//! time across every server of a group (the in-memory [`Sessions`] lock only covers one
//! process). The lease is a fencing token on the row (migration 0036): taking it is one
//! conditional `UPDATE`, so of two servers racing exactly one wins and the other answers
//! `Busy` (423); the offset only advances under the current token; a PATCH renews it while
//! bytes flow and gives it up when it ends. A server that dies mid-PATCH leaves a lease
//! that lapses after `[uploads] lease_seconds`, or sooner: a token starts with its server's
//! holder name (this host and data directory), and a server starting up gives up the leases
//! its previous run left (`release_own_upload_leases`), so a restart after a crash does not
//! block the uploads it was writing until they lapse.

use std::time::Duration;

use super::*;

/// A lease held on one upload.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(super) token: String,
    until_ms: i64,
}

/// This server's name in lease tokens: a digest of the host name and the data directory, so
/// two servers of a group (different hosts or directories) never share one, while a restart
/// of the same server keeps it.
pub(crate) fn lease_holder(data_dir: &std::path::Path) -> String {
    use sha2::Digest as _;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let mut h = sha2::Sha256::new();
    h.update(host.trim().as_bytes());
    h.update([0]);
    h.update(dir.as_os_str().as_encoded_bytes());
    hex::encode(&h.finalize()[..8])
}

impl Custody {
    /// Gives up every upload lease this server's earlier run held: called once when `serve`
    /// starts, before it accepts a request (no request of this server can hold one yet).
    pub async fn release_own_upload_leases(&self) -> Result<u64, AppError> {
        let n = self
            .db
            .release_upload_leases_of(&format!("{}/", self.lease_holder))
            .await?;
        if n > 0 {
            tracing::info!(
                leases = n,
                "released the upload leases of this server's last run"
            );
        }
        Ok(n)
    }

    fn lease_ms(&self) -> i64 {
        i64::from(self.config.uploads.lease_seconds) * 1000
    }

    /// Takes the upload's lease now, or `Busy` when another request holds it.
    pub(super) async fn take_lease(&self, id: &str) -> Result<Lease, AppError> {
        let token = format!("{}/{}", self.lease_holder, uuid::Uuid::now_v7());
        let now = self.now().as_millisecond();
        let until_ms = now + self.lease_ms();
        match self.db.take_upload_lease(id, &token, now, until_ms).await {
            Ok(true) => Ok(Lease { token, until_ms }),
            Ok(false) => Err(UploadError::Busy.into()),
            Err(e) => {
                // The update may have landed although its commit reported a failure (a
                // failed sync): give the token up rather than leave the upload blocked.
                self.release_lease(id, Lease { token, until_ms }).await;
                Err(e.into())
            }
        }
    }

    /// Waits (at most `limit`) for the holder to finish, then takes the lease.
    pub(super) async fn take_lease_within(
        &self,
        id: &str,
        limit: Duration,
    ) -> Result<Lease, AppError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match self.take_lease(id).await {
                Err(AppError::Upload(UploadError::Busy))
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// Extends the lease once half of it has run; `LeaseLost` when another request has
    /// taken it over (this one lapsed): the caller must stop writing.
    pub(super) async fn renew_lease_if_due(
        &self,
        id: &str,
        lease: &mut Lease,
    ) -> Result<(), AppError> {
        let now = self.now().as_millisecond();
        if lease.until_ms - now > self.lease_ms() / 2 {
            return Ok(());
        }
        let until_ms = now + self.lease_ms();
        if !self
            .db
            .renew_upload_lease(id, &lease.token, until_ms)
            .await?
        {
            return Err(UploadError::LeaseLost.into());
        }
        lease.until_ms = until_ms;
        Ok(())
    }

    /// Whether `lease` still holds the upload (renewing it).
    pub(super) async fn still_holds(&self, id: &str, lease: &Lease) -> Result<bool, AppError> {
        let until_ms = self.now().as_millisecond() + self.lease_ms();
        Ok(self
            .db
            .renew_upload_lease(id, &lease.token, until_ms)
            .await?)
    }

    /// Renews the lease every third of its length until aborted (for a step that makes
    /// no progress the lease could follow, like adopting a large file).
    pub(super) fn keep_lease_alive(&self, id: &str, lease: &Lease) -> tokio::task::JoinHandle<()> {
        let (c, id, token) = (self.clone(), id.to_owned(), lease.token.clone());
        let every = Duration::from_millis((self.lease_ms() / 3).max(1) as u64);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let until_ms = c.now().as_millisecond() + c.lease_ms();
                match c.db.renew_upload_lease(&id, &token, until_ms).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(upload = %id, error = %e, "cannot renew an upload's lease")
                    }
                }
            }
        })
    }

    /// Gives the lease up; a failure only delays the next request until it lapses.
    pub(super) async fn release_lease(&self, id: &str, lease: Lease) {
        self.release_token(id, &lease.token).await;
    }

    /// Gives up the lease `token` holds, if it still does; tried twice (a failed sync
    /// fails one commit), else the lease lapses.
    pub(super) async fn release_token(&self, id: &str, token: &str) {
        for attempt in 0..2 {
            match self.db.release_upload_lease(id, token).await {
                Ok(()) => return,
                Err(e) if attempt == 1 => {
                    tracing::warn!(upload = %id, error = %e, "cannot release an upload's lease; it lapses")
                }
                Err(_) => {}
            }
        }
    }
}
