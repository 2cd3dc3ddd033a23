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

/// One log entry as stored, with its inclusion proof: with a signed checkpoint of
/// `tree_size` ([`checkpoint_note`]) and the public keys, all an outside verifier needs
/// (format: `docs/log-format.md`).
#[derive(Debug, Clone, Serialize)]
pub struct EntryReport {
    pub seq: u64,
    /// The entry's body exactly as hashed (UTF-8 canonical JSON, as a JSON string here).
    pub body: String,
    /// Hex SHA-256(0x00 ‖ body).
    pub leaf_hash: String,
    pub tree_size: u64,
    /// Hex root of the first `tree_size` entries.
    pub root: String,
    /// Hex hashes of the RFC 6962 audit path, leaf side first.
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
            tx.rollback().await?;
            if let Some(p) = &previous {
                self.publish_latest(p).await?;
            }
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
        let stored = StoredCheckpoint {
            id: 0,
            tree_size: size,
            root: checkpoint.root.to_vec(),
            timestamp_ms,
            body: checkpoint.body(),
            ed25519_sig: signed.ed25519_sig.clone(),
            sm2_sig: signed.sm2_sig.clone(),
        };
        // Kept outside the database first (`external`): a checkpoint that could not be
        // kept there is not stored either, and one kept there covers entries already
        // committed, whatever happens to this transaction.
        if let Err(e) = self.publish_checkpoint(&stored).await {
            tx.rollback().await?;
            return Err(e);
        }
        tx.insert_checkpoint(&stored).await?;
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

    /// Entry `seq` as stored, with its inclusion proof in the tree of `tree_size` entries
    /// (default: the latest checkpoint's size).
    pub async fn entry_with_proof(
        &self,
        seq: u64,
        tree_size: Option<u64>,
    ) -> Result<EntryReport, AppError> {
        let proof = self.inclusion_proof(seq, tree_size).await?;
        let entry = self
            .db
            .entries_page(seq.checked_sub(1), 1)
            .await?
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| AppError::NotFound(format!("log entry {seq}")))?;
        if hex::encode(&entry.leaf_hash) != proof.leaf_hash {
            return Err(AppError::Invalid(format!(
                "log entry {seq}: stored leaf hash differs from the tree's; run `liuhen verify`"
            )));
        }
        Ok(EntryReport {
            seq,
            body: entry.body,
            leaf_hash: proof.leaf_hash,
            tree_size: proof.tree_size,
            root: proof.root,
            proof: proof.proof,
        })
    }

    /// The newest signed checkpoint as stored (its body exactly as signed).
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, AppError> {
        Ok(self.db.latest_checkpoint().await?)
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

/// A stored checkpoint as a signed note (`docs/log-format.md`): the body exactly as
/// signed (four lines, each ending in a newline), an empty line, then one line per
/// signature, `— ed25519 <base64>` and `— sm2 <base64 of the DER signature>`.
pub fn checkpoint_note(c: &StoredCheckpoint) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "{}\n— ed25519 {}\n— sm2 {}\n",
        c.body,
        b64.encode(&c.ed25519_sig),
        b64.encode(&c.sm2_sig)
    )
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}
