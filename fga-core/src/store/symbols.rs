//! The symbol tables of a tuple store: one for type and relation names, and one per type
//! for the ids of its objects, so each type's objects are numbered densely from 0 (the
//! packed base indexes its adjacency by those numbers).

use super::interner::{Interner, Sym};

/// Names, and the ids of each type's objects.
#[derive(Debug, Default, Clone)]
pub(crate) struct Symbols {
    names: Interner,
    /// The ids of each type, by the type's name symbol.
    ids: Vec<Interner>,
}

impl Symbols {
    /// The symbol of a type or relation name, adding it when new.
    pub(crate) fn intern_name(&mut self, s: &str) -> Sym {
        self.names.intern(s)
    }

    /// The symbol of a type or relation name, if interned.
    pub(crate) fn name(&self, s: &str) -> Option<Sym> {
        self.names.get(s)
    }

    /// The string of a name symbol.
    pub(crate) fn resolve_name(&self, sym: Sym) -> &str {
        self.names.resolve(sym)
    }

    /// Whether the name symbol's string is `s`.
    pub(crate) fn is_name(&self, sym: Sym, s: &str) -> bool {
        self.names.is(sym, s)
    }

    /// The number of `type_name`'s ids, a bound on its id symbols.
    pub(crate) fn id_count(&self, type_name: Sym) -> usize {
        self.ids.get(type_name as usize).map_or(0, Interner::len)
    }

    /// The symbol of an id of objects of the type `type_name` (a name symbol), adding
    /// it when new.
    pub(crate) fn intern_id(&mut self, type_name: Sym, s: &str) -> Sym {
        let i = type_name as usize;
        if self.ids.len() <= i {
            self.ids.resize_with(i + 1, Interner::default);
        }
        match self.ids.get_mut(i) {
            Some(ids) => ids.intern(s),
            None => Sym::MAX,
        }
    }

    /// The symbol of an id of the type `type_name`, if interned.
    pub(crate) fn id(&self, type_name: Sym, s: &str) -> Option<Sym> {
        self.ids.get(type_name as usize)?.get(s)
    }

    /// The symbols of two ids, each of a type (a name symbol), looked up together: both
    /// tables are read before either is searched, so that the two reads wait on memory
    /// at once.
    pub(crate) fn id_pair(&self, a: (Sym, &str), b: (Sym, &str)) -> (Option<Sym>, Option<Sym>) {
        let (Some(ta), Some(tb)) = (self.ids.get(a.0 as usize), self.ids.get(b.0 as usize)) else {
            return (self.id(a.0, a.1), self.id(b.0, b.1));
        };
        let (ha, hb) = (ta.hash(a.1), tb.hash(b.1));
        ta.prefetch(ha);
        tb.prefetch(hb);
        (ta.find(ha, a.1), tb.find(hb, b.1))
    }

    /// The string of an id symbol of the type `type_name`.
    pub(crate) fn resolve_id(&self, type_name: Sym, sym: Sym) -> &str {
        self.ids
            .get(type_name as usize)
            .map_or("", |ids| ids.resolve(sym))
    }

    /// Whether the id symbol's string, in the type `type_name`, is `s`.
    pub(crate) fn is_id(&self, type_name: Sym, sym: Sym, s: &str) -> bool {
        self.ids
            .get(type_name as usize)
            .is_some_and(|ids| ids.is(sym, s))
    }

    /// Heap bytes held, from the containers' capacities.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + self.ids.capacity() * std::mem::size_of::<Interner>()
            + self.ids.iter().map(Interner::heap_bytes).sum::<usize>()
    }
}
