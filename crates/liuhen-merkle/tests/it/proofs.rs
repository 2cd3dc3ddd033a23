//! Generated proofs for many tree shapes, mutated proofs, edge cases and speed.

use liuhen_merkle::*;

use crate::mutations::{
    assert_consistency_mutations_rejected, assert_inclusion_mutations_rejected, make_leaves,
    some_hash,
};
use crate::vectors::{consistency_vectors, inclusion_vectors, leaves, root};

#[test]
fn mutated_known_inclusion_proofs_are_rejected() {
    let leaves = leaves();
    for (leaf, size, proof) in inclusion_vectors() {
        let index = leaf - 1;
        assert_inclusion_mutations_rejected(
            &leaves[index as usize],
            index,
            size,
            &proof,
            &root(size),
        );
    }
}

#[test]
fn mutated_known_consistency_proofs_are_rejected() {
    for (old, new, proof) in consistency_vectors() {
        if !proof.is_empty() {
            assert_consistency_mutations_rejected(old, new, &root(old), &root(new), &proof);
        }
    }
}

#[test]
fn all_inclusion_proofs_up_to_70_leaves_verify_and_resist_mutation() {
    let all = make_leaves(70);
    for size in 1..=70usize {
        let tree = &all[..size];
        let r = root_from_leaf_hashes(tree);
        for index in 0..size {
            let proof = inclusion_proof(tree, index as u64).unwrap();
            verify_inclusion(&tree[index], index as u64, size as u64, &proof, &r)
                .unwrap_or_else(|e| panic!("{index}/{size}: {e}"));
            if size % 7 == 0 || size.is_power_of_two() || size == 70 {
                assert_inclusion_mutations_rejected(
                    &tree[index],
                    index as u64,
                    size as u64,
                    &proof,
                    &r,
                );
            }
        }
    }
}

#[test]
fn all_consistency_proofs_up_to_70_leaves_verify_and_resist_mutation() {
    let all = make_leaves(70);
    let roots: Vec<Hash> = (0..=70).map(|n| root_from_leaf_hashes(&all[..n])).collect();
    for new in 0..=70usize {
        for old in 0..=new {
            let proof = consistency_proof(&all[..new], old as u64).unwrap();
            verify_consistency(old as u64, new as u64, &roots[old], &roots[new], &proof)
                .unwrap_or_else(|e| panic!("{old}->{new}: {e}"));
            if !proof.is_empty() && (new % 5 == 0 || old % 5 == 0) {
                assert_consistency_mutations_rejected(
                    old as u64,
                    new as u64,
                    &roots[old],
                    &roots[new],
                    &proof,
                );
            }
        }
    }
}

#[test]
fn precise_errors() {
    let leaves = make_leaves(8);
    let r8 = root_from_leaf_hashes(&leaves);
    let r5 = root_from_leaf_hashes(&leaves[..5]);
    let p = inclusion_proof(&leaves, 3).unwrap();

    assert_eq!(
        inclusion_proof(&leaves, 8),
        Err(ProofError::IndexOutOfRange {
            index: 8,
            tree_size: 8
        })
    );
    assert_eq!(
        inclusion_proof(&[], 0),
        Err(ProofError::IndexOutOfRange {
            index: 0,
            tree_size: 0
        })
    );
    assert_eq!(
        verify_inclusion(&leaves[3], 8, 8, &p, &r8),
        Err(ProofError::IndexOutOfRange {
            index: 8,
            tree_size: 8
        })
    );
    assert_eq!(
        verify_inclusion(&leaves[3], 3, 8, &p[..2], &r8),
        Err(ProofError::WrongProofLength {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        verify_inclusion(&leaves[2], 3, 8, &p, &r8),
        Err(ProofError::RootMismatch)
    );

    assert_eq!(
        consistency_proof(&leaves[..5], 6),
        Err(ProofError::OldSizeTooLarge {
            old_size: 6,
            new_size: 5
        })
    );
    let c = consistency_proof(&leaves, 5).unwrap();
    assert_eq!(verify_consistency(5, 8, &r5, &r8, &c), Ok(()));
    assert_eq!(
        verify_consistency(8, 5, &r8, &r5, &c),
        Err(ProofError::OldSizeTooLarge {
            old_size: 8,
            new_size: 5
        })
    );
    assert_eq!(
        verify_consistency(5, 8, &r5, &r8, &c[1..]),
        Err(ProofError::WrongProofLength {
            expected: c.len(),
            got: c.len() - 1
        })
    );
    assert_eq!(
        verify_consistency(5, 8, &r5, &some_hash(), &c),
        Err(ProofError::NewRootMismatch)
    );
    assert_eq!(
        verify_consistency(5, 8, &some_hash(), &r8, &c),
        Err(ProofError::OldRootMismatch)
    );
    // Equal sizes: empty proof, equal roots.
    assert_eq!(verify_consistency(8, 8, &r8, &r8, &[]), Ok(()));
    assert_eq!(
        verify_consistency(8, 8, &r8, &r5, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(8, 8, &r8, &r8, &[r8]),
        Err(ProofError::WrongProofLength {
            expected: 0,
            got: 1
        })
    );
    // Empty old tree: consistent with anything, but its root must be the empty root.
    assert_eq!(verify_consistency(0, 8, &empty_root(), &r8, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 8, &r5, &r8, &[]),
        Err(ProofError::OldRootMismatch)
    );
    for e in [
        ProofError::RootMismatch,
        ProofError::WrongProofLength {
            expected: 1,
            got: 2,
        },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn frontier_handles_a_million_leaves_quickly() {
    let all: Vec<Hash> = (0u32..1_000_000)
        .map(|i| leaf_hash(&i.to_le_bytes()))
        .collect();
    let start = std::time::Instant::now();
    let mut f = Frontier::new();
    for l in &all {
        f.push(*l);
    }
    let root = f.root();
    let frontier_time = start.elapsed();
    assert_eq!(f.size(), 1_000_000);
    assert_eq!(root, root_from_leaf_hashes(&all));
    // Generous bound: this is a debug build (sha2 is optimised by the workspace profile).
    assert!(
        frontier_time.as_secs() < 10,
        "1M pushes took {frontier_time:?}"
    );
    eprintln!("1M leaves pushed into a Frontier in {frontier_time:?}");
}
