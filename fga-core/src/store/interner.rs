//! String interning: each distinct type, id and relation is stored once.

use std::collections::HashMap;
use std::sync::Arc;

/// An interned string.
pub(crate) type Sym = u32;

/// A string table; lookups never allocate.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    strings: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, Sym>,
}

impl Interner {
    /// The symbol of `s`, adding it when new.
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = Sym::try_from(self.strings.len()).unwrap_or(Sym::MAX);
        let arc: Arc<str> = Arc::from(s);
        self.strings.push(arc.clone());
        self.ids.insert(arc, id);
        id
    }

    /// The symbol of `s`, if interned.
    pub(crate) fn get(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    /// The string of a symbol.
    pub(crate) fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map_or("", |s| s)
    }
}
