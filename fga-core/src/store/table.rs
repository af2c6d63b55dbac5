//! The hash table of a symbol table: open addressing over buckets of one cache line
//! (four entries of sixteen bytes), probed bucket after bucket. A look-up that finds
//! its string in its home bucket reads one cache line; a chained table (control bytes
//! apart from entries) reads two. Entries are never removed, so a bucket fills from
//! its first entry and the first empty entry met ends a search.

/// Entries per bucket.
const WIDTH: usize = 4;
/// The symbol of an empty entry.
const EMPTY: u32 = u32::MAX;

/// A symbol, its string's length, and the string or where to find it (the owner of the
/// table decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) sym: u32,
    pub(super) len: u32,
    pub(super) text: u64,
}

impl Entry {
    const EMPTY: Self = Self {
        sym: EMPTY,
        len: 0,
        text: 0,
    };

    fn is_empty(&self) -> bool {
        self.sym == EMPTY
    }
}

/// One cache line of entries.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct Bucket([Entry; WIDTH]);

impl Bucket {
    const EMPTY: Self = Self([Entry::EMPTY; WIDTH]);
}

/// The table; its bucket count is zero or a power of two.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    buckets: Vec<Bucket>,
    len: usize,
}

impl Table {
    fn home(&self, hash: u64) -> usize {
        // Truncating the hash keeps its low bits, which pick the bucket.
        (hash as usize) & self.buckets.len().wrapping_sub(1)
    }

    /// Reads the home bucket of `hash` ahead of a [`Self::find`], so that the look-ups
    /// of several strings wait on memory together rather than one after the other (a
    /// plain read kept by `black_box`: prefetch intrinsics need `unsafe`).
    pub(super) fn prefetch(&self, hash: u64) {
        std::hint::black_box(self.buckets.get(self.home(hash)).map(|b| b.0[0].len));
    }

    /// The entry of `hash` that `eq` accepts.
    pub(super) fn find(&self, hash: u64, eq: impl Fn(&Entry) -> bool) -> Option<Entry> {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut i = self.home(hash);
        for _ in 0..self.buckets.len() {
            for e in &self.buckets.get(i)?.0 {
                if e.is_empty() {
                    return None;
                }
                if eq(e) {
                    return Some(*e);
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Adds an entry (for a string not in the table, with a symbol other than
    /// `u32::MAX`), growing the table first when it is seven eighths full; `rehash`
    /// gives the hash of an entry already held.
    pub(super) fn insert(&mut self, hash: u64, entry: Entry, rehash: impl Fn(&Entry) -> u64) {
        if (self.len + 1) * 8 > self.buckets.len() * WIDTH * 7 {
            self.grow(rehash);
        }
        self.place(hash, entry);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, entry: Entry) {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut i = self.home(hash);
        for _ in 0..self.buckets.len() {
            if let Some(slot) = self
                .buckets
                .get_mut(i)
                .and_then(|b| b.0.iter_mut().find(|e| e.is_empty()))
            {
                *slot = entry;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self, rehash: impl Fn(&Entry) -> u64) {
        let count = (self.buckets.len() * 2).max(2);
        let old = std::mem::replace(&mut self.buckets, vec![Bucket::EMPTY; count]);
        for e in old.iter().flat_map(|b| &b.0).filter(|e| !e.is_empty()) {
            self.place(rehash(e), *e);
        }
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, Table};

    fn entry(sym: u32) -> Entry {
        Entry {
            sym,
            len: sym % 7,
            text: u64::from(sym) * 3,
        }
    }

    /// A poor hash, so that many entries share a home bucket and probing is exercised.
    fn hash(e: &Entry) -> u64 {
        u64::from(e.sym / 9)
    }

    #[test]
    fn finds_every_entry_across_growth_and_nothing_else() {
        let mut table = Table::default();
        assert_eq!(table.find(0, |_| true), None);
        for sym in 0..5_000 {
            let e = entry(sym);
            table.insert(hash(&e), e, hash);
        }
        for sym in 0..5_000 {
            let e = entry(sym);
            assert_eq!(table.find(hash(&e), |x| x.sym == sym), Some(e));
        }
        for sym in 5_000..5_100 {
            assert_eq!(table.find(hash(&entry(sym)), |x| x.sym == sym), None);
        }
        assert!(table.heap_bytes() >= 5_000 * 16 * 8 / 7);
    }
}
