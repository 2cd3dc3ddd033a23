//! Signed checkpoints and proofs over the audit log.

use liuhen_db::StoredCheckpoint;
use liuhen_merkle::{Checkpoint, Hash, SignedCheckpoint};
use serde::Serialize;

use crate::{AppError, Custody};

#[derive(Debug, Clone, Serialize)]
pub struct InclusionProofReport {
    pub index: u64,
    pub tree_size: u64,
    pub leaf_hash: String,
    pub root: String,
    pub proof: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyProofReport {
    pub old_size: u64,
    pub new_size: u64,
    pub old_root: String,
    pub new_root: String,
    pub proof: Vec<String>,
}

impl Custody {
    /// Signs the current tree head with both keys and stores it, unless the latest
    /// checkpoint already covers every entry. Returns the new checkpoint, if any.
    pub async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, AppError> {
        let mut tx = self.db.begin().await?;
        let size = tx.log_size();
        let previous = self.db.latest_checkpoint().await?;
        if previous.as_ref().is_some_and(|p| p.tree_size == size) || size == 0 {
            return Ok(None);
        }
        let leaves = self.db.leaf_hashes(size).await?;
        if leaves.len() as u64 != size {
            return Err(AppError::Invalid(format!(
                "the log head says {size} entries but {} are stored; run `liuhen verify`",
                leaves.len()
            )));
        }
        let now = self.now().as_millisecond();
        let timestamp_ms = previous.map_or(now, |p| now.max(p.timestamp_ms));
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root: liuhen_merkle::root_from_leaf_hashes(&leaves),
            timestamp_ms,
        };
        let signed = self.keys.sign(&checkpoint);
        tx.insert_checkpoint(&StoredCheckpoint {
            id: 0,
            tree_size: size,
            root: checkpoint.root.to_vec(),
            timestamp_ms,
            body: checkpoint.body(),
            ed25519_sig: signed.ed25519_sig.clone(),
            sm2_sig: signed.sm2_sig.clone(),
        })
        .await?;
        tx.commit().await?;
        Ok(Some(signed))
    }

    /// Inclusion proof of entry `index` in the tree of the first `tree_size` entries
    /// (default: the latest checkpoint's size).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        tree_size: Option<u64>,
    ) -> Result<InclusionProofReport, AppError> {
        let size = self.proof_size(tree_size).await?;
        let leaves = self.db.leaf_hashes(size).await?;
        let proof = liuhen_merkle::inclusion_proof(&leaves, index)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let root = liuhen_merkle::root_from_leaf_hashes(&leaves);
        let leaf = leaves[index as usize];
        liuhen_merkle::verify_inclusion(&leaf, index, size, &proof, &root)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(InclusionProofReport {
            index,
            tree_size: size,
            leaf_hash: hex::encode(leaf),
            root: hex::encode(root),
            proof: hexes(&proof),
        })
    }

    /// Consistency proof between the trees of `old_size` and `new_size` entries
    /// (default: the latest checkpoint's size).
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: Option<u64>,
    ) -> Result<ConsistencyProofReport, AppError> {
        let size = self.proof_size(new_size).await?;
        let leaves = self.db.leaf_hashes(size).await?;
        let proof = liuhen_merkle::consistency_proof(&leaves, old_size)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let old_root = liuhen_merkle::root_from_leaf_hashes(&leaves[..old_size as usize]);
        let new_root = liuhen_merkle::root_from_leaf_hashes(&leaves);
        liuhen_merkle::verify_consistency(old_size, size, &old_root, &new_root, &proof)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(ConsistencyProofReport {
            old_size,
            new_size: size,
            old_root: hex::encode(old_root),
            new_root: hex::encode(new_root),
            proof: hexes(&proof),
        })
    }

    async fn proof_size(&self, requested: Option<u64>) -> Result<u64, AppError> {
        let (stored, _) = self.db.log_sizes().await?;
        let size = match requested {
            Some(s) => s,
            None => self
                .db
                .latest_checkpoint()
                .await?
                .map_or(stored, |c| c.tree_size),
        };
        if size > stored {
            return Err(AppError::Invalid(format!(
                "tree size {size} is larger than the log ({stored} entries)"
            )));
        }
        Ok(size)
    }
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}
