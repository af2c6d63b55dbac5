//! The Merkle tree of the log in memory: every complete subtree hash, level by
//! level, so roots of any size, proofs and tiles are lookups plus at most
//! `log2(n)` hashes.

use super::hash::Hash;

/// Complete-subtree hashes: `levels[h][i]` is the hash of leaves
/// `[i * 2^h, (i + 1) * 2^h)`. Appending a leaf adds at most one hash per level.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash; completes the subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                return;
            };
            row.push(hash);
            let len = row.len();
            if len % 2 == 1 {
                return;
            }
            match (row.get(len - 2), row.get(len - 1)) {
                (Some(left), Some(right)) => hash = Hash::node(left, right),
                _ => return,
            }
            level += 1;
        }
    }

    /// The hash of the complete subtree at `level`, index `index`, if complete.
    pub fn node(&self, level: usize, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.get(level)?.get(index).copied()
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.node(0, index)
    }

    /// The Merkle tree hash of leaves `[start, start + len)` (RFC 9162 section
    /// 2.1.1 `MTH`), where `start` is a multiple of the largest power of two
    /// below `len` as in every range the RFC's recursion asks for. `None` when
    /// the range is past the end of the tree.
    pub fn range_hash(&self, start: u64, len: u64) -> Option<Hash> {
        if len == 0 {
            return Some(Hash::empty_root());
        }
        if start.checked_add(len)? > self.size() {
            return None;
        }
        if len.is_power_of_two() && start.is_multiple_of(len) {
            return self.node(len.trailing_zeros() as usize, start / len);
        }
        let k = split(len);
        let left = self.range_hash(start, k)?;
        let right = self.range_hash(start + k, len - k)?;
        Some(Hash::node(&left, &right))
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        self.range_hash(0, size)
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).unwrap_or_else(Hash::empty_root)
    }

    /// Every stored hash at `level`, from `from` on, at most `count` of them.
    pub fn row(&self, level: usize, from: u64, count: u64) -> Option<&[Hash]> {
        let row = self.levels.get(level)?;
        let from = usize::try_from(from).ok()?;
        let to = from.checked_add(usize::try_from(count).ok()?)?;
        row.get(from..to)
    }
}

/// The largest power of two smaller than `n` (`n > 1`), RFC 9162 section 2.1.1 `k`.
pub(crate) fn split(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The root of `leaves` computed with a stack of at most `log2(n)` hashes,
/// for verification of a whole log without keeping its tree.
pub fn root_of(leaves: impl IntoIterator<Item = Hash>) -> (u64, Hash) {
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    let mut count = 0u64;
    for leaf in leaves {
        count += 1;
        let mut entry = (0u32, leaf);
        while let Some(&(h, left)) = stack.last() {
            if h != entry.0 {
                break;
            }
            stack.pop();
            entry = (h + 1, Hash::node(&left, &entry.1));
        }
        stack.push(entry);
    }
    let mut iter = stack.into_iter().rev();
    let Some((_, mut root)) = iter.next() else {
        return (0, Hash::empty_root());
    };
    for (_, left) in iter {
        root = Hash::node(&left, &root);
    }
    (count, root)
}

impl Tree {
    /// Drops every leaf from `size` on (an append that failed to commit).
    pub(crate) fn truncate(&mut self, size: u64) {
        for (level, row) in self.levels.iter_mut().enumerate() {
            let keep = usize::try_from(size >> level).unwrap_or(usize::MAX);
            row.truncate(keep);
        }
    }
}
