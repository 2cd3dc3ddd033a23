//! Inclusion and consistency proofs: generation per RFC 6962 §2.1.1–2.1.2,
//! verification per RFC 9162 §2.1.3.2 and §2.1.4.2.

use crate::tree::{Hash, empty_root, node_hash, split_point, subtree_root};

/// Why a proof could not be produced or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size (this includes every index of
    /// an empty tree).
    #[error("leaf index {index} is out of range for tree size {tree_size}")]
    IndexOutOfRange { index: u64, tree_size: u64 },
    /// A consistency proof was asked for or checked with `old_size > new_size`.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeTooLarge { old_size: u64, new_size: u64 },
    /// The proof does not have the number of hashes its sizes call for.
    #[error("proof has {got} hashes, but {expected} are expected for these sizes")]
    WrongProofLength { expected: usize, got: usize },
    /// The root recomputed from an inclusion proof differs from the given root,
    /// or two trees of the same size have different roots.
    #[error("recomputed root does not match the expected root")]
    RootMismatch,
    /// The old root recomputed from a consistency proof differs from the given one.
    #[error("recomputed old root does not match the given old root")]
    OldRootMismatch,
    /// The new root recomputed from a consistency proof differs from the given one.
    #[error("recomputed new root does not match the given new root")]
    NewRootMismatch,
}

fn to_usize(n: u64) -> usize {
    // Every `leaves` slice is addressable, so its length fits; callers compare first.
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The audit path (RFC 6962 §2.1.1) of leaf `index` in the tree of all `leaves`.
///
/// # Errors
/// [`ProofError::IndexOutOfRange`] if `index >= leaves.len()`.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let tree_size = leaves.len() as u64;
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange { index, tree_size });
    }
    let mut proof = Vec::new();
    path(to_usize(index), leaves, &mut proof);
    Ok(proof)
}

/// PATH(m, D[n]); pushes in leaf-to-root order.
fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(subtree_root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(subtree_root(&leaves[..k]));
    }
}

/// The consistency proof (RFC 6962 §2.1.2) between the first `old_size`
/// leaves and the tree of all `leaves`. Empty when `old_size` is 0 or equal to
/// the tree size.
///
/// # Errors
/// [`ProofError::OldSizeTooLarge`] if `old_size > leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let new_size = leaves.len() as u64;
    if old_size > new_size {
        return Err(ProofError::OldSizeTooLarge { old_size, new_size });
    }
    let mut proof = Vec::new();
    if old_size > 0 {
        subproof(to_usize(old_size), leaves, true, &mut proof);
    }
    Ok(proof)
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(subtree_root(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(subtree_root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(subtree_root(&leaves[..k]));
    }
}

/// Number of hashes in the audit path of `index` in a tree of `size` leaves:
/// (inner, border) as in the transparency-dev implementation.
fn decompose(index: u64, size: u64) -> (u32, u32) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

/// Check `proof` against `root` (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`ProofError::IndexOutOfRange`], [`ProofError::WrongProofLength`] or
/// [`ProofError::RootMismatch`].
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange { index, tree_size });
    }
    let (inner, border) = decompose(index, tree_size);
    let expected = (inner + border) as usize;
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let (mut f, mut s) = (index, tree_size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Check that the tree of `new_size` leaves with root `new_root` extends the
/// tree of `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
///
/// Edge cases: `old_size == new_size` needs an empty proof and equal roots;
/// `old_size == 0` needs an empty proof and `old_root == empty_root()`.
///
/// # Errors
/// [`ProofError::OldSizeTooLarge`], [`ProofError::WrongProofLength`],
/// [`ProofError::RootMismatch`], [`ProofError::OldRootMismatch`] or
/// [`ProofError::NewRootMismatch`].
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeTooLarge { old_size, new_size });
    }
    let wrong_len = |expected: usize| ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(wrong_len(0));
        }
        if old_size == 0 && old_root != &empty_root() {
            return Err(ProofError::OldRootMismatch);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }

    // 0 < old_size < new_size from here on.
    let (inner, border) = decompose(old_size - 1, new_size);
    let shift = old_size.trailing_zeros();
    let old_is_pow2 = old_size.is_power_of_two();
    let expected = usize::from(!old_is_pow2) + (inner - shift + border) as usize;
    if proof.len() != expected {
        return Err(wrong_len(expected));
    }
    // Step 2: a power-of-two old tree is itself the first node of the path.
    let (seed, rest) = if old_is_pow2 {
        (old_root, proof)
    } else {
        (&proof[0], &proof[1..])
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if s == 0 {
            return Err(wrong_len(expected));
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(wrong_len(expected));
    }
    if &fr != old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if &sr != new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}
