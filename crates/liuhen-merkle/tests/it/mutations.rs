//! Helpers: test leaves and the mutations every verifier must reject.

use liuhen_merkle::*;

pub fn some_hash() -> Hash {
    crate::h("abacaba000000000000000000000000000000000000000000060061e00123456")
}

pub fn make_leaves(n: u32) -> Vec<Hash> {
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
pub fn assert_inclusion_mutations_rejected(
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
pub fn assert_consistency_mutations_rejected(
    old: u64,
    new: u64,
    r1: &Hash,
    r2: &Hash,
    proof: &[Hash],
) {
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
