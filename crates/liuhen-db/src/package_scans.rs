//! The signed disc-burn form's scans (issue 19, migration 0035): each scan is a blob of the
//! blob store, bound here to its package and written in the transaction of its
//! `package.scan_attached` entry.

use sqlx::Row;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageScanRow {
    pub package: String,
    pub sha256: String,
    pub request_id: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub attached_ms: i64,
    pub attached_by: String,
}

impl Tx {
    /// Binds a scan to its package; attaching the same bytes again changes nothing.
    pub async fn put_package_scan(&mut self, s: &PackageScanRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO package_scans (package, sha256, request_id, file_name, media_type, \
             size_bytes, attached_ms, attached_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (package, sha256) DO NOTHING",
        )
        .bind(s.package.as_str())
        .bind(s.sha256.as_str())
        .bind(s.request_id.as_str())
        .bind(s.file_name.as_str())
        .bind(s.media_type.as_str())
        .bind(s.size_bytes)
        .bind(s.attached_ms)
        .bind(s.attached_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "attaching a burn-form scan")?;
        Ok(done.rows_affected() > 0)
    }
}

impl Db {
    /// The scans of `package`, oldest first.
    pub async fn package_scans(&self, package: &str) -> Result<Vec<PackageScanRow>, DbError> {
        let rows = sqlx::query(
            "SELECT package, sha256, request_id, file_name, media_type, size_bytes, \
             attached_ms, attached_by FROM package_scans WHERE package = $1 \
             ORDER BY attached_ms, sha256",
        )
        .bind(package)
        .fetch_all(self.pool())
        .await
        .ctx("reading a package's scans")?;
        let c = "decoding a package scan";
        rows.iter()
            .map(|r| {
                Ok(PackageScanRow {
                    package: r.try_get("package").ctx(c)?,
                    sha256: r.try_get("sha256").ctx(c)?,
                    request_id: r.try_get("request_id").ctx(c)?,
                    file_name: r.try_get("file_name").ctx(c)?,
                    media_type: r.try_get("media_type").ctx(c)?,
                    size_bytes: r.try_get("size_bytes").ctx(c)?,
                    attached_ms: r.try_get("attached_ms").ctx(c)?,
                    attached_by: r.try_get("attached_by").ctx(c)?,
                })
            })
            .collect()
    }
}
