//! The proof code against the published RFC 6962 test vectors
//! (`data/rfc6962_vectors.json`), their corruptions, and every size up to 300.

use super::common::hex;
use reference_authority::audit_log::{
    Hash, ProofError, Tree, consistency_proof, inclusion_len, inclusion_proof, verify_consistency,
    verify_inclusion,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/rfc6962_vectors.json")).unwrap()
}

fn h(v: &Value) -> Hash {
    Hash::from_hex(v.as_str().unwrap()).unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(h).collect()
}

fn tree() -> Tree {
    let v = vectors();
    Tree::from_leaf_hashes(
        v["leaf_inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| Hash::leaf(&hex(l.as_str().unwrap()))),
    )
}

#[test]
fn leaf_node_and_root_hashes_match_rfc6962_vectors() {
    let v = vectors();
    let tree = tree();
    for (level, row) in v["node_hashes"].as_array().unwrap().iter().enumerate() {
        for (i, expected) in row.as_array().unwrap().iter().enumerate() {
            assert_eq!(
                tree.node(level, i as u64),
                Some(h(expected)),
                "node {level}/{i}"
            );
        }
    }
    for (size, expected) in v["root_hashes"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            tree.root_at(size as u64),
            Some(h(expected)),
            "root of {size}"
        );
    }
    assert_eq!(Hash::empty_root(), h(&v["root_hashes"][0]));
}

#[test]
fn inclusion_proofs_match_rfc6962_vectors_and_verify() {
    let v = vectors();
    let tree = tree();
    for case in v["inclusion_proofs"].as_array().unwrap() {
        let index = case["leaf"].as_u64().unwrap() - 1;
        let size = case["size"].as_u64().unwrap();
        let expected = hashes(&case["proof"]);
        assert_eq!(inclusion_proof(&tree, index, size).unwrap(), expected);
        let root = tree.root_at(size).unwrap();
        let leaf = tree.leaf(index).unwrap();
        verify_inclusion(index, size, leaf, &expected, &root).unwrap();
        for (what, probe) in inclusion_corruptions(index, size, leaf, &expected, root) {
            assert!(
                verify_inclusion(probe.0, probe.1, probe.2, &probe.3, &probe.4).is_err(),
                "accepted a corrupted inclusion proof ({what}) of leaf {index} in {size}"
            );
        }
    }
}

type Probe = (u64, u64, Hash, Vec<Hash>, Hash);
type ConsistencyProbe = (&'static str, u64, u64, Hash, Hash, Vec<Hash>);

fn inclusion_corruptions(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
    root: Hash,
) -> Vec<(String, Probe)> {
    let some = Hash::leaf(b"some other hash");
    let p = proof.to_vec();
    let mut out = vec![
        (
            "index - 1".into(),
            (index.wrapping_sub(1), size, leaf, p.clone(), root),
        ),
        ("index + 1".into(), (index + 1, size, leaf, p.clone(), root)),
        ("index ^ 2".into(), (index ^ 2, size, leaf, p.clone(), root)),
        ("size * 2".into(), (index, size * 2, leaf, p.clone(), root)),
        ("size / 2".into(), (index, size / 2, leaf, p.clone(), root)),
        ("wrong leaf".into(), (index, size, some, p.clone(), root)),
        (
            "empty root".into(),
            (index, size, leaf, p.clone(), Hash::empty_root()),
        ),
        ("random root".into(), (index, size, leaf, p.clone(), some)),
        (
            "trailing root".into(),
            (index, size, leaf, [p.clone(), vec![root]].concat(), root),
        ),
        (
            "preceding root".into(),
            (index, size, leaf, [vec![root], p.clone()].concat(), root),
        ),
    ];
    for i in 0..p.len() {
        let mut flipped = p.clone();
        flipped[i].0[0] ^= 8;
        out.push((
            format!("bit flip in proof[{i}]"),
            (index, size, leaf, flipped, root),
        ));
    }
    if !p.is_empty() {
        out.push((
            "removed component".into(),
            (index, size, leaf, p[..p.len() - 1].to_vec(), root),
        ));
    }
    if p.len() > 1 {
        let mut inserted = vec![p[0], some];
        inserted.extend_from_slice(&p[1..]);
        out.push((
            "inserted component".into(),
            (index, size, leaf, inserted, root),
        ));
    }
    // A one-leaf tree: its root is its leaf, so the wrong-size probes that
    // keep the same root are only wrong when the size is not 1 as well.
    out.retain(|(_, (i, s, l, pr, r))| {
        !(*i == index && *s == size && *l == leaf && pr == proof && *r == root)
    });
    out
}

#[test]
fn consistency_proofs_match_rfc6962_vectors_and_verify() {
    let v = vectors();
    let tree = tree();
    for case in v["consistency_proofs"].as_array().unwrap() {
        let first = case["size1"].as_u64().unwrap();
        let second = case["size2"].as_u64().unwrap();
        let expected = hashes(&case["proof"]);
        assert_eq!(consistency_proof(&tree, first, second).unwrap(), expected);
        let (r1, r2) = (tree.root_at(first).unwrap(), tree.root_at(second).unwrap());
        verify_consistency(first, second, &expected, &r1, &r2).unwrap();
        if expected.is_empty() {
            continue;
        }
        let some = Hash::leaf(b"some other hash");
        let mut probes: Vec<ConsistencyProbe> = vec![
            ("size1 - 1", first - 1, second, r1, r2, expected.clone()),
            ("size1 + 1", first + 1, second, r1, r2, expected.clone()),
            ("size1 ^ 2", first ^ 2, second, r1, r2, expected.clone()),
            ("size2 * 2", first, second * 2, r1, r2, expected.clone()),
            ("size2 / 2", first, second / 2, r1, r2, expected.clone()),
            ("wrong root1", first, second, some, r2, expected.clone()),
            ("wrong root2", first, second, r1, some, expected.clone()),
            ("swapped roots", first, second, r2, r1, expected.clone()),
            ("empty proof", first, second, r1, r2, vec![]),
            (
                "trailing root1",
                first,
                second,
                r1,
                r2,
                [expected.clone(), vec![r1]].concat(),
            ),
            (
                "preceding root2",
                first,
                second,
                r1,
                r2,
                [vec![r2], expected.clone()].concat(),
            ),
            (
                "preceding proof[0]",
                first,
                second,
                r1,
                r2,
                [vec![expected[0]], expected.clone()].concat(),
            ),
            (
                "truncated",
                first,
                second,
                r1,
                r2,
                expected[..expected.len() - 1].to_vec(),
            ),
        ];
        for i in 0..expected.len() {
            let mut flipped = expected.clone();
            flipped[i].0[0] ^= 16;
            probes.push(("bit flip", first, second, r1, r2, flipped));
        }
        for (what, s1, s2, a, b, proof) in probes {
            assert!(
                verify_consistency(s1, s2, &proof, &a, &b).is_err(),
                "accepted a corrupted consistency proof ({what}) {first} -> {second}"
            );
        }
    }
}

#[test]
fn consistency_edge_cases_follow_rfc9162() {
    let a = Hash::leaf(b"a");
    let b = Hash::leaf(b"b");
    let e = Hash::empty_root();
    // Sizes that are always consistent.
    assert!(verify_consistency(0, 0, &[], &a, &a).is_ok());
    assert!(verify_consistency(0, 1, &[], &a, &b).is_ok());
    assert!(verify_consistency(1, 1, &[], &b, &b).is_ok());
    // Same size, different roots: a fork.
    assert_eq!(
        verify_consistency(1, 1, &[], &a, &b),
        Err(ProofError::RootMismatch)
    );
    // Time travel to the past.
    assert!(matches!(
        verify_consistency(2, 1, &[], &a, &b),
        Err(ProofError::SizesReversed { .. })
    ));
    // An empty proof between different sizes.
    assert!(verify_consistency(1, 2, &[], &a, &b).is_err());
    // Matching roots but a proof where none is due.
    assert!(verify_consistency(0, 0, &[e], &e, &e).is_err());
    assert!(verify_consistency(1, 1, &[e], &e, &e).is_err());
    // Inclusion in an empty tree or past the end.
    assert!(verify_inclusion(0, 0, a, &[], &e).is_err());
    assert!(verify_inclusion(2, 1, a, &[], &a).is_err());
}

#[test]
fn every_proof_of_every_size_up_to_300_verifies_and_is_minimal() {
    let leaves: Vec<Hash> = (0..300u32).map(|i| Hash::leaf(&i.to_be_bytes())).collect();
    let tree = Tree::from_leaf_hashes(leaves.iter().copied());
    for size in 1..=300u64 {
        let root = tree.root_at(size).unwrap();
        let bound = 64 - (size - 1).leading_zeros() as usize; // ceil(log2 size)
        for index in 0..size {
            let proof = inclusion_proof(&tree, index, size).unwrap();
            assert!(
                proof.len() <= bound,
                "proof of {index} in {size} has {} hashes",
                proof.len()
            );
            assert_eq!(proof.len(), inclusion_len(index, size));
            verify_inclusion(index, size, leaves[index as usize], &proof, &root).unwrap();
        }
    }
    for second in 1..=70u64 {
        for first in 0..=second {
            let proof = consistency_proof(&tree, first, second).unwrap();
            verify_consistency(
                first,
                second,
                &proof,
                &tree.root_at(first).unwrap(),
                &tree.root_at(second).unwrap(),
            )
            .unwrap();
        }
    }
}

#[test]
fn inclusion_proof_carries_at_most_ceil_log2_n_hashes() {
    // n = 10^9: ceil(log2 n) = 30 hashes, 960 bytes.
    let n: u64 = 1_000_000_000;
    let worst = [0, 1, n / 2, n - 2, n - 1, 536_870_911, 536_870_912]
        .into_iter()
        .map(|i| inclusion_len(i, n))
        .max()
        .unwrap();
    assert_eq!(worst, 30);
    assert_eq!(worst * 32, 960);
    for i in (0..n).step_by(7_919_993) {
        assert!(inclusion_len(i, n) <= 30);
    }
}
