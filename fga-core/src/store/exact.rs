//! The exact-tuple index of the packed base: a hash table from a tuple's hash to its
//! position, with 32 more bits of the hash beside each position.
//!
//! The hash is taken over the tuple's block, user kind, and object and user ids as
//! strings, so a look-up can read the table before the ids' symbols are known (at the
//! same time as the symbol tables), and then confirm a position against the packed
//! arrays: two cache misses one after the other instead of three or four. Buckets are
//! one cache line of eight positions, probed bucket after bucket.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;

/// Positions per bucket.
const WIDTH: usize = 8;
/// An empty slot.
const EMPTY: u32 = u32::MAX;

/// One cache line: positions and the high halves of their hashes.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct Bucket {
    positions: [u32; WIDTH],
    tags: [u32; WIDTH],
}

impl Bucket {
    const EMPTY: Self = Self {
        positions: [EMPTY; WIDTH],
        tags: [0; WIDTH],
    };
}

/// The index; its bucket count is zero or a power of two, and it is at most seven
/// eighths full.
#[derive(Debug, Clone, Default)]
pub(super) struct Exact {
    buckets: Vec<Bucket>,
    hasher: DefaultHashBuilder,
}

/// The high half of a hash, kept beside its position.
fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

impl Exact {
    /// An empty index with room for `n` positions.
    pub(super) fn with_capacity(n: usize) -> Self {
        let count = (n.saturating_mul(8) / 7 / WIDTH + 1).next_power_of_two();
        Self {
            buckets: vec![Bucket::EMPTY; count],
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// The hash of a tuple: its block and user kind numbers, object id and user id.
    pub(super) fn hash(&self, block: u16, kind: u16, object_id: &str, user_id: &str) -> u64 {
        self.hasher
            .hash_one((block, kind, object_id.as_bytes(), user_id.as_bytes()))
    }

    fn home(&self, hash: u64) -> usize {
        // Truncating the hash keeps its low bits, which pick the bucket.
        (hash as usize) & self.buckets.len().wrapping_sub(1)
    }

    /// Reads the home bucket of `hash` ahead of [`Self::find`], so that it waits on
    /// memory together with the symbol look-ups (a plain read kept by `black_box`:
    /// prefetch intrinsics need `unsafe`).
    pub(super) fn prefetch(&self, hash: u64) {
        std::hint::black_box(self.buckets.get(self.home(hash)).map(|b| b.tags[0]));
    }

    /// Adds a position. The index must have room (see [`Self::with_capacity`]).
    pub(super) fn insert(&mut self, hash: u64, position: u32) {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut i = self.home(hash);
        for _ in 0..self.buckets.len() {
            if let Some(b) = self.buckets.get_mut(i)
                && let Some(j) = b.positions.iter().position(|&p| p == EMPTY)
            {
                if let (Some(p), Some(t)) = (b.positions.get_mut(j), b.tags.get_mut(j)) {
                    *p = position;
                    *t = tag(hash);
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The first position of `hash` that `is` accepts.
    pub(super) fn find(&self, hash: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        let (mask, tag) = (self.buckets.len().wrapping_sub(1), tag(hash));
        let mut i = self.home(hash);
        for _ in 0..self.buckets.len() {
            let b = self.buckets.get(i)?;
            for (&p, &t) in b.positions.iter().zip(&b.tags) {
                if p == EMPTY {
                    return None;
                }
                if t == tag && is(p) {
                    return Some(p);
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

#[cfg(test)]
mod tests {
    use super::Exact;

    #[test]
    fn finds_each_position_by_its_hash_and_nothing_else() {
        let mut exact = Exact::with_capacity(3_000);
        // Few distinct hashes: many positions share a bucket and a tag.
        let hash = |p: u32| u64::from(p % 50) * 0x1_0000_0001;
        for p in 0..3_000 {
            exact.insert(hash(p), p);
        }
        for p in 0..3_000 {
            assert_eq!(exact.find(hash(p), |q| q == p), Some(p));
        }
        assert_eq!(exact.find(hash(7), |q| q == 8), None);
        assert_eq!(exact.find(hash(3_001), |_| true), Some(1));
        assert_eq!(Exact::default().find(0, |_| true), None);
    }
}
