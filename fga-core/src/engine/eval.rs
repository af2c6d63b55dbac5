//! The resolver: Check over rewrites, with the depth limit and cycle detection.

use std::cell::{Cell, RefCell};

use super::tuple_check::allowed;
use super::typesystem::Typesystem;
use crate::Error;
use crate::model::types::Userset;
use crate::store::index::{TupleIndex, TupleView};
use crate::tuple::{Context, User};

/// The resolution depth limit (OpenFGA's default; error 2002 beyond it).
pub const MAX_DEPTH: u32 = 25;

/// The object#relation pairs on the current resolution path (at most [`MAX_DEPTH`]),
/// each with its type#relation bit.
type Path<'s> = Vec<(&'s str, &'s str, &'s str, u64)>;

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

/// One evaluation: a model, the stored and contextual tuples, the request context.
#[derive(Debug)]
pub(crate) struct Eval<'a> {
    pub(crate) ts: &'a Typesystem,
    pub(crate) sources: Vec<&'a TupleIndex>,
    pub(crate) context: Option<&'a Context>,
    /// Shared sub-results (BatchCheck of one user, stored tuples only).
    pub(crate) memo: Option<&'a Memo>,
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

impl<'a> Eval<'a> {
    /// The tuples of `type:id#relation` from every source that fit the model.
    pub(crate) fn tuples(&self, t: &str, id: &str, rel: &str) -> Vec<TupleView<'a>> {
        let mut out = Vec::new();
        for source in &self.sources {
            for tv in source.by_object(t, id, rel) {
                if allowed(
                    self.ts,
                    tv.object_type,
                    tv.relation,
                    tv.user_type,
                    tv.user_relation,
                    tv.is_wildcard(),
                    tv.condition.map(|c| c.name.as_str()),
                ) {
                    out.push(tv);
                }
            }
        }
        out
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

    /// Check: does `user` have `relation` on `type:id`?
    pub(crate) fn check<'s>(
        &'s self,
        t: &'s str,
        id: &'s str,
        relation: &'s str,
        user: &User,
    ) -> Result<bool, Error> {
        let mut path = Vec::with_capacity(8);
        Ok(self.check_relation(t, id, relation, user, 0, &mut path)? == Tri::Yes)
    }

    fn check_relation<'s>(
        &'s self,
        t: &'s str,
        id: &'s str,
        relation: &'s str,
        user: &User,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        if depth >= MAX_DEPTH {
            return Err(Error::DepthExceeded);
        }
        if let User::Userset(o, r) = user
            && o.type_name == t
            && o.id == id
            && r == relation
        {
            return Ok(Tri::Yes);
        }
        let Some(info) = self.ts.relation(t, relation) else {
            return Ok(Tri::No);
        };
        if path
            .iter()
            .any(|&(pt, pid, pr, _)| (pt, pid, pr) == (t, id, relation))
        {
            if let Some(memo) = self.memo {
                memo.cycles.set(memo.cycles.get() + 1);
            }
            return Ok(Tri::Cycle);
        }
        let Some(memo) = self.memo.filter(|_| depth > 0) else {
            path.push((t, id, relation, info.bit));
            let result = self.rewrite(t, id, relation, &info.rewrite, user, depth, path);
            path.pop();
            return result;
        };
        let key = self
            .sources
            .first()
            .and_then(|s| s.symbols(t, id, relation))
            .map(|(a, b, c)| (a, b, c, depth));
        let on_path = path.iter().fold(0, |m, p| m | p.3);
        if let Some(key) = key
            && let Some(&(tri, visited)) = memo.results.borrow().get(&key)
            && visited & on_path == 0
        {
            memo.visited.set(memo.visited.get() | visited);
            return Ok(tri);
        }
        let (outer, cycles) = (memo.visited.replace(0), memo.cycles.get());
        path.push((t, id, relation, info.bit));
        let result = self.rewrite(t, id, relation, &info.rewrite, user, depth, path);
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
        t: &'s str,
        id: &'s str,
        relation: &'s str,
        rewrite: &'s Userset,
        user: &User,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        match rewrite {
            Userset::This(_) => self.direct(t, id, relation, user, depth, path),
            Userset::ComputedUserset(c) => {
                self.check_relation(t, id, &c.relation, user, depth + 1, path)
            }
            Userset::TupleToUserset(ttu) => {
                let computed = &ttu.computed_userset.relation;
                let mut any = Any::default();
                for tv in self.tuples(t, id, &ttu.tupleset.relation) {
                    if tv.user_relation.is_some() || tv.is_wildcard() {
                        continue;
                    }
                    if self.ts.relation(tv.user_type, computed).is_none() {
                        continue;
                    }
                    match self.condition_holds(&tv) {
                        Ok(true) => {}
                        other => {
                            any.add(other.map(Tri::from));
                            continue;
                        }
                    }
                    if any.add(self.check_relation(
                        tv.user_type,
                        tv.user_id,
                        computed,
                        user,
                        depth + 1,
                        path,
                    )) {
                        return Ok(Tri::Yes);
                    }
                }
                any.finish()
            }
            Userset::Union(u) => {
                let mut any = Any::default();
                for child in &u.child {
                    if any.add(self.rewrite(t, id, relation, child, user, depth, path)) {
                        return Ok(Tri::Yes);
                    }
                }
                any.finish()
            }
            Userset::Intersection(u) => {
                let mut error = None;
                for child in &u.child {
                    match self.rewrite(t, id, relation, child, user, depth, path) {
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
                let base = self.rewrite(t, id, relation, &d.base, user, depth, path);
                if let Ok(Tri::No | Tri::Cycle) = base {
                    return base;
                }
                let subtract = self.rewrite(t, id, relation, &d.subtract, user, depth, path);
                match (base, subtract) {
                    (_, Ok(Tri::Yes)) => Ok(Tri::No),
                    (_, Ok(Tri::Cycle)) => Ok(Tri::Cycle),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    (Ok(b), Ok(Tri::No)) => Ok(b),
                }
            }
        }
    }

    /// Whether a stored tuple fits the model's type restrictions.
    fn fits(&self, tv: &TupleView<'_>) -> bool {
        allowed(
            self.ts,
            tv.object_type,
            tv.relation,
            tv.user_type,
            tv.user_relation,
            tv.is_wildcard(),
            tv.condition.map(|c| c.name.as_str()),
        )
    }

    /// The tuples of `type:id#relation` in the order a scan of all of them (every source
    /// in turn, each in insertion order) would meet the ones that matter for `user`: those
    /// granting `user` directly, and the userset subjects. `None` when that order cannot be
    /// told without the scan: a source holds both the exact tuple and a matching wildcard.
    fn direct_candidates(
        &self,
        t: &str,
        id: &str,
        relation: &str,
        user: &User,
        exact: bool,
    ) -> Option<Vec<TupleView<'a>>> {
        let mut out = Vec::new();
        for source in &self.sources {
            let start = out.len();
            let mut wildcard = false;
            for tv in source.sets_by_object(t, id, relation) {
                if self.fits(&tv) {
                    if let User::Object(o) = user {
                        wildcard |= tv.is_wildcard() && tv.user_type == o.type_name;
                    }
                    out.push(tv);
                }
            }
            if let User::Object(o) = user
                && exact
                && let Some(tv) = source.get((t, id), relation, (&o.type_name, &o.id, None))
                && self.fits(&tv)
            {
                if wildcard {
                    return None;
                }
                out.insert(start, tv);
            }
        }
        Some(out)
    }

    fn direct<'s>(
        &'s self,
        t: &'s str,
        id: &'s str,
        relation: &'s str,
        user: &User,
        depth: u32,
        path: &mut Path<'s>,
    ) -> Result<Tri, Error> {
        // Fast path: the exact tuple, without condition.
        let mut exact = false;
        if let User::Object(o) = user {
            for source in &self.sources {
                if let Some(unconditional) =
                    source.has_unconditional((t, id), relation, (&o.type_name, &o.id, None))
                {
                    exact = true;
                    if unconditional
                        && allowed(self.ts, t, relation, &o.type_name, None, false, None)
                    {
                        return Ok(Tri::Yes);
                    }
                }
            }
        }
        let candidates = self
            .direct_candidates(t, id, relation, user, exact)
            .unwrap_or_else(|| self.tuples(t, id, relation));
        let mut any = Any::default();
        let mut usersets = Vec::new();
        for tv in candidates {
            let matches = match (user, tv.user_relation) {
                (User::Object(o), None) => {
                    tv.user_type == o.type_name && (tv.user_id == o.id || tv.is_wildcard())
                }
                (User::Wildcard(ut), None) => tv.is_wildcard() && tv.user_type == ut,
                (User::Userset(o, r), Some(ur)) => {
                    tv.user_type == o.type_name && tv.user_id == o.id && ur == r
                }
                _ => false,
            };
            if matches {
                if any.add(self.condition_holds(&tv).map(Tri::from)) {
                    return Ok(Tri::Yes);
                }
            } else if tv.user_relation.is_some() {
                usersets.push(tv);
            }
        }
        for tv in usersets {
            let Some(ur) = tv.user_relation else { continue };
            match self.condition_holds(&tv) {
                Ok(true) => {}
                other => {
                    any.add(other.map(Tri::from));
                    continue;
                }
            }
            if any.add(self.check_relation(tv.user_type, tv.user_id, ur, user, depth + 1, path)) {
                return Ok(Tri::Yes);
            }
        }
        any.finish()
    }
}
