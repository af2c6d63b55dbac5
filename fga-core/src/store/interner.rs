//! String interning: each distinct type, id and relation is stored once, in one arena.
//!
//! The hash table's entries (see [`Table`]) carry each string's length, and the string
//! itself when it fits in eight bytes (its start in the arena and 32 bits of its hash
//! otherwise): looking up a short id reads one bucket of the table alone, a long one
//! the bucket and its text, never the end offsets. In a table of millions of ids each
//! of those reads is a cache miss.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;

use super::table::{Entry, Table};

/// An interned string.
pub(crate) type Sym = u32;

/// Strings of up to this many bytes are kept in their table entry.
const INLINE: usize = 8;

/// The bytes of a short string as one word, zero padded.
fn inline(s: &[u8]) -> u64 {
    let mut word = [0u8; INLINE];
    for (w, b) in word.iter_mut().zip(s) {
        *w = *b;
    }
    u64::from_le_bytes(word)
}

/// The word an entry holds for a string of more than [`INLINE`] bytes: its start in
/// the arena, and the high half of its hash to turn most other strings away unread.
fn long_text(start: usize, hash: u64) -> u64 {
    (hash & 0xffff_ffff_0000_0000) | (start as u64 & 0xffff_ffff)
}

/// A string table: the strings back to back in one buffer, their end offsets, and a
/// hash table of symbols; lookups never allocate.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    bytes: String,
    ends: Vec<u32>,
    table: Table,
    hasher: DefaultHashBuilder,
}

impl Interner {
    /// The symbol of `s`, adding it when new (`Sym::MAX` when the table is full).
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hash(s);
        if let Some(sym) = self.find(hash, s) {
            return sym;
        }
        let (Ok(sym), Ok(len), Ok(start)) = (
            Sym::try_from(self.ends.len()),
            u32::try_from(s.len()),
            u32::try_from(self.bytes.len()),
        ) else {
            return Sym::MAX;
        };
        if sym == Sym::MAX {
            return Sym::MAX;
        }
        let entry = Entry {
            sym,
            len,
            text: if s.len() <= INLINE {
                inline(s.as_bytes())
            } else {
                long_text(start as usize, hash)
            },
        };
        self.bytes.push_str(s);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
        let Self {
            bytes,
            table,
            hasher,
            ..
        } = self;
        table.insert(hash, entry, |e| rehash(hasher, bytes, e));
        sym
    }

    /// The hash of a string, for [`Self::prefetch`] and [`Self::find`].
    pub(crate) fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s.as_bytes())
    }

    /// Reads the table where `hash` would be found, ahead of [`Self::find`].
    pub(crate) fn prefetch(&self, hash: u64) {
        self.table.prefetch(hash);
    }

    /// The symbol of `s`, whose hash is `hash`, if interned.
    pub(crate) fn find(&self, hash: u64, s: &str) -> Option<Sym> {
        let s = s.as_bytes();
        let len = u32::try_from(s.len()).ok()?;
        let found = if s.len() <= INLINE {
            let word = inline(s);
            self.table.find(hash, |e| e.len == len && e.text == word)
        } else {
            let high = hash & 0xffff_ffff_0000_0000;
            self.table.find(hash, |e| {
                e.len == len
                    && e.text & 0xffff_ffff_0000_0000 == high
                    && crate::text::same(arena_text(&self.bytes, e), s)
            })
        };
        found.map(|e| e.sym)
    }

    /// The symbol of `s`, if interned.
    pub(crate) fn get(&self, s: &str) -> Option<Sym> {
        self.find(self.hash(s), s)
    }

    /// Number of strings interned; symbols are `0..len`.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Heap bytes held, from the containers' capacities.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<u32>()
            + self.table.heap_bytes()
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

/// The bytes of a long string's entry, from the arena.
fn arena_text<'a>(bytes: &'a str, e: &Entry) -> &'a [u8] {
    let start = (e.text & 0xffff_ffff) as usize;
    bytes
        .as_bytes()
        .get(start..start + e.len as usize)
        .unwrap_or_default()
}

/// The hash of an entry's string, read from the entry when inline.
fn rehash(hasher: &DefaultHashBuilder, bytes: &str, e: &Entry) -> u64 {
    let len = e.len as usize;
    if len <= INLINE {
        let word = e.text.to_le_bytes();
        hasher.hash_one(word.get(..len).unwrap_or_default())
    } else {
        hasher.hash_one(arena_text(bytes, e))
    }
}

#[cfg(test)]
mod tests {
    use super::Interner;

    fn word(i: usize) -> String {
        // Short and long strings, some sharing their first eight bytes, some with a
        // zero byte where an inline string is padded.
        match i % 4 {
            0 => format!("{i}"),
            1 => format!("{i}\0"),
            2 => format!("prefix00-{i}"),
            _ => format!("{i:0>12}"),
        }
    }

    #[test]
    fn interns_each_string_once_and_finds_only_interned_ones() {
        let mut interner = Interner::default();
        for i in 0..20_000 {
            assert_eq!(interner.intern(&word(i)) as usize, i);
        }
        for i in 0..20_000 {
            let w = word(i);
            assert_eq!(interner.intern(&w) as usize, i);
            assert_eq!(interner.get(&w).map(|s| s as usize), Some(i));
            assert_eq!(interner.resolve(i as u32), w);
        }
        for i in 20_000..20_400 {
            assert_eq!(interner.get(&word(i)), None);
        }
        assert_eq!(interner.get(""), None);
        assert_eq!(interner.len(), 20_000);
    }
}
