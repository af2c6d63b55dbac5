//! Reverse expansion: the objects a user has a relation on, found by walking from the
//! user's own tuples up through usersets, computed relations and parent links, instead
//! of checking every candidate object.
//!
//! It is used only where it gives exactly what Check gives: the rules of every relation
//! the target depends on only add access (unions of direct grants, computed relations
//! and `relation from tupleset`; no intersection or exclusion), the relations form no
//! cycle and stay within [`MAX_DEPTH`], no stored tuple carries a condition, there are no
//! contextual tuples, and the user is a plain object. Then Check says yes exactly when a
//! chain of tuples leads from the object to the user, and never errs past validation;
//! the walk finds the same chains from the other end.

use std::ops::ControlFlow;

use hashbrown::{HashMap, HashSet};

use super::eval::{MAX_DEPTH, fits};
use super::typesystem::{RelationInfo, Typesystem};
use crate::model::types::Userset;
use crate::store::index::{Sym, TupleIndex};

/// One type#relation the target depends on.
struct Node<'t> {
    type_name: &'t str,
    relation: &'t str,
    info: &'t RelationInfo,
    /// A direct tuple of this relation grants it (`[..]` is a member of its union).
    direct: bool,
    /// The relations of the same type that include this one (`define r2: ... or r`).
    computed_into: Vec<usize>,
    /// Some dependent relation accepts `type#relation` as a userset subject.
    userset_subject: bool,
    /// Some dependent relation is `relation from tupleset` with this relation.
    parent_target: bool,
}

/// How a `computed from tupleset` rule is entered from a tupleset tuple.
struct ParentRule<'t> {
    /// The computed relation, on the tuple's user.
    computed: &'t str,
    /// The tupleset relation's restrictions.
    tupleset: &'t RelationInfo,
    /// The node the rule grants.
    grants: usize,
}

/// The dependency graph of one type#relation, when reverse expansion applies to it.
pub(crate) struct Plan<'t> {
    nodes: Vec<Node<'t>>,
    /// `(tupleset type, tupleset relation)` to the rules it enters.
    parents: HashMap<(&'t str, &'t str), Vec<ParentRule<'t>>>,
    target: usize,
}

/// The members of a rewrite's union, or `None` when it intersects or excludes.
fn members(rewrite: &Userset) -> Option<Vec<&Userset>> {
    match rewrite {
        Userset::Union(u) => {
            let mut out = Vec::new();
            for child in &u.child {
                out.extend(members(child)?);
            }
            Some(out)
        }
        Userset::Intersection(_) | Userset::Difference(_) => None,
        leaf => Some(vec![leaf]),
    }
}

/// The type#relations one rule member resolves next, as Check descends.
fn children<'t>(
    ts: &'t Typesystem,
    type_name: &'t str,
    info: &'t RelationInfo,
    member: &'t Userset,
) -> Vec<(&'t str, &'t str)> {
    let exists = |t: &str, r: &str| ts.relation(t, r).is_some();
    match member {
        Userset::This(_) => info
            .direct
            .iter()
            .filter_map(|d| Some((d.type_name.as_str(), d.relation.as_deref()?)))
            .filter(|(t, r)| exists(t, r))
            .collect(),
        Userset::ComputedUserset(c) => vec![(type_name, c.relation.as_str())]
            .into_iter()
            .filter(|(t, r)| exists(t, r))
            .collect(),
        Userset::TupleToUserset(ttu) => ts
            .relation(type_name, &ttu.tupleset.relation)
            .into_iter()
            .flat_map(|tupleset| tupleset.direct.iter())
            .filter(|d| d.relation.is_none() && !d.is_wildcard())
            .map(|d| (d.type_name.as_str(), ttu.computed_userset.relation.as_str()))
            .filter(|(t, r)| exists(t, r))
            .collect(),
        _ => Vec::new(),
    }
}

/// Depth-first walk of the dependency graph, returning the longest chain of descents
/// below `key`: `None` on a cycle, an intersection or an exclusion, or past the depth
/// limit.
fn visit<'t>(
    ts: &'t Typesystem,
    key: (&'t str, &'t str),
    depth: u32,
    state: &mut HashMap<(&'t str, &'t str), Option<u32>>,
    order: &mut Vec<(&'t str, &'t str)>,
) -> Option<u32> {
    if depth >= MAX_DEPTH {
        return None;
    }
    match state.get(&key) {
        // On the current walk: a cycle.
        Some(None) => return None,
        Some(Some(height)) => return Some(*height),
        None => {}
    }
    state.insert(key, None);
    let info = ts.relation(key.0, key.1)?;
    let mut height = 0;
    for member in members(&info.rewrite)? {
        for child in children(ts, key.0, info, member) {
            height = height.max(visit(ts, child, depth + 1, state, order)? + 1);
        }
    }
    state.insert(key, Some(height));
    order.push(key);
    Some(height)
}

impl<'t> Plan<'t> {
    /// The plan for `type#relation`, when reverse expansion gives exactly Check's answers.
    pub(crate) fn new(ts: &'t Typesystem, type_name: &'t str, relation: &'t str) -> Option<Self> {
        let mut state = HashMap::new();
        let mut order = Vec::new();
        let height = visit(ts, (type_name, relation), 0, &mut state, &mut order)?;
        // Check looks the deepest tuples up at this depth: it must stay below the limit.
        if height + 1 >= MAX_DEPTH {
            return None;
        }
        let index: HashMap<(&str, &str), usize> =
            order.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut nodes = Vec::with_capacity(order.len());
        for &(t, r) in &order {
            nodes.push(Node {
                type_name: t,
                relation: r,
                info: ts.relation(t, r)?,
                direct: false,
                computed_into: Vec::new(),
                userset_subject: false,
                parent_target: false,
            });
        }
        let mut parents: HashMap<(&str, &str), Vec<ParentRule<'t>>> = HashMap::new();
        for (i, &(t, r)) in order.iter().enumerate() {
            let info = ts.relation(t, r)?;
            for member in members(&info.rewrite)? {
                match member {
                    Userset::This(_) => {
                        nodes.get_mut(i)?.direct = true;
                        for child in children(ts, t, info, member) {
                            nodes.get_mut(*index.get(&child)?)?.userset_subject = true;
                        }
                    }
                    Userset::ComputedUserset(c) => {
                        if let Some(&from) = index.get(&(t, c.relation.as_str())) {
                            nodes.get_mut(from)?.computed_into.push(i);
                        }
                    }
                    Userset::TupleToUserset(ttu) => {
                        for child in children(ts, t, info, member) {
                            nodes.get_mut(*index.get(&child)?)?.parent_target = true;
                        }
                        if let Some(tupleset) = ts.relation(t, &ttu.tupleset.relation) {
                            parents
                                .entry((t, ttu.tupleset.relation.as_str()))
                                .or_default()
                                .push(ParentRule {
                                    computed: &ttu.computed_userset.relation,
                                    tupleset,
                                    grants: i,
                                });
                        }
                    }
                    _ => return None,
                }
            }
        }
        let target = *index.get(&(type_name, relation))?;
        Some(Self {
            nodes,
            parents,
            target,
        })
    }
}

/// How an expansion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every object was handed over, or the callback stopped the walk.
    Done,
    /// More facts than the budget allowed were found; the walk stopped.
    OverBudget,
}

/// The store's symbols of the plan's nodes and rules.
struct Located {
    /// `(type, relation)` symbols to node.
    nodes: HashMap<(Sym, Sym), usize>,
    /// The relation symbol of each node, when the store knows the name.
    relations: Vec<Option<Sym>>,
}

fn locate(plan: &Plan<'_>, stored: &TupleIndex) -> Located {
    let mut nodes = HashMap::new();
    let mut relations = Vec::with_capacity(plan.nodes.len());
    for (i, n) in plan.nodes.iter().enumerate() {
        let r = stored.sym(n.relation);
        if let (Some(t), Some(r)) = (stored.sym(n.type_name), r) {
            nodes.insert((t, r), i);
        }
        relations.push(r);
    }
    Located { nodes, relations }
}

/// Walks from `user` (`type`, `id`) up to the objects of the plan's target on which the
/// user has the relation, handing each object's type and id symbols to `each` once, in
/// no particular order, until `each` breaks. Stops with [`Outcome::OverBudget`] after
/// `budget` facts (object#relation pairs the user holds).
pub(crate) fn expand(
    plan: &Plan<'_>,
    stored: &TupleIndex,
    user: (&str, &str),
    budget: usize,
    each: &mut dyn FnMut(Sym, Sym) -> ControlFlow<()>,
) -> Outcome {
    let located = locate(plan, stored);
    let mut seen: HashSet<(usize, Sym)> = HashSet::new();
    let mut queue: Vec<(usize, Sym, Sym)> = Vec::new();
    let mut add = |node: usize, t: Sym, id: Sym, queue: &mut Vec<(usize, Sym, Sym)>| {
        if seen.insert((node, id)) {
            queue.push((node, t, id));
        }
    };
    let node_of = |t: Sym, r: Sym| located.nodes.get(&(t, r)).copied();
    let Some(ut) = stored.sym(user.0) else {
        return Outcome::Done;
    };
    // The user's own tuples, and its type's wildcard tuples (which hold even for a user
    // no tuple names).
    let own = stored.id_sym(ut, user.1);
    let star = stored.id_sym(ut, "*");
    for id in own.into_iter().chain(star) {
        for tv in stored.by_user_at(ut, id, None) {
            let (t, o, r) = tv.object_key();
            if let Some(n) = node_of(t, r)
                && plan
                    .nodes
                    .get(n)
                    .is_some_and(|n| n.direct && fits(n.info, &tv))
            {
                add(n, t, o, &mut queue);
            }
        }
    }
    let mut facts = 0usize;
    while let Some((n, t, id)) = queue.pop() {
        facts += 1;
        if facts > budget {
            return Outcome::OverBudget;
        }
        let Some(node) = plan.nodes.get(n) else {
            continue;
        };
        if n == plan.target && each(t, id).is_break() {
            return Outcome::Done;
        }
        for &into in &node.computed_into {
            add(into, t, id, &mut queue);
        }
        if node.userset_subject
            && let Some(Some(r)) = located.relations.get(n)
        {
            for tv in stored.by_user_at(t, id, Some(*r)) {
                let (ot, o, or) = tv.object_key();
                if let Some(m) = node_of(ot, or)
                    && plan
                        .nodes
                        .get(m)
                        .is_some_and(|m| m.direct && fits(m.info, &tv))
                {
                    add(m, ot, o, &mut queue);
                }
            }
        }
        if node.parent_target {
            for tv in stored.by_user_at(t, id, None) {
                if tv.is_wildcard() {
                    continue;
                }
                let Some(rules) = plan.parents.get(&(tv.object_type(), tv.relation())) else {
                    continue;
                };
                let (ot, o, _) = tv.object_key();
                for rule in rules {
                    if rule.computed == node.relation && fits(rule.tupleset, &tv) {
                        add(rule.grants, ot, o, &mut queue);
                    }
                }
            }
        }
    }
    Outcome::Done
}
