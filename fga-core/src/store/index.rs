//! A tuple set indexed both ways: object#relation -> users, and user -> objects.
//!
//! Layout, for a small footprint per tuple: each tuple is six interned symbols in one
//! slot vector; the exact-tuple index and both lookup indexes are hash tables of slot
//! numbers (the key is read back from the slot); the tuples sharing an object#relation
//! (or a user) form a chain through per-slot `next` links, in insertion order.

use std::hash::{BuildHasher, Hasher as _};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

pub(crate) use super::interner::Sym;
use super::packed::{Duplicate, Loader, Packed, TooManyKinds};
use super::symbols::Symbols;
use crate::tuple::{Context, ObjectRef, RelationshipCondition, TupleKey, User};

/// The condition stored with a tuple.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredCondition {
    pub(crate) name: String,
    pub(crate) context: Option<Context>,
}

/// No symbol / no slot.
const NONE: u32 = u32::MAX;

/// One stored tuple, its strings interned; `object_type == NONE` marks a free slot and
/// `user_relation == NONE` a tuple whose user is not a userset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Stored {
    object_type: Sym,
    object_id: Sym,
    relation: Sym,
    user_type: Sym,
    /// `*` for a wildcard.
    user_id: Sym,
    user_relation: Sym,
}

impl Stored {
    const FREE: Self = Self {
        object_type: NONE,
        object_id: NONE,
        relation: NONE,
        user_type: NONE,
        user_id: NONE,
        user_relation: NONE,
    };

    fn object_key(&self) -> (Sym, Sym, Sym) {
        (self.object_type, self.object_id, self.relation)
    }

    fn user_key(&self) -> (Sym, Sym, Sym) {
        (self.user_type, self.user_id, self.user_relation)
    }
}

/// A borrowed view of a stored tuple. The user side, which resolution reads, is
/// resolved up front; the object side on demand.
#[derive(Clone, Copy)]
pub(crate) struct TupleView<'a> {
    pub(super) symbols: &'a Symbols,
    /// The symbols of the object's type and id and of the relation.
    pub(super) object: (Sym, Sym, Sym),
    pub(crate) user_type: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) user_relation: Option<&'a str>,
    pub(crate) condition: Option<&'a StoredCondition>,
    /// The symbols of the user's type and id in the index the view came from.
    pub(crate) user_key: (Sym, Sym),
}

impl std::fmt::Debug for TupleView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TupleView")
            .field("object_type", &self.object_type())
            .field("object_id", &self.object_id())
            .field("relation", &self.relation())
            .field("user_type", &self.user_type)
            .field("user_id", &self.user_id)
            .field("user_relation", &self.user_relation)
            .field("condition", &self.condition)
            .finish()
    }
}

impl<'a> TupleView<'a> {
    /// The object's type.
    pub(crate) fn object_type(&self) -> &'a str {
        self.symbols.resolve_name(self.object.0)
    }

    /// The object's id.
    pub(crate) fn object_id(&self) -> &'a str {
        self.symbols.resolve_id(self.object.0, self.object.1)
    }

    /// The relation.
    pub(crate) fn relation(&self) -> &'a str {
        self.symbols.resolve_name(self.object.2)
    }

    /// The symbols of the object's type and id and of the relation.
    pub(crate) fn object_key(&self) -> (Sym, Sym, Sym) {
        self.object
    }

    pub(crate) fn is_wildcard(&self) -> bool {
        self.user_id == "*" && self.user_relation.is_none()
    }

    pub(crate) fn user(&self) -> User {
        let object = ObjectRef {
            type_name: self.user_type.to_owned(),
            id: self.user_id.to_owned(),
        };
        match self.user_relation {
            Some(r) => User::Userset(object, r.to_owned()),
            None if self.is_wildcard() => User::Wildcard(self.user_type.to_owned()),
            None => User::Object(object),
        }
    }

    pub(crate) fn to_key(self) -> TupleKey {
        TupleKey {
            object: format!("{}:{}", self.object_type(), self.object_id()),
            relation: self.relation().to_owned(),
            user: self.user().to_string(),
            condition: self.condition.map(|c| RelationshipCondition {
                name: c.name.clone(),
                context: c.context.clone(),
            }),
        }
    }
}

/// A chain of slots: first and last, linked through a `next` vector.
#[derive(Debug, Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
}

/// Tuples with their indexes: a packed base (bulk loaded, see [`Packed`]) and a delta of
/// the tuples written since, in hash tables; lookups read the base, then the delta.
#[derive(Debug, Default, Clone)]
pub(crate) struct TupleIndex {
    symbols: Symbols,
    base: Packed,
    slots: Vec<Stored>,
    conditions: HashMap<u32, Arc<StoredCondition>>,
    free: Vec<u32>,
    by_key: HashTable<u32>,
    by_object: HashTable<Chain>,
    next_by_object: Vec<u32>,
    by_user: HashTable<Chain>,
    next_by_user: Vec<u32>,
    /// The userset and wildcard tuples of each object#relation, in insertion order: the
    /// few subjects that resolving a relation for one user has to look through.
    sets: HashMap<(Sym, Sym, Sym), Vec<u32>>,
    len: usize,
    hasher: DefaultHashBuilder,
}

/// The parts of a tuple to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewTuple<'a> {
    pub(crate) object: &'a ObjectRef,
    pub(crate) relation: &'a str,
    pub(crate) user: &'a User,
    pub(crate) condition: Option<StoredCondition>,
}

fn user_parts(user: &User) -> (&str, &str, Option<&str>) {
    match user {
        User::Object(o) => (&o.type_name, &o.id, None),
        User::Wildcard(t) => (t, "*", None),
        User::Userset(o, r) => (&o.type_name, &o.id, Some(r)),
    }
}

/// The six strings of a tuple (object type and id, relation, user type, id and relation,
/// `""` for none), as the exact-tuple index hashes them: a lookup hashes the request's
/// strings once instead of interning each of them.
type Parts<'a> = [&'a str; 6];

fn parts_hash(hasher: &DefaultHashBuilder, parts: &Parts<'_>) -> u64 {
    let mut h = hasher.build_hasher();
    for p in parts {
        h.write(p.as_bytes());
    }
    h.finish()
}

fn slot_parts<'a>(symbols: &'a Symbols, s: &Stored) -> Parts<'a> {
    [
        symbols.resolve_name(s.object_type),
        symbols.resolve_id(s.object_type, s.object_id),
        symbols.resolve_name(s.relation),
        symbols.resolve_name(s.user_type),
        symbols.resolve_id(s.user_type, s.user_id),
        if s.user_relation == NONE {
            ""
        } else {
            symbols.resolve_name(s.user_relation)
        },
    ]
}

/// Whether slot `i` holds the tuple of `parts`.
fn slot_matches(symbols: &Symbols, slots: &[Stored], i: u32, parts: &Parts<'_>) -> bool {
    let s = slot_of(slots, i);
    let [ot, oid, rel, ut, uid, ur] = *parts;
    s.object_type != NONE
        && symbols.is_id(s.object_type, s.object_id, oid)
        && symbols.is_id(s.user_type, s.user_id, uid)
        && symbols.is_name(s.relation, rel)
        && symbols.is_name(s.object_type, ot)
        && symbols.is_name(s.user_type, ut)
        && (if s.user_relation == NONE {
            ur.is_empty()
        } else {
            symbols.is_name(s.user_relation, ur)
        })
}

fn slot_of(slots: &[Stored], i: u32) -> Stored {
    slots.get(i as usize).copied().unwrap_or(Stored::FREE)
}

fn link(next: &[u32], i: u32) -> u32 {
    next.get(i as usize).copied().unwrap_or(NONE)
}

fn set_link(next: &mut Vec<u32>, i: u32, to: u32) {
    let i = i as usize;
    if next.len() <= i {
        next.resize(i + 1, NONE);
    }
    if let Some(n) = next.get_mut(i) {
        *n = to;
    }
}

/// Appends `slot` to the chain of `key` (creating it), in a table keyed by `key_of`.
fn chain_push(
    table: &mut HashTable<Chain>,
    next: &mut Vec<u32>,
    hasher: &DefaultHashBuilder,
    slots: &[Stored],
    key_of: fn(&Stored) -> (Sym, Sym, Sym),
    key: (Sym, Sym, Sym),
    slot: u32,
) {
    set_link(next, slot, NONE);
    let hash = hasher.hash_one(key);
    match table.find_mut(hash, |c| key_of(&slot_of(slots, c.head)) == key) {
        Some(chain) => {
            let tail = chain.tail;
            chain.tail = slot;
            set_link(next, tail, slot);
        }
        None => {
            table.insert_unique(
                hash,
                Chain {
                    head: slot,
                    tail: slot,
                },
                |c| hasher.hash_one(key_of(&slot_of(slots, c.head))),
            );
        }
    }
}

/// Unlinks `slot` from the chain of `key`; the slot still holds its tuple.
fn chain_remove(
    table: &mut HashTable<Chain>,
    next: &mut [u32],
    hasher: &DefaultHashBuilder,
    slots: &[Stored],
    key_of: fn(&Stored) -> (Sym, Sym, Sym),
    key: (Sym, Sym, Sym),
    slot: u32,
) {
    let hash = hasher.hash_one(key);
    let Ok(mut entry) = table.find_entry(hash, |c| key_of(&slot_of(slots, c.head)) == key) else {
        return;
    };
    let chain = *entry.get();
    let after = link(next, slot);
    if chain.head == slot {
        if after == NONE {
            entry.remove();
            return;
        }
        entry.get_mut().head = after;
        // The entry's key is read from its head, which holds the same key.
    } else {
        let mut prev = chain.head;
        while prev != NONE && link(next, prev) != slot {
            prev = link(next, prev);
        }
        if prev == NONE {
            return;
        }
        if let Some(n) = next.get_mut(prev as usize) {
            *n = after;
        }
        if chain.tail == slot {
            entry.get_mut().tail = prev;
        }
    }
}

impl TupleIndex {
    /// Number of tuples.
    pub(crate) fn len(&self) -> usize {
        self.len + self.base.len()
    }

    /// The symbol of a type or relation name, when interned.
    pub(crate) fn sym(&self, s: &str) -> Option<Sym> {
        self.symbols.name(s)
    }

    /// The symbol of an id of the type `type_name` (a name symbol), when interned.
    pub(crate) fn id_sym(&self, type_name: Sym, id: &str) -> Option<Sym> {
        self.symbols.id(type_name, id)
    }

    /// The id of an object, from the symbols of its type and id.
    pub(crate) fn resolve_id(&self, type_sym: Sym, id: Sym) -> &str {
        self.symbols.resolve_id(type_sym, id)
    }

    /// Whether some stored tuple carries a condition.
    pub(crate) fn has_conditions(&self) -> bool {
        !self.conditions.is_empty() || self.base.has_conditions()
    }

    /// The base's live position of a tuple, with the symbols of its object#relation.
    fn base_position(
        &self,
        object: (&str, &str),
        relation: &str,
        user: (&str, &str, Option<&str>),
    ) -> Option<((Sym, Sym, Sym), u32)> {
        if self.base.positions() == 0 {
            return None;
        }
        let (ot, relation) = (self.sym(object.0)?, self.sym(relation)?);
        let ut = self.sym(user.0)?;
        let ur = match user.2 {
            Some(r) => self.sym(r)?,
            None => NONE,
        };
        let probe = self
            .base
            .probe((ot, relation), (ut, ur), object.1, user.1)?;
        let (oid, uid) = self.symbols.id_pair((ot, object.1), (ut, user.1));
        let (oid, uid) = (oid?, uid?);
        Some(((ot, oid, relation), self.base.position(probe, oid, uid)?))
    }

    /// Whether the name symbol's string is `s`.
    pub(crate) fn is(&self, sym: Sym, s: &str) -> bool {
        self.symbols.is_name(sym, s)
    }

    /// The symbols of an object's type and id, when both are interned.
    pub(crate) fn object_syms(&self, t: &str, id: &str) -> Option<(Sym, Sym)> {
        let t = self.sym(t)?;
        Some((t, self.id_sym(t, id)?))
    }

    /// The symbols of `type`, `id` and `relation`, when all are interned.
    pub(crate) fn symbols(&self, t: &str, id: &str, relation: &str) -> Option<(Sym, Sym, Sym)> {
        let (t, id) = self.object_syms(t, id)?;
        Some((t, id, self.sym(relation)?))
    }

    fn find_slot(&self, parts: &Parts<'_>) -> Option<u32> {
        let hash = parts_hash(&self.hasher, parts);
        self.by_key
            .find(hash, |&s| {
                slot_matches(&self.symbols, &self.slots, s, parts)
            })
            .copied()
    }

    /// The stored tuple `type:id#relation@user` (user given as type, id, optional
    /// relation; `*` id for a wildcard), if present.
    pub(crate) fn get(
        &self,
        object: (&str, &str),
        relation: &str,
        user: (&str, &str, Option<&str>),
    ) -> Option<TupleView<'_>> {
        let parts = [
            object.0,
            object.1,
            relation,
            user.0,
            user.1,
            user.2.unwrap_or(""),
        ];
        if let Some((key, pos)) = self.base_position(object, relation, user) {
            return Some(self.base.view(&self.symbols, key, pos));
        }
        self.view(self.find_slot(&parts)?)
    }

    /// Whether the tuple is present without a condition.
    pub(crate) fn has_unconditional(
        &self,
        object: (&str, &str),
        relation: &str,
        user: (&str, &str, Option<&str>),
    ) -> Option<bool> {
        let parts = [
            object.0,
            object.1,
            relation,
            user.0,
            user.1,
            user.2.unwrap_or(""),
        ];
        if let Some((_, pos)) = self.base_position(object, relation, user) {
            return Some(!self.base.is_conditional(pos));
        }
        let slot = self.find_slot(&parts)?;
        Some(self.conditions.is_empty() || !self.conditions.contains_key(&slot))
    }

    /// Whether the tuple (ignoring its condition) is present.
    pub(crate) fn contains(&self, object: &ObjectRef, relation: &str, user: &User) -> bool {
        let (ut, uid, ur) = user_parts(user);
        self.get((&object.type_name, &object.id), relation, (ut, uid, ur))
            .is_some()
    }

    /// Inserts; returns false when the tuple is already present.
    pub(crate) fn insert(&mut self, t: NewTuple<'_>) -> bool {
        let (ut, uid, ur) = user_parts(t.user);
        if self
            .base_position(
                (&t.object.type_name, &t.object.id),
                t.relation,
                (ut, uid, ur),
            )
            .is_some()
        {
            return false;
        }
        let object_type = self.symbols.intern_name(&t.object.type_name);
        let user_type = self.symbols.intern_name(ut);
        let stored = Stored {
            object_type,
            object_id: self.symbols.intern_id(object_type, &t.object.id),
            relation: self.symbols.intern_name(t.relation),
            user_type,
            user_id: self.symbols.intern_id(user_type, uid),
            user_relation: ur.map_or(NONE, |r| self.symbols.intern_name(r)),
        };
        let parts = [
            t.object.type_name.as_str(),
            &t.object.id,
            t.relation,
            ut,
            uid,
            ur.unwrap_or(""),
        ];
        if self.find_slot(&parts).is_some() {
            return false;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Stored::FREE);
                u32::try_from(self.slots.len() - 1).unwrap_or(NONE)
            }
        };
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = stored;
        }
        let Self {
            symbols,
            slots,
            by_key,
            by_object,
            next_by_object,
            by_user,
            next_by_user,
            hasher,
            ..
        } = self;
        by_key.insert_unique(parts_hash(hasher, &parts), slot, |&s| {
            parts_hash(hasher, &slot_parts(symbols, &slot_of(slots, s)))
        });
        chain_push(
            by_object,
            next_by_object,
            hasher,
            slots,
            Stored::object_key,
            stored.object_key(),
            slot,
        );
        chain_push(
            by_user,
            next_by_user,
            hasher,
            slots,
            Stored::user_key,
            stored.user_key(),
            slot,
        );
        if ur.is_some() || uid == "*" {
            self.sets.entry(stored.object_key()).or_default().push(slot);
        }
        match t.condition {
            Some(c) => {
                self.conditions.insert(slot, Arc::new(c));
            }
            None => {
                self.conditions.remove(&slot);
            }
        }
        self.len += 1;
        true
    }

    /// Removes; returns false when absent.
    pub(crate) fn remove(&mut self, object: &ObjectRef, relation: &str, user: &User) -> bool {
        let (ut, uid, ur) = user_parts(user);
        if let Some((_, pos)) =
            self.base_position((&object.type_name, &object.id), relation, (ut, uid, ur))
        {
            return self.base.remove(pos);
        }
        let parts = [
            object.type_name.as_str(),
            &object.id,
            relation,
            ut,
            uid,
            ur.unwrap_or(""),
        ];
        let hash = parts_hash(&self.hasher, &parts);
        let Self {
            symbols,
            slots,
            by_key,
            by_object,
            next_by_object,
            by_user,
            next_by_user,
            hasher,
            ..
        } = self;
        let Ok(entry) = by_key.find_entry(hash, |&s| slot_matches(symbols, slots, s, &parts))
        else {
            return false;
        };
        let slot = *entry.get();
        entry.remove();
        let key = slot_of(slots, slot);
        chain_remove(
            by_object,
            next_by_object,
            hasher,
            slots,
            Stored::object_key,
            key.object_key(),
            slot,
        );
        chain_remove(
            by_user,
            next_by_user,
            hasher,
            slots,
            Stored::user_key,
            key.user_key(),
            slot,
        );
        if key.user_relation != NONE || self.symbols.is_id(key.user_type, key.user_id, "*") {
            let object_key = key.object_key();
            if let Some(set) = self.sets.get_mut(&object_key) {
                set.retain(|&s| s != slot);
                if set.is_empty() {
                    self.sets.remove(&object_key);
                }
            }
        }
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = Stored::FREE;
        }
        self.conditions.remove(&slot);
        self.free.push(slot);
        self.len -= 1;
        true
    }

    fn view(&self, slot: u32) -> Option<TupleView<'_>> {
        let s = slot_of(&self.slots, slot);
        if s.object_type == NONE {
            return None;
        }
        let i = &self.symbols;
        Some(TupleView {
            symbols: i,
            object: s.object_key(),
            user_type: i.resolve_name(s.user_type),
            user_id: i.resolve_id(s.user_type, s.user_id),
            user_relation: (s.user_relation != NONE).then(|| i.resolve_name(s.user_relation)),
            condition: self.conditions.get(&slot).map(|c| &**c),
            user_key: (s.user_type, s.user_id),
        })
    }

    /// The views along a chain.
    fn chain<'s>(
        &'s self,
        head: Option<u32>,
        next: &'s [u32],
    ) -> impl Iterator<Item = TupleView<'s>> + 's {
        std::iter::successors(head, move |&s| Some(link(next, s)).filter(|&n| n != NONE))
            .filter_map(|s| self.view(s))
    }

    fn head(
        &self,
        table: &HashTable<Chain>,
        key_of: fn(&Stored) -> (Sym, Sym, Sym),
        key: (Sym, Sym, Sym),
    ) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        table
            .find(hash, |c| key_of(&slot_of(&self.slots, c.head)) == key)
            .map(|c| c.head)
    }

    /// The tuples of `type:id#relation`, in insertion order.
    pub(crate) fn by_object(
        &self,
        object_type: &str,
        object_id: &str,
        relation: &str,
    ) -> impl Iterator<Item = TupleView<'_>> + '_ {
        let key = self.symbols(object_type, object_id, relation);
        key.into_iter().flat_map(|key| self.by_object_at(key))
    }

    /// [`Self::by_object`] by the symbols of type, id and relation.
    pub(crate) fn by_object_at(
        &self,
        key: (Sym, Sym, Sym),
    ) -> impl Iterator<Item = TupleView<'_>> + '_ {
        let head = self.head(&self.by_object, Stored::object_key, key);
        self.base
            .by_object(&self.symbols, key)
            .chain(self.chain(head, &self.next_by_object))
    }

    /// The tuples of `type:id#relation` (given by their symbols) whose user is a userset
    /// or a wildcard, in insertion order (the order of [`Self::by_object`] without the
    /// other tuples).
    pub(crate) fn sets_at(
        &self,
        key: (Sym, Sym, Sym),
    ) -> impl Iterator<Item = TupleView<'_>> + Clone + '_ {
        self.base.sets(&self.symbols, key).chain(
            self.sets
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|&s| self.view(s)),
        )
    }

    /// The tuples whose user is exactly `user` (wildcards are `type`, `*`), in insertion
    /// order.
    pub(crate) fn by_user(
        &self,
        user_type: &str,
        user_id: &str,
        user_relation: Option<&str>,
    ) -> impl Iterator<Item = TupleView<'_>> + '_ {
        let key = (|| {
            let t = self.sym(user_type)?;
            Some((
                t,
                self.id_sym(t, user_id)?,
                match user_relation {
                    Some(r) => self.sym(r)?,
                    None => NONE,
                },
            ))
        })();
        key.into_iter()
            .flat_map(|(t, id, r)| self.by_user_at(t, id, (r != NONE).then_some(r)))
    }

    /// [`Self::by_user`] by the symbols of the user's type and id and of its relation.
    pub(crate) fn by_user_at(
        &self,
        user_type: Sym,
        user_id: Sym,
        user_relation: Option<Sym>,
    ) -> impl Iterator<Item = TupleView<'_>> + '_ {
        let key = (user_type, user_id, user_relation.unwrap_or(NONE));
        let head = self.head(&self.by_user, Stored::user_key, key);
        self.base
            .by_user(&self.symbols, key)
            .chain(self.chain(head, &self.next_by_user))
    }

    /// Heap bytes held by the tuples, their indexes and the interned strings, computed
    /// from the capacities of the containers (allocator overhead not included).
    pub(crate) fn heap_bytes(&self) -> usize {
        let conditions: usize = self
            .conditions
            .values()
            .map(|c| std::mem::size_of::<StoredCondition>() + 16 + c.name.capacity())
            .sum();
        self.symbols.heap_bytes()
            + self.base.heap_bytes()
            + self.slots.capacity() * std::mem::size_of::<Stored>()
            + self.conditions.capacity() * 8 / 7
                * (std::mem::size_of::<(u32, Arc<StoredCondition>)>() + 1)
            + conditions
            + self.free.capacity() * std::mem::size_of::<u32>()
            + self.by_key.allocation_size()
            + self.by_object.allocation_size()
            + self.next_by_object.capacity() * std::mem::size_of::<u32>()
            + self.by_user.allocation_size()
            + self.next_by_user.capacity() * std::mem::size_of::<u32>()
            + self.sets.capacity() * 8 / 7
                * (std::mem::size_of::<((Sym, Sym, Sym), Vec<u32>)>() + 1)
            + self
                .sets
                .values()
                .map(|v| v.capacity() * std::mem::size_of::<u32>())
                .sum::<usize>()
    }

    /// Every tuple, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = TupleView<'_>> {
        self.base.iter(&self.symbols).chain(
            (0..u32::try_from(self.slots.len()).unwrap_or(NONE)).filter_map(|s| self.view(s)),
        )
    }

    /// A bulk loader holding every tuple of the store, the base's then the delta's,
    /// each object#relation's tuples in insertion order; `more` is how many tuples
    /// will be added.
    pub(crate) fn loader(&self, more: usize) -> Result<Loader, TooManyKinds> {
        let mut loader = Loader::with_capacity(self.len().saturating_add(more));
        let mut failed = None;
        self.base.each_live(|object, user, condition| {
            if failed.is_none()
                && let Err(e) = loader.push(object, user, condition.cloned())
            {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        for chain in &self.by_object {
            let mut slot = chain.head;
            while slot != NONE {
                let s = slot_of(&self.slots, slot);
                loader.push(
                    s.object_key(),
                    s.user_key(),
                    self.conditions.get(&slot).cloned(),
                )?;
                slot = link(&self.next_by_object, slot);
            }
        }
        Ok(loader)
    }

    /// Adds a tuple to a bulk loader, interning its strings in this store.
    pub(crate) fn load(
        &mut self,
        loader: &mut Loader,
        t: NewTuple<'_>,
    ) -> Result<(), TooManyKinds> {
        let (ut, uid, ur) = user_parts(t.user);
        let s = &mut self.symbols;
        let object_type = s.intern_name(&t.object.type_name);
        let user_type = s.intern_name(ut);
        let object = (
            object_type,
            s.intern_id(object_type, &t.object.id),
            s.intern_name(t.relation),
        );
        let user = (
            user_type,
            s.intern_id(user_type, uid),
            ur.map_or(NONE, |r| s.intern_name(r)),
        );
        loader.push(object, user, t.condition.map(Arc::new))
    }

    /// Replaces the store's tuples with a loader's, packed; the first duplicate found
    /// (as `type:id#relation@user`) fails the load and changes nothing.
    pub(crate) fn finish_load(&mut self, loader: Loader) -> Result<(), String> {
        let base = loader.finish(&self.symbols).map_err(|d| self.describe(d))?;
        *self = Self {
            symbols: std::mem::take(&mut self.symbols),
            base,
            ..Self::default()
        };
        Ok(())
    }

    /// `type:id#relation@user` of a duplicate.
    fn describe(&self, d: Duplicate) -> String {
        let s = &self.symbols;
        let (t, id, r) = d.object;
        let (ut, uid, ur) = d.user;
        let relation = if ur == NONE {
            String::new()
        } else {
            format!("#{}", s.resolve_name(ur))
        };
        format!(
            "{}:{}#{}@{}:{}{relation}",
            s.resolve_name(t),
            s.resolve_id(t, id),
            s.resolve_name(r),
            s.resolve_name(ut),
            s.resolve_id(ut, uid),
        )
    }
}
