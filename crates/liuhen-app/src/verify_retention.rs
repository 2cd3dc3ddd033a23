//! `verify`, retention part: each original's lock in the store (local retention sidecar,
//! S3 COMPLIANCE retain-until) must reach at least the record's retain-until. A lock
//! shortened around liuhen (a sidecar edited by hand) is tampering, as is a lock missing.

use liuhen_blob::BlobError;
use liuhen_domain::Record;

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

impl Custody {
    pub(crate) async fn check_locks(
        &self,
        records: &[Record],
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        for r in records {
            let subject = format!("record:{}", r.id);
            let blobs = self.blobs.clone();
            let sha = r.sha256;
            match tokio::task::spawn_blocking(move || blobs.retention(&sha)).await? {
                Ok(Some(lock)) if lock >= r.retain_until => {}
                Ok(Some(lock)) => report.push_problem(
                    "lock_short",
                    &subject,
                    format!(
                        "original of record {} is locked only until {lock}, but the record is kept until {}: \
                         its retention was shortened outside liuhen",
                        r.id, r.retain_until
                    ),
                ),
                Ok(None) => report.push_problem(
                    "lock_missing",
                    &subject,
                    format!(
                        "original of record {} has no retention lock in the store (kept until {})",
                        r.id, r.retain_until
                    ),
                ),
                // A missing original is reported by the fixity pass (`blob_missing`).
                Err(BlobError::NotFound(_)) => {}
                Err(e) => report.push_problem(
                    "lock_unreadable",
                    &subject,
                    format!("retention lock of record {}: {e}", r.id),
                ),
            }
        }
        Ok(())
    }
}
