//! Rows of resumable uploads and of derivatives (browser-playable proxies, thumbnails).
//!
//! An upload's offset only advances after the bytes are durable in its partial file; the
//! row is the truth `HEAD` answers from. Creation, termination, expiry and completion change
//! state inside a [`Tx`] together with their audit entry; the offset of an active upload is
//! progress, written on its own.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    Active,
    Completed,
    Terminated,
    Expired,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Terminated => "terminated",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self, DbError> {
        Ok(match s {
            "active" => Self::Active,
            "completed" => Self::Completed,
            "terminated" => Self::Terminated,
            "expired" => Self::Expired,
            other => {
                return Err(DbError::Corrupt {
                    what: "upload state".into(),
                    detail: format!("{other:?}"),
                });
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: String,
    pub owner_id: String,
    pub length: u64,
    pub offset: u64,
    /// JSON object of the validated metadata.
    pub metadata: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub state: UploadState,
    pub record_id: Option<String>,
}

const UPLOAD_COLUMNS: &str =
    "id, owner_id, length, upload_offset, metadata, created_ms, updated_ms, state, record_id";

fn decode_upload(row: &AnyRow) -> Result<UploadRow, DbError> {
    let c = "decoding an upload";
    Ok(UploadRow {
        id: row.try_get("id").ctx(c)?,
        owner_id: row.try_get("owner_id").ctx(c)?,
        length: row.try_get::<i64, _>("length").ctx(c)? as u64,
        offset: row.try_get::<i64, _>("upload_offset").ctx(c)? as u64,
        metadata: row.try_get("metadata").ctx(c)?,
        created_ms: row.try_get("created_ms").ctx(c)?,
        updated_ms: row.try_get("updated_ms").ctx(c)?,
        state: UploadState::parse(&row.try_get::<String, _>("state").ctx(c)?)?,
        record_id: row.try_get("record_id").ctx(c)?,
    })
}

/// A proxy or thumbnail of an original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivativeRow {
    pub original_sha256: String,
    /// "proxy" or "thumbnail".
    pub kind: String,
    pub derivative_sha256: Option<String>,
    pub size_bytes: Option<u64>,
    /// "ready" or "failed".
    pub status: String,
    pub error: Option<String>,
    pub created_ms: i64,
}

fn decode_derivative(row: &AnyRow) -> Result<DerivativeRow, DbError> {
    let c = "decoding a derivative";
    Ok(DerivativeRow {
        original_sha256: row.try_get("original_sha256").ctx(c)?,
        kind: row.try_get("kind").ctx(c)?,
        derivative_sha256: row.try_get("derivative_sha256").ctx(c)?,
        size_bytes: row
            .try_get::<Option<i64>, _>("size_bytes")
            .ctx(c)?
            .map(|v| v as u64),
        status: row.try_get("status").ctx(c)?,
        error: row.try_get("error").ctx(c)?,
        created_ms: row.try_get("created_ms").ctx(c)?,
    })
}

impl Db {
    pub async fn upload(&self, id: &str) -> Result<Option<UploadRow>, DbError> {
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading an upload")?;
        row.as_ref().map(decode_upload).transpose()
    }

    /// Records progress of an active upload (after its bytes are durable), fenced by the
    /// lease: `false` (nothing changed) when `token` no longer holds it.
    pub async fn set_upload_offset(
        &self,
        id: &str,
        token: &str,
        offset: u64,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET upload_offset = $1, updated_ms = $2 \
             WHERE id = $3 AND state = 'active' AND lease_token = $4",
        )
        .bind(offset as i64)
        .bind(now_ms)
        .bind(id)
        .bind(token)
        .execute(self.pool())
        .await
        .ctx("advancing an upload")?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes the lease of an active upload for `token` until `until_ms`, unless another
    /// holder's lease is still running at `now_ms`. One statement, so of two servers
    /// racing for it exactly one wins.
    pub async fn take_upload_lease(
        &self,
        id: &str,
        token: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET lease_token = $1, lease_until_ms = $2 \
             WHERE id = $3 AND state = 'active' \
             AND (lease_token IS NULL OR lease_until_ms IS NULL OR lease_until_ms < $4)",
        )
        .bind(token)
        .bind(until_ms)
        .bind(id)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .ctx("taking an upload's lease")?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends the lease `token` holds; `false` when it holds it no longer.
    pub async fn renew_upload_lease(
        &self,
        id: &str,
        token: &str,
        until_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET lease_until_ms = $1 \
             WHERE id = $2 AND state = 'active' AND lease_token = $3",
        )
        .bind(until_ms)
        .bind(id)
        .bind(token)
        .execute(self.pool())
        .await
        .ctx("renewing an upload's lease")?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up (if `token` still holds it).
    pub async fn release_upload_lease(&self, id: &str, token: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE uploads SET lease_token = NULL, lease_until_ms = NULL \
             WHERE id = $1 AND lease_token = $2",
        )
        .bind(id)
        .bind(token)
        .execute(self.pool())
        .await
        .ctx("releasing an upload's lease")?;
        Ok(())
    }

    /// Clears every lease whose token starts with `prefix` (a server's holder name and `/`:
    /// hex digits, so no `LIKE` wildcard); returns how many.
    pub async fn release_upload_leases_of(&self, prefix: &str) -> Result<u64, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET lease_token = NULL, lease_until_ms = NULL \
             WHERE lease_token LIKE $1",
        )
        .bind(format!("{prefix}%"))
        .execute(self.pool())
        .await
        .ctx("releasing a server's upload leases")?;
        Ok(done.rows_affected())
    }

    /// Active uploads not touched since `before_ms` (candidates for expiry).
    pub async fn idle_uploads(&self, before_ms: i64) -> Result<Vec<UploadRow>, DbError> {
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE state = 'active' AND updated_ms < $1 ORDER BY updated_ms"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(before_ms)
            .fetch_all(self.pool())
            .await
            .ctx("listing idle uploads")?;
        rows.iter().map(decode_upload).collect()
    }

    /// Active uploads whose bytes are all in (finishing was interrupted).
    pub async fn complete_unfinished_uploads(&self) -> Result<Vec<UploadRow>, DbError> {
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE state = 'active' AND upload_offset = length"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .ctx("listing unfinished uploads")?;
        rows.iter().map(decode_upload).collect()
    }

    pub async fn derivative(
        &self,
        original_sha256: &str,
        kind: &str,
    ) -> Result<Option<DerivativeRow>, DbError> {
        let row = sqlx::query(
            "SELECT original_sha256, kind, derivative_sha256, size_bytes, status, error, created_ms \
             FROM derivatives WHERE original_sha256 = $1 AND kind = $2",
        )
        .bind(original_sha256)
        .bind(kind)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a derivative")?;
        row.as_ref().map(decode_derivative).transpose()
    }

    /// Ids of video records that have no thumbnail row yet (neither ready nor failed).
    /// SHA-256 (hex) of every stored blob that is not an original: derivatives (proxies,
    /// thumbnails), copy statements, paper scans and burn-form scans. `verify` does not count them as
    /// orphans.
    pub async fn secondary_blobs(&self) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT derivative_sha256 AS sha FROM derivatives WHERE derivative_sha256 IS NOT NULL \
             UNION SELECT statement_sha256 FROM access_copies \
             UNION SELECT sha256 FROM access_papers \
             UNION SELECT sha256 FROM package_scans",
        )
        .fetch_all(self.pool())
        .await
        .ctx("listing derivative, statement and scan blobs")?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .ctx("listing derivative, statement and scan blobs")
    }

    /// Every blob a derivative, copy statement or paper scan names, with what names it:
    /// `(kind, owner, sha256, size)`; kind `derivative` (owner: the original's SHA-256),
    /// `statement` (owner: the copy's id), `scan` (owner: `<request>:<paper>`). `verify`
    /// re-hashes them; the fixity pass gives derivatives the lock of their original.
    pub async fn secondary_blob_refs(
        &self,
    ) -> Result<Vec<(String, String, String, Option<i64>)>, DbError> {
        let rows = sqlx::query(
            "SELECT 'derivative' AS kind, original_sha256 AS owner, derivative_sha256 AS sha, \
             size_bytes AS size FROM derivatives WHERE derivative_sha256 IS NOT NULL \
             UNION ALL SELECT 'statement', id, statement_sha256, NULL FROM access_copies \
             UNION ALL SELECT 'scan', request_id || ':' || paper, sha256, size_bytes \
             FROM access_papers \
             UNION ALL SELECT 'burn_scan', package, sha256, size_bytes FROM package_scans",
        )
        .fetch_all(self.pool())
        .await
        .ctx("listing derivative, statement and scan blobs")?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>(0)?,
                    r.try_get::<String, _>(1)?,
                    r.try_get::<String, _>(2)?,
                    r.try_get::<Option<i64>, _>(3)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("listing derivative, statement and scan blobs")
    }

    pub async fn videos_without_derivatives(&self, limit: u32) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT r.id AS id FROM records r WHERE r.kind = 'video' AND NOT EXISTS \
             (SELECT 1 FROM derivatives d WHERE d.original_sha256 = r.sha256 AND d.kind = 'thumbnail') \
             ORDER BY r.stored_at_ms LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("listing videos without derivatives")?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id").ctx("listing videos"))
            .collect()
    }
}

impl Tx {
    pub async fn insert_upload(&mut self, u: &UploadRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(u.id.as_str())
            .bind(u.owner_id.as_str())
            .bind(u.length as i64)
            .bind(u.offset as i64)
            .bind(u.metadata.as_str())
            .bind(u.created_ms)
            .bind(u.updated_ms)
            .bind(u.state.as_str())
            .bind(u.record_id.clone())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting an upload")?;
        Ok(())
    }

    /// Moves an active upload to `state`; `false` when it was no longer active.
    pub async fn close_upload(
        &mut self,
        id: &str,
        state: UploadState,
        record_id: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET state = $1, record_id = $2, updated_ms = $3, \
             lease_token = NULL, lease_until_ms = NULL WHERE id = $4 AND state = 'active'",
        )
        .bind(state.as_str())
        .bind(record_id.map(str::to_owned))
        .bind(now_ms)
        .bind(id)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "closing an upload")?;
        Ok(done.rows_affected() == 1)
    }

    /// Completes an active upload with its record, only while `token` holds its lease
    /// (fencing); `false` when it does not (nothing changed).
    pub async fn complete_upload(
        &mut self,
        id: &str,
        token: &str,
        record_id: &str,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET state = 'completed', record_id = $1, updated_ms = $2, \
             lease_token = NULL, lease_until_ms = NULL \
             WHERE id = $3 AND state = 'active' AND lease_token = $4",
        )
        .bind(record_id)
        .bind(now_ms)
        .bind(id)
        .bind(token)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "completing an upload")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_derivative(&mut self, d: &DerivativeRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO derivatives (original_sha256, kind, derivative_sha256, size_bytes, status, error, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.original_sha256.as_str())
        .bind(d.kind.as_str())
        .bind(d.derivative_sha256.clone())
        .bind(d.size_bytes.map(|v| v as i64))
        .bind(d.status.as_str())
        .bind(d.error.clone())
        .bind(d.created_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting a derivative")?;
        Ok(())
    }
}
