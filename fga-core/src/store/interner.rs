//! String interning: each distinct type, id and relation is stored once, in one arena.
//!
//! The hash table's entries carry each string's length, and the string itself when it
//! fits in eight bytes (its start in the arena otherwise): looking up a short id reads
//! the table alone, a long one the table and its text, never the end offsets. In a
//! table of millions of ids each of those reads is a cache miss.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// An interned string.
pub(crate) type Sym = u32;

/// Strings of up to this many bytes are kept in their table entry.
const INLINE: usize = 8;

/// A hash table entry: a symbol, its string's length, and the string (up to
/// [`INLINE`] bytes, zero padded) or its start in the arena.
#[derive(Debug, Clone, Copy)]
struct Entry {
    sym: Sym,
    len: u32,
    text: u64,
}

/// The bytes of a short string as one word, zero padded.
fn inline(s: &[u8]) -> u64 {
    let mut word = [0u8; INLINE];
    for (w, b) in word.iter_mut().zip(s) {
        *w = *b;
    }
    u64::from_le_bytes(word)
}

/// A string table: the strings back to back in one buffer, their end offsets, and a
/// hash table of symbols; lookups never allocate.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    bytes: String,
    ends: Vec<u32>,
    table: HashTable<Entry>,
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
        let entry = Entry {
            sym,
            len: u32::try_from(s.len()).unwrap_or(u32::MAX),
            text: if s.len() <= INLINE {
                inline(s.as_bytes())
            } else {
                self.bytes.len() as u64
            },
        };
        self.bytes.push_str(s);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
        let Self {
            bytes,
            ends,
            table,
            hasher,
        } = self;
        table.insert_unique(hash, entry, |e| {
            hasher.hash_one(resolve(bytes, ends, e.sym))
        });
        sym
    }

    fn find(&self, hash: u64, s: &str) -> Option<Sym> {
        let s = s.as_bytes();
        let len = u32::try_from(s.len()).ok()?;
        let short = (s.len() <= INLINE).then(|| inline(s));
        self.table
            .find(hash, |e| {
                e.len == len
                    && match short {
                        Some(word) => e.text == word,
                        None => usize::try_from(e.text).ok().is_some_and(|start| {
                            self.bytes
                                .as_bytes()
                                .get(start..start + s.len())
                                .is_some_and(|b| crate::text::same(b, s))
                        }),
                    }
            })
            .map(|e| e.sym)
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
