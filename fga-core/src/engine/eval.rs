//! The resolver: Check over rewrites, with the depth limit and cycle detection.

use std::cell::{Cell, RefCell};

use super::path::Path;
use super::typesystem::{RelationInfo, Typesystem};
use crate::Error;
use crate::model::types::{TupleToUserset, Userset};
use crate::store::index::{Sym, TupleIndex, TupleView};
use crate::tuple::{Context, UserRef};

/// The resolution depth limit (OpenFGA's default; error 2002 beyond it).
pub const MAX_DEPTH: u32 = 25;

/// A node (type, id and relation symbols) at a depth.
type MemoKey = (u32, u32, u32, u32);

/// Sub-results shared by the checks of one user within a batch.
///
/// A node's result is kept only when its evaluation met no cycle and no error; it is
/// reused only at the same depth and when no type#relation visited while computing it
/// is on the current path. Under those conditions the evaluation would repeat step by
/// step (the path is the only other input, and it is consulted only for cycles), so
/// results stay exactly those of single Checks.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    results: RefCell<hashbrown::HashMap<MemoKey, (Tri, u64)>>,
    /// Cycles met so far.
    cycles: Cell<u64>,
    /// The type#relation bits visited by the node being evaluated.
    visited: Cell<u64>,
}

/// The tuple sources of an evaluation: the store, and the request's contextual tuples
/// when it has any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sources<'a> {
    pub(crate) stored: &'a TupleIndex,
    pub(crate) contextual: Option<&'a TupleIndex>,
}

impl<'a> Sources<'a> {
    /// Every source, the store first.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a TupleIndex> {
        std::iter::once(self.stored).chain(self.contextual)
    }

    /// Every source, each with whether it is the store.
    fn each(self) -> impl Iterator<Item = (&'a TupleIndex, bool)> {
        std::iter::once((self.stored, true)).chain(self.contextual.map(|c| (c, false)))
    }
}

/// One evaluation: a model, the stored and contextual tuples, the request context.
#[derive(Debug)]
pub(crate) struct Eval<'a> {
    pub(crate) ts: &'a Typesystem,
    pub(crate) sources: Sources<'a>,
    pub(crate) context: Option<&'a Context>,
    /// Shared sub-results (BatchCheck of one user, stored tuples only).
    pub(crate) memo: Option<&'a Memo>,
    /// Symbols of the relation names met so far, in the store.
    relation_syms: Cell<[Option<Sym>; 4]>,
}

/// Where the store keeps an object: its type and id symbols, not looked up yet, or
/// nowhere (the store has no tuple naming it).
#[derive(Debug, Clone, Copy)]
enum At {
    Unknown,
    Nowhere,
    Syms(Sym, Sym),
}

/// An object being resolved.
#[derive(Debug, Clone, Copy)]
struct Node<'s> {
    t: &'s str,
    id: &'s str,
    at: At,
}

impl<'s> Node<'s> {
    /// The user of a tuple as an object, located when the tuple is the store's.
    fn user_of(tv: &TupleView<'s>, stored: bool) -> Self {
        Self {
            t: tv.user_type,
            id: tv.user_id,
            at: if stored {
                At::Syms(tv.user_key.0, tv.user_key.1)
            } else {
                At::Unknown
            },
        }
    }
}

/// The outcome of one branch: allowed, not allowed, or not allowed because a cycle was
/// met (a cycle poisons an exclusion's subtract, as in OpenFGA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    Yes,
    No,
    Cycle,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Self {
        if b { Self::Yes } else { Self::No }
    }
}

/// Folds branch results: a `true` wins over errors; otherwise the first error, else
/// cycle, else false.
#[derive(Default)]
struct Any {
    error: Option<Error>,
    cycle: bool,
}

impl Any {
    fn add(&mut self, r: Result<Tri, Error>) -> bool {
        match r {
            Ok(Tri::Yes) => true,
            Ok(Tri::No) => false,
            Ok(Tri::Cycle) => {
                self.cycle = true;
                false
            }
            Err(e) => {
                // Depth errors dominate: they are reported even when another branch fails.
                if self.error.is_none() || matches!(e, Error::DepthExceeded) {
                    self.error = Some(e);
                }
                false
            }
        }
    }

    fn finish(self) -> Result<Tri, Error> {
        match self.error {
            Some(e) => Err(e),
            None if self.cycle => Ok(Tri::Cycle),
            None => Ok(Tri::No),
        }
    }
}

/// Whether a stored tuple of a relation fits the relation's type restrictions.
pub(super) fn fits(info: &RelationInfo, tv: &TupleView<'_>) -> bool {
    info.allows(
        tv.user_type,
        tv.user_relation,
        tv.is_wildcard(),
        tv.condition.map(|c| c.name.as_str()),
    )
}

/// Whether a tuple's user is the user asked about (or its type's wildcard).
fn names_user(tv: &TupleView<'_>, user: UserRef<'_>) -> bool {
    match (user, tv.user_relation) {
        (UserRef::Object(ut, uid), None) => {
            tv.user_type == ut && (tv.user_id == uid || tv.is_wildcard())
        }
        (UserRef::Wildcard(ut), None) => tv.is_wildcard() && tv.user_type == ut,
        (UserRef::Userset(ut, uid, ur), Some(r)) => {
            tv.user_type == ut && tv.user_id == uid && r == ur
        }
        _ => false,
    }
}

impl<'a> Eval<'a> {
    pub(crate) fn new(
        ts: &'a Typesystem,
        sources: Sources<'a>,
        context: Option<&'a Context>,
    ) -> Self {
        Self {
            ts,
            sources,
            context,
            memo: None,
            relation_syms: Cell::default(),
        }
    }

    /// The tuples of `type:id#relation` from every source that fit the model.
    pub(crate) fn tuples<'s>(
        &'s self,
        t: &'s str,
        id: &'s str,
        rel: &'s str,
    ) -> impl Iterator<Item = TupleView<'a>> + 's {
        let sources = self.sources;
        self.ts.relation(t, rel).into_iter().flat_map(move |info| {
            sources
                .iter()
                .flat_map(move |s| s.by_object(t, id, rel))
                .filter(move |tv| fits(info, tv))
        })
    }

    /// Whether the tuple's condition holds (true when it has none).
    pub(crate) fn condition_holds(&self, tv: &TupleView<'_>) -> Result<bool, Error> {
        match tv.condition {
            None => Ok(true),
            Some(c) => self
                .ts
                .conditions
                .evaluate(&c.name, c.context.as_ref(), self.context),
        }
    }

    /// The store's symbol of a relation name; the few names of one evaluation are
    /// remembered.
    fn relation_sym(&self, relation: &str) -> Option<Sym> {
        let stored = self.sources.stored;
        let mut known = self.relation_syms.get();
        for sym in known.iter().map_while(|s| *s) {
            if stored.is(sym, relation) {
                return Some(sym);
            }
        }
        let sym = stored.sym(relation)?;
        if let Some(free) = known.iter_mut().find(|s| s.is_none()) {
            *free = Some(sym);
            self.relation_syms.set(known);
        }
        Some(sym)
    }

    /// The node with its place in the store looked up.
    fn locate<'s>(&self, node: Node<'s>) -> Node<'s> {
        let at = match node.at {
            At::Unknown => match self.sources.stored.object_syms(node.t, node.id) {
                Some((t, id)) => At::Syms(t, id),
                None => At::Nowhere,
            },
            known => known,
        };
        Node { at, ..node }
    }

    /// The symbols of `node#relation` in a source: from the node in the store, looked
    /// up in a contextual source.
    fn key_in(
        &self,
        source: &TupleIndex,
        stored: bool,
        node: Node<'_>,
        relation: &str,
    ) -> Option<(Sym, Sym, Sym)> {
        if !stored {
            return source.symbols(node.t, node.id, relation);
        }
        match node.at {
            At::Syms(t, id) => Some((t, id, self.relation_sym(relation)?)),
            At::Nowhere => None,
            At::Unknown => source.symbols(node.t, node.id, relation),
        }
    }

    /// Check: does `user` have `relation` on `type:id`?
    pub(crate) fn check<'s>(
        &'s self,
        t: &'s str,
        id: &'s str,
        relation: &'s str,
        user: UserRef<'_>,
    ) -> Result<bool, Error> {
        let mut path = Path::new();
        let node = Node {
            t,
            id,
            at: At::Unknown,
        };
        Ok(self.check_relation(node, relation, user, 0, &mut path)? == Tri::Yes)
    }

    /// The answers known before the relation's rules are looked at: past the depth
    /// limit, and the userset asked about itself.
    fn settled(
        node: Node<'_>,
        relation: &str,
        user: UserRef<'_>,
        depth: u32,
    ) -> Option<Result<Tri, Error>> {
        if depth >= MAX_DEPTH {
            return Some(Err(Error::DepthExceeded));
        }
        match user {
            UserRef::Userset(ut, uid, ur) if uid == node.id && ur == relation && ut == node.t => {
                Some(Ok(Tri::Yes))
            }
            _ => None,
        }
    }

    fn check_relation<'s>(
        &'s self,
        node: Node<'s>,
        relation: &'s str,
        user: UserRef<'_>,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        if let Some(settled) = Self::settled(node, relation, user, depth) {
            return settled;
        }
        let Some(info) = self.ts.relation(node.t, relation) else {
            return Ok(Tri::No);
        };
        self.resolve(node, relation, info, user, depth, path)
    }

    /// [`Self::check_relation`] past the settled answers, with the relation's rules.
    fn resolve<'s>(
        &'s self,
        node: Node<'s>,
        relation: &'s str,
        info: &'s RelationInfo,
        user: UserRef<'_>,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        if path.contains(node.t, node.id, relation) {
            if let Some(memo) = self.memo {
                memo.cycles.set(memo.cycles.get() + 1);
            }
            return Ok(Tri::Cycle);
        }
        let node = self.locate(node);
        let step = (node.t, node.id, relation, info.bit);
        let Some(memo) = self.memo.filter(|_| depth > 0) else {
            path.push(step)?;
            let result = self.rewrite(node, relation, info, &info.rewrite, user, depth, path);
            path.pop();
            return result;
        };
        let key = self
            .key_in(self.sources.stored, true, node, relation)
            .map(|(a, b, c)| (a, b, c, depth));
        let on_path = path.bits();
        if let Some(key) = key
            && let Some(&(tri, visited)) = memo.results.borrow().get(&key)
            && visited & on_path == 0
        {
            memo.visited.set(memo.visited.get() | visited);
            return Ok(tri);
        }
        let (outer, cycles) = (memo.visited.replace(0), memo.cycles.get());
        path.push(step)?;
        let result = self.rewrite(node, relation, info, &info.rewrite, user, depth, path);
        path.pop();
        let visited = memo.visited.get() | info.bit;
        memo.visited.set(outer | visited);
        if let (Some(key), Ok(tri)) = (key, &result)
            && memo.cycles.get() == cycles
        {
            memo.results.borrow_mut().insert(key, (*tri, visited));
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn rewrite<'s>(
        &'s self,
        node: Node<'s>,
        relation: &'s str,
        info: &'s RelationInfo,
        rewrite: &'s Userset,
        user: UserRef<'_>,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        match rewrite {
            Userset::This(_) => self.direct(node, relation, info, user, depth, path),
            Userset::ComputedUserset(c) => {
                self.check_relation(node, &c.relation, user, depth + 1, path)
            }
            Userset::TupleToUserset(ttu) => self.tuple_to_userset(node, ttu, user, depth, path),
            Userset::Union(u) => {
                let mut any = Any::default();
                for child in &u.child {
                    if any.add(self.rewrite(node, relation, info, child, user, depth, path)) {
                        return Ok(Tri::Yes);
                    }
                }
                any.finish()
            }
            Userset::Intersection(u) => {
                let mut error = None;
                for child in &u.child {
                    match self.rewrite(node, relation, info, child, user, depth, path) {
                        Ok(Tri::Yes) => {}
                        Ok(other) => return Ok(other),
                        Err(e) => {
                            if error.is_none() {
                                error = Some(e);
                            }
                        }
                    }
                }
                match error {
                    Some(e) => Err(e),
                    None => Ok(Tri::Yes),
                }
            }
            Userset::Difference(d) => {
                let base = self.rewrite(node, relation, info, &d.base, user, depth, path);
                if let Ok(Tri::No | Tri::Cycle) = base {
                    return base;
                }
                let subtract = self.rewrite(node, relation, info, &d.subtract, user, depth, path);
                match (base, subtract) {
                    (_, Ok(Tri::Yes)) => Ok(Tri::No),
                    (_, Ok(Tri::Cycle)) => Ok(Tri::Cycle),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    (Ok(b), Ok(Tri::No)) => Ok(b),
                }
            }
        }
    }

    /// `computed from tupleset`: the computed relation on each object the tupleset's
    /// tuples point at.
    fn tuple_to_userset<'s>(
        &'s self,
        node: Node<'s>,
        ttu: &'s TupleToUserset,
        user: UserRef<'_>,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        let (tupleset, computed) = (&ttu.tupleset.relation, &ttu.computed_userset.relation);
        let Some(tupleset_info) = self.ts.relation(node.t, tupleset) else {
            return Ok(Tri::No);
        };
        let mut any = Any::default();
        for (source, stored) in self.sources.each() {
            let Some(key) = self.key_in(source, stored, node, tupleset) else {
                continue;
            };
            for tv in source.by_object_at(key) {
                if tv.user_relation.is_some() || tv.is_wildcard() || !fits(tupleset_info, &tv) {
                    continue;
                }
                let Some(next) = self.ts.relation(tv.user_type, computed) else {
                    continue;
                };
                match self.condition_holds(&tv) {
                    Ok(true) => {}
                    other => {
                        any.add(other.map(Tri::from));
                        continue;
                    }
                }
                let target = Node::user_of(&tv, stored);
                let result = match Self::settled(target, computed, user, depth + 1) {
                    Some(settled) => settled,
                    None => self.resolve(target, computed, next, user, depth + 1, path),
                };
                if any.add(result) {
                    return Ok(Tri::Yes);
                }
            }
        }
        any.finish()
    }

    /// The direct assignments of `type:id#relation` that matter for `user`: the tuples
    /// naming the user (its own tuple, its type's wildcard, or the userset asked about),
    /// whose conditions are checked first, then the userset subjects, resolved in turn;
    /// each group in the order a scan of every fitting tuple (every source in turn, each
    /// in insertion order) would meet it.
    fn direct<'s>(
        &'s self,
        node: Node<'s>,
        relation: &'s str,
        info: &'s RelationInfo,
        user: UserRef<'_>,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        let (t, id) = (node.t, node.id);
        // Fast path: the exact tuple, without condition.
        let mut exact = false;
        if let UserRef::Object(ut, uid) = user {
            for source in self.sources.iter() {
                if let Some(unconditional) =
                    source.has_unconditional((t, id), relation, (ut, uid, None))
                {
                    exact = true;
                    if unconditional && info.allows_plain(ut) {
                        return Ok(Tri::Yes);
                    }
                }
            }
        }
        // Per source: the user's own tuple (looked up when one is stored) and the userset
        // and wildcard tuples; or, when the source holds both the user's tuple and a
        // wildcard of the user's type, all of its tuples, as only a scan tells their order.
        let keys = [
            self.key_in(self.sources.stored, true, node, relation),
            self.sources
                .contextual
                .and_then(|c| self.key_in(c, false, node, relation)),
        ];
        // Visits the fitting candidates in scan order until `visit` returns true.
        let walk = |visit: &mut dyn FnMut(TupleView<'a>, bool) -> bool| {
            for ((source, stored), key) in self.sources.each().zip(keys) {
                let own = match user {
                    UserRef::Object(ut, uid) if exact => source
                        .get((t, id), relation, (ut, uid, None))
                        .filter(|tv| fits(info, tv)),
                    _ => None,
                };
                let Some(key) = key else {
                    // Nothing but the user's own tuple.
                    if let Some(own) = own
                        && visit(own, stored)
                    {
                        return true;
                    }
                    continue;
                };
                let scan = own.is_some_and(|own| {
                    source.sets_at(key).any(|tv| {
                        tv.is_wildcard() && tv.user_type == own.user_type && fits(info, &tv)
                    })
                });
                if scan {
                    for tv in source.by_object_at(key) {
                        if fits(info, &tv) && visit(tv, stored) {
                            return true;
                        }
                    }
                    continue;
                }
                if let Some(own) = own
                    && visit(own, stored)
                {
                    return true;
                }
                for tv in source.sets_at(key) {
                    if fits(info, &tv) && visit(tv, stored) {
                        return true;
                    }
                }
            }
            false
        };
        let mut any = Any::default();
        // The tuples naming the user come first: one that holds decides.
        if walk(&mut |tv, _| {
            names_user(&tv, user) && any.add(self.condition_holds(&tv).map(Tri::from))
        }) {
            return Ok(Tri::Yes);
        }
        // Then the userset subjects, resolved in turn.
        if walk(&mut |tv, stored| {
            let Some(ur) = tv.user_relation else {
                return false;
            };
            if names_user(&tv, user) {
                return false;
            }
            match self.condition_holds(&tv) {
                Ok(true) => {}
                other => {
                    any.add(other.map(Tri::from));
                    return false;
                }
            }
            let subject = Node::user_of(&tv, stored);
            any.add(self.check_relation(subject, ur, user, depth + 1, path))
        }) {
            return Ok(Tri::Yes);
        }
        any.finish()
    }
}
