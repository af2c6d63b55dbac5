//! Inclusion and consistency proofs (RFC 9162 sections 2.1.3 and 2.1.4):
//! building them from the tree and verifying them with nothing but hashes.

use super::hash::Hash;
use super::tree::{Tree, split};
use thiserror::Error;

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The first tree is larger than the second.
    #[error("tree size {first} is larger than tree size {second}")]
    SizesReversed {
        /// The older size.
        first: u64,
        /// The newer size.
        second: u64,
    },
    /// The proof has the wrong number of hashes for its sizes.
    #[error("the proof has {got} hashes where its tree sizes need {expected}")]
    WrongLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes the sizes need.
        expected: usize,
    },
    /// The proof leads to another root.
    #[error("the proof leads to another root than the one expected")]
    RootMismatch,
}

/// Builds the inclusion proof of leaf `index` in the tree of its first `size`
/// leaves (RFC 9162 section 2.1.3.1 `PATH`). `None` if the tree is too small.
pub fn inclusion_proof(tree: &Tree, index: u64, size: u64) -> Option<Vec<Hash>> {
    if index >= size || size > tree.size() {
        return None;
    }
    let mut proof = Vec::new();
    path(tree, index, 0, size, &mut proof)?;
    Some(proof)
}

/// `PATH(m, D[start:start+n])`, appending bottom-up.
fn path(tree: &Tree, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) -> Option<()> {
    if n <= 1 {
        return Some(());
    }
    let k = split(n);
    if m < k {
        path(tree, m, start, k, out)?;
        out.push(tree.range_hash(start + k, n - k)?);
    } else {
        path(tree, m - k, start + k, n - k, out)?;
        out.push(tree.range_hash(start, k)?);
    }
    Some(())
}

/// Builds the consistency proof between the trees of the first `first` and the
/// first `second` leaves (RFC 9162 section 2.1.4.1 `PROOF`).
pub fn consistency_proof(tree: &Tree, first: u64, second: u64) -> Option<Vec<Hash>> {
    if first > second || second > tree.size() {
        return None;
    }
    let mut proof = Vec::new();
    if first > 0 && first < second {
        subproof(tree, first, 0, second, true, &mut proof)?;
    }
    Some(proof)
}

/// `SUBPROOF(m, D[start:start+n], b)`.
fn subproof(tree: &Tree, m: u64, start: u64, n: u64, b: bool, out: &mut Vec<Hash>) -> Option<()> {
    if m == n {
        if !b {
            out.push(tree.range_hash(start, n)?);
        }
        return Some(());
    }
    let k = split(n);
    if m <= k {
        subproof(tree, m, start, k, b, out)?;
        out.push(tree.range_hash(start + k, n - k)?);
    } else {
        subproof(tree, m - k, start + k, n - k, false, out)?;
        out.push(tree.range_hash(start, k)?);
    }
    Some(())
}

/// The root an inclusion proof leads to (RFC 9162 section 2.1.3.2).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = Hash::node(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = Hash::node(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    Ok(r)
}

/// Verifies that `leaf` is at `index` in the tree of `size` with `root`.
///
/// ```
/// use reference_authority::audit_log::{Hash, Tree, inclusion_proof, verify_inclusion};
///
/// let tree = Tree::from_leaf_hashes((0u8..5).map(|i| Hash::leaf(&[i])));
/// let proof = inclusion_proof(&tree, 3, 5).unwrap();
/// assert!(verify_inclusion(3, 5, Hash::leaf(&[3]), &proof, &tree.root()).is_ok());
/// assert!(verify_inclusion(2, 5, Hash::leaf(&[3]), &proof, &tree.root()).is_err());
/// ```
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// The number of hashes in the inclusion proof of `index` in a tree of `size`:
/// at most `ceil(log2(size))`.
pub fn inclusion_len(index: u64, size: u64) -> usize {
    if size <= 1 {
        return 0;
    }
    // Bits where index and the last index differ give the inner levels; the
    // shared high bits of the right border give the rest.
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// Verifies that the tree of `second` leaves with `second_root` extends the
/// tree of `first` leaves with `first_root` (RFC 9162 section 2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesReversed { first, second });
    }
    if first == second || first == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected: 0,
            });
        }
        return if first == 0 || first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let expected = consistency_len(first, second);
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected,
        });
    }
    // Step 2: a first tree that is a complete subtree starts from its own root.
    let (seed, rest) = if first.is_power_of_two() {
        (*first_root, proof)
    } else {
        match proof.split_first() {
            Some((seed, rest)) => (*seed, rest),
            None => return Err(ProofError::RootMismatch),
        }
    };
    let mut fnode = first - 1;
    let mut snode = second - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = seed;
    let mut sr = seed;
    for c in rest {
        if snode == 0 {
            return Err(ProofError::RootMismatch);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = Hash::node(c, &fr);
            sr = Hash::node(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = Hash::node(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode == 0 && fr == *first_root && sr == *second_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// The number of hashes in the consistency proof between sizes `first < second`.
fn consistency_len(first: u64, second: u64) -> usize {
    // The shared prefix levels where the first tree is a complete left part.
    let shift = first.trailing_zeros();
    let (last_first, last_second) = ((first - 1) >> shift, (second - 1) >> shift);
    let inner = 64 - (last_first ^ last_second).leading_zeros();
    let border = (last_first >> inner).count_ones();
    let seed = usize::from(!first.is_power_of_two());
    inner as usize + border as usize + seed
}
