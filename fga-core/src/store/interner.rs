//! String interning: each distinct type, id and relation is stored once, in one arena.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// An interned string.
pub(crate) type Sym = u32;

/// A string table: the strings back to back in one buffer, their end offsets, and a
/// hash table of symbols; lookups never allocate.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    bytes: String,
    ends: Vec<u32>,
    table: HashTable<Sym>,
    hasher: DefaultHashBuilder,
}

impl Interner {
    /// The symbol of `s`, adding it when new.
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        if let Some(sym) = self.find(hash, s) {
            return sym;
        }
        let sym = Sym::try_from(self.ends.len()).unwrap_or(Sym::MAX);
        self.bytes.push_str(s);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
        let Self {
            bytes,
            ends,
            table,
            hasher,
        } = self;
        table.insert_unique(hash, sym, |&v| hasher.hash_one(resolve(bytes, ends, v)));
        sym
    }

    fn find(&self, hash: u64, s: &str) -> Option<Sym> {
        self.table.find(hash, |&v| self.is(v, s)).copied()
    }

    /// The symbol of `s`, if interned.
    pub(crate) fn get(&self, s: &str) -> Option<Sym> {
        self.find(self.hasher.hash_one(s), s)
    }

    /// Number of strings interned; symbols are `0..len`.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Heap bytes held, from the containers' capacities.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<u32>()
            + self.table.allocation_size()
    }

    /// Whether the symbol's string is `s` (compared as bytes: no character boundary to
    /// check).
    pub(crate) fn is(&self, sym: Sym, s: &str) -> bool {
        let (start, end) = span(&self.ends, sym);
        self.bytes
            .as_bytes()
            .get(start..end)
            .is_some_and(|b| crate::text::same(b, s.as_bytes()))
    }

    /// The string of a symbol.
    pub(crate) fn resolve(&self, sym: Sym) -> &str {
        resolve(&self.bytes, &self.ends, sym)
    }
}

/// The byte range of a symbol's string in the arena.
fn span(ends: &[u32], sym: Sym) -> (usize, usize) {
    let i = sym as usize;
    let end = ends.get(i).map_or(0, |e| *e as usize);
    let start = match i.checked_sub(1) {
        Some(p) => ends.get(p).map_or(0, |e| *e as usize),
        None => 0,
    };
    (start, end)
}

fn resolve<'a>(bytes: &'a str, ends: &[u32], sym: Sym) -> &'a str {
    let (start, end) = span(ends, sym);
    bytes.get(start..end).unwrap_or("")
}
