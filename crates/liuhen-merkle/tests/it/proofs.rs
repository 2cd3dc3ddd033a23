//! Generated proofs for many tree shapes, mutated proofs, edge cases and speed.

use liuhen_merkle::*;

use crate::vectors::{consistency_vectors, inclusion_vectors, leaves, root};

fn some_hash() -> Hash {
    crate::h("abacaba000000000000000000000000000000000000000000060061e00123456")
}

fn make_leaves(n: u32) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect()
}

/// Every mutation of a valid inclusion proof must be rejected.
///
/// Not included: `size + 1`. A proof binds a leaf to a *root*, not to a size;
/// e.g. leaf 1's proof in a 5-leaf tree has the same shape in a 6-leaf tree,
/// so (size 6, root of size 5) recomputes that root. The size is authenticated
/// by the signed checkpoint that pairs it with its root.
fn assert_inclusion_mutations_rejected(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) {
    let mut probes: Vec<(String, Hash, u64, u64, Vec<Hash>, Hash)> = vec![
        (
            "index+1".into(),
            *leaf,
            index + 1,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "index^2".into(),
            *leaf,
            index ^ 2,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "size*2".into(),
            *leaf,
            index,
            size * 2,
            proof.to_vec(),
            *root,
        ),
        (
            "size/2".into(),
            *leaf,
            index,
            size / 2,
            proof.to_vec(),
            *root,
        ),
        (
            "wrong leaf".into(),
            some_hash(),
            index,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "empty root".into(),
            *leaf,
            index,
            size,
            proof.to_vec(),
            empty_root(),
        ),
        (
            "random root".into(),
            *leaf,
            index,
            size,
            proof.to_vec(),
            some_hash(),
        ),
        (
            "trailing root".into(),
            *leaf,
            index,
            size,
            [proof, &[*root]].concat(),
            *root,
        ),
        (
            "preceding root".into(),
            *leaf,
            index,
            size,
            [&[*root], proof].concat(),
            *root,
        ),
    ];
    if let Some(i) = index.checked_sub(1) {
        probes.push(("index-1".into(), *leaf, i, size, proof.to_vec(), *root));
    }
    if let Some((_, init)) = proof.split_last() {
        probes.push(("truncated".into(), *leaf, index, size, init.to_vec(), *root));
    }
    if proof.len() > 1 {
        let p = [&proof[..1], &[some_hash()], &proof[1..]].concat();
        probes.push(("inserted".into(), *leaf, index, size, p, *root));
    }
    for i in 0..proof.len() {
        for byte in [0, 17, 31] {
            let mut p = proof.to_vec();
            p[i][byte] ^= 0x08;
            probes.push((
                format!("flip proof[{i}][{byte}]"),
                *leaf,
                index,
                size,
                p,
                *root,
            ));
        }
    }
    for (desc, leaf, index, size, proof, root) in probes {
        assert!(
            verify_inclusion(&leaf, index, size, &proof, &root).is_err(),
            "accepted mutated inclusion proof ({desc}) at index {index}, size {size}"
        );
    }
}

/// Every mutation of a valid, non-trivial consistency proof must be rejected
/// (again except `new + 1`, see above).
fn assert_consistency_mutations_rejected(old: u64, new: u64, r1: &Hash, r2: &Hash, proof: &[Hash]) {
    let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
        ("old-1".into(), old - 1, new, *r1, *r2, proof.to_vec()),
        ("old+1".into(), old + 1, new, *r1, *r2, proof.to_vec()),
        ("old^2".into(), old ^ 2, new, *r1, *r2, proof.to_vec()),
        ("new*2".into(), old, new * 2, *r1, *r2, proof.to_vec()),
        ("new/2".into(), old, new / 2, *r1, *r2, proof.to_vec()),
        (
            "wrong root1".into(),
            old,
            new,
            some_hash(),
            *r2,
            proof.to_vec(),
        ),
        (
            "wrong root2".into(),
            old,
            new,
            *r1,
            some_hash(),
            proof.to_vec(),
        ),
        ("swapped roots".into(), old, new, *r2, *r1, proof.to_vec()),
        ("empty proof".into(), old, new, *r1, *r2, vec![]),
        (
            "trailing root1".into(),
            old,
            new,
            *r1,
            *r2,
            [proof, &[*r1]].concat(),
        ),
        (
            "trailing root2".into(),
            old,
            new,
            *r1,
            *r2,
            [proof, &[*r2]].concat(),
        ),
        (
            "preceding root1".into(),
            old,
            new,
            *r1,
            *r2,
            [&[*r1], proof].concat(),
        ),
        (
            "preceding root2".into(),
            old,
            new,
            *r1,
            *r2,
            [&[*r2], proof].concat(),
        ),
        (
            "preceding proof[0]".into(),
            old,
            new,
            *r1,
            *r2,
            [&proof[..1], proof].concat(),
        ),
        (
            "truncated".into(),
            old,
            new,
            *r1,
            *r2,
            proof[..proof.len() - 1].to_vec(),
        ),
    ];
    for i in 0..proof.len() {
        for byte in [0, 9, 31] {
            let mut p = proof.to_vec();
            p[i][byte] ^= 0x10;
            probes.push((format!("flip proof[{i}][{byte}]"), old, new, *r1, *r2, p));
        }
    }
    for (desc, old, new, r1, r2, proof) in probes {
        assert!(
            verify_consistency(old, new, &r1, &r2, &proof).is_err(),
            "accepted mutated consistency proof ({desc}) for {old}->{new}"
        );
    }
}

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
    let start = std::time::Instant::now();
    let mut f = Frontier::new();
    let mut all = Vec::with_capacity(1_000_000);
    for i in 0u32..1_000_000 {
        let l = leaf_hash(&i.to_le_bytes());
        f.push(l);
        all.push(l);
    }
    let frontier_time = start.elapsed();
    assert_eq!(f.size(), 1_000_000);
    assert_eq!(f.root(), root_from_leaf_hashes(&all));
    // Generous bound: debug builds of this crate, sha2 optimised by the workspace profile.
    assert!(
        frontier_time.as_secs() < 10,
        "1M leaves took {frontier_time:?}"
    );
    eprintln!("1M leaves hashed and pushed in {frontier_time:?}");
}
