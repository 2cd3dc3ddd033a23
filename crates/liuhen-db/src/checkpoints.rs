//! Signed checkpoints (tree size, root, time) as stored. Signing and verification live in
//! `liuhen-merkle`; this module only keeps the rows.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub id: i64,
    pub tree_size: u64,
    pub root: Vec<u8>,
    pub timestamp_ms: i64,
    pub body: String,
    pub ed25519_sig: Vec<u8>,
    pub sm2_sig: Vec<u8>,
}

fn decode(row: &AnyRow) -> Result<StoredCheckpoint, sqlx::Error> {
    Ok(StoredCheckpoint {
        id: row.try_get("id")?,
        tree_size: row.try_get::<i64, _>("tree_size")? as u64,
        root: row.try_get("root")?,
        timestamp_ms: row.try_get("timestamp_ms")?,
        body: row.try_get("body")?,
        ed25519_sig: row.try_get("ed25519_sig")?,
        sm2_sig: row.try_get("sm2_sig")?,
    })
}

impl Tx {
    pub async fn insert_checkpoint(&mut self, c: &StoredCheckpoint) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO checkpoints (tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.tree_size as i64)
        .bind(c.root.clone())
        .bind(c.timestamp_ms)
        .bind(c.body.clone())
        .bind(c.ed25519_sig.clone())
        .bind(c.sm2_sig.clone())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "storing a checkpoint")?;
        Ok(())
    }
}

impl Db {
    /// Every checkpoint in the order they were stored.
    pub async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, DbError> {
        let rows = sqlx::query(
            "SELECT id, tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig FROM checkpoints ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .ctx("reading checkpoints")?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .ctx("decoding checkpoints")
    }

    /// Every checkpoint in the order stored, each row decoded on its own: a row that does
    /// not decode is returned as its error (with its id), not as a failure of the whole
    /// read (`verify` names it and goes on).
    pub async fn checkpoints_lenient(
        &self,
    ) -> Result<Vec<(i64, Result<StoredCheckpoint, DbError>)>, DbError> {
        let rows = sqlx::query(
            "SELECT id, tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig FROM checkpoints ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .ctx("reading checkpoints")?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id").ctx("reading checkpoints")?;
                let cp = decode(row).map_err(|e| DbError::Corrupt {
                    what: format!("checkpoint {id}"),
                    detail: e.to_string(),
                });
                Ok((id, cp))
            })
            .collect()
    }

    /// The first checkpoint stored whose tree covers entry `seq` (tree size > `seq`): the
    /// seed of a draw announced in entry `seq`.
    pub async fn first_checkpoint_covering(
        &self,
        seq: u64,
    ) -> Result<Option<StoredCheckpoint>, DbError> {
        let row = sqlx::query(
            "SELECT id, tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig FROM checkpoints \
             WHERE tree_size > $1 ORDER BY id LIMIT 1",
        )
        .bind(seq as i64)
        .fetch_optional(self.pool())
        .await
        .ctx("reading the checkpoint covering an entry")?;
        row.as_ref()
            .map(decode)
            .transpose()
            .ctx("decoding a checkpoint")
    }

    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, DbError> {
        let row = sqlx::query(
            "SELECT id, tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig FROM checkpoints ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await
        .ctx("reading the latest checkpoint")?;
        row.as_ref()
            .map(decode)
            .transpose()
            .ctx("decoding a checkpoint")
    }
}
