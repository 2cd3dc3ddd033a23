//! Tamper-evident audit log primitives for liuhen: an RFC 6962 / RFC 9162
//! Merkle tree over SHA-256, inclusion and consistency proofs, and
//! checkpoints (signed tree heads) signed with both Ed25519 and SM2.
//!
//! # Hashing
//!
//! * leaf: `SHA-256(0x00 ‖ entry)` ([`leaf_hash`])
//! * node: `SHA-256(0x01 ‖ left ‖ right)` ([`node_hash`])
//! * empty tree: `SHA-256("")` ([`empty_root`])
//! * the root of `n > 1` leaves is `node(MTH(first k), MTH(rest))` where `k` is
//!   the largest power of two below `n` ([`root_from_leaf_hashes`]).
//!
//! The distinct prefixes keep a leaf from ever being passed off as a node.
//! [`Frontier`] computes the same root incrementally in O(log n) memory.
//!
//! # Checkpoints
//!
//! A [`Checkpoint`] body is four `\n`-terminated lines, C2SP `tlog-checkpoint`
//! style: origin, decimal tree size, standard base64 root hash, decimal
//! timestamp in Unix milliseconds. Both signatures in a [`SignedCheckpoint`]
//! are over exactly those bytes: Ed25519 (64 raw bytes) and SM2-with-SM3 (DER,
//! distinguishing id `1234567812345678`). See [`checkpoint`] and [`keys`].

pub mod checkpoint;
pub mod keys;
pub mod proof;
pub mod tree;

pub use checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
pub use keys::{KeyError, PublicKeys, SignatureError, SigningKeys};
pub use proof::{
    ProofError, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
pub use tree::{Frontier, Hash, empty_root, leaf_hash, node_hash, root_from_leaf_hashes};
