//! RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256.

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 ‖ entry)`: the hash of one log entry.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous buffer: a single digest call (much faster in debug builds).
    let mut buf = [0u8; 65];
    buf[0] = NODE_PREFIX;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// `SHA-256("")`: the root of the empty tree.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly less than `n` (`n >= 2`).
pub(crate) fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle Tree Hash (MTH, RFC 6962 §2.1) of a list of leaf hashes.
#[must_use]
pub fn root_from_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        _ => subtree_root(leaves),
    }
}

/// MTH of a non-empty slice.
pub(crate) fn subtree_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&subtree_root(&leaves[..k]), &subtree_root(&leaves[k..]))
        }
    }
}

/// An append-only "compact range" of a Merkle tree: the roots of the perfect
/// subtrees that make up the tree, one per set bit of its size.
///
/// `push` is O(1) amortised and never allocates; `root` is O(log n). The whole
/// structure is a fixed 2 KiB, however many leaves are pushed.
#[derive(Clone)]
pub struct Frontier {
    /// `nodes[level]` is the root of the perfect subtree of `2^level` leaves,
    /// valid only where bit `level` of `size` is set.
    nodes: [Hash; 64],
    size: u64,
}

impl Frontier {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self {
            nodes: [[0; 32]; 64],
            size: 0,
        }
    }

    /// Append one leaf hash (already computed with [`leaf_hash`]).
    ///
    /// # Panics
    /// After `u64::MAX` leaves.
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut hash = leaf_hash;
        let mut level = 0;
        while self.size >> level & 1 == 1 {
            hash = node_hash(&self.nodes[level], &hash);
            level += 1;
        }
        self.nodes[level] = hash;
        self.size = self.size.checked_add(1).expect("Merkle tree size overflow");
    }

    /// Number of leaves pushed so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The Merkle Tree Hash of all leaves pushed so far.
    #[must_use]
    pub fn root(&self) -> Hash {
        if self.size == 0 {
            return empty_root();
        }
        let low = self.size.trailing_zeros() as usize;
        let mut acc = self.nodes[low];
        for level in low + 1..64 {
            if self.size >> level & 1 == 1 {
                acc = node_hash(&self.nodes[level], &acc);
            }
        }
        acc
    }
}

impl Default for Frontier {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Frontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frontier")
            .field("size", &self.size)
            .field("root", &hex::encode(self.root()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1025, 1024)] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn frontier_matches_mth_for_sizes_0_to_300() {
        let leaves: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), root_from_leaf_hashes(&[]));
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.size(), i as u64 + 1);
            assert_eq!(
                f.root(),
                root_from_leaf_hashes(&leaves[..=i]),
                "size {}",
                i + 1
            );
        }
    }
}
