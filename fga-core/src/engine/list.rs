//! ListObjects and ListUsers: candidates from the indexes, each confirmed by Check.

use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;

use super::eval::{Eval, MAX_DEPTH};
use crate::Error;
use crate::model::types::Userset;
use crate::tuple::{ObjectRef, User};

/// Streams the ids of the objects of `object_type` on which `user` has `relation` to
/// `each`, in candidate order, until `each` breaks.
///
/// Candidates come from the user side through the user -> objects index: every tuple on
/// a path from an object to the user is reached by walking back from the user (its
/// tuples, its type's wildcard, then the usersets and parent links of every object
/// reached). Each candidate of the requested type is then confirmed by Check as it is
/// streamed, so a caller that stops early does not pay for the rest.
pub(crate) fn each_object(
    eval: &Eval<'_>,
    object_type: &str,
    relation: &str,
    user: &User,
    each: &mut dyn FnMut(&str) -> ControlFlow<()>,
) -> Result<(), Error> {
    for id in candidates(eval, object_type, user) {
        if eval.check(object_type, &id, relation, user.as_ref())? && each(&id).is_break() {
            break;
        }
    }
    Ok(())
}

/// Objects of `object_type` reachable backwards from `user` through the tuples.
fn candidates(eval: &Eval<'_>, object_type: &str, user: &User) -> BTreeSet<String> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut queue: Vec<(String, String)> = Vec::new();
    let mut visit = |t: &str, id: &str, queue: &mut Vec<(String, String)>| {
        let key = (t.to_owned(), id.to_owned());
        if seen.insert(key.clone()) {
            queue.push(key);
        }
    };
    let start: Vec<(&str, &str, Option<&str>)> = match user {
        User::Object(o) => vec![
            (o.type_name.as_str(), o.id.as_str(), None),
            (o.type_name.as_str(), "*", None),
        ],
        User::Wildcard(t) => vec![(t.as_str(), "*", None)],
        User::Userset(o, r) => {
            visit(&o.type_name, &o.id, &mut queue);
            vec![(o.type_name.as_str(), o.id.as_str(), Some(r.as_str()))]
        }
    };
    for source in eval.sources.iter() {
        for (t, id, r) in &start {
            for tv in source.by_user(t, id, *r) {
                visit(tv.object_type(), tv.object_id(), &mut queue);
            }
        }
    }
    while let Some((t, id)) = queue.pop() {
        let mut relations: Vec<Option<&str>> = vec![None];
        relations.extend(eval.ts.relation_names(&t).into_iter().map(Some));
        for source in eval.sources.iter() {
            for r in &relations {
                for tv in source.by_user(&t, &id, *r) {
                    visit(tv.object_type(), tv.object_id(), &mut queue);
                }
            }
        }
    }
    seen.into_iter()
        .filter(|(t, _)| t == object_type)
        .map(|(_, id)| id)
        .collect()
}

type Filter = (String, Option<String>);

/// The users matching the filters that have `relation` on `object`.
pub(crate) fn list_users(
    eval: &Eval<'_>,
    object: &ObjectRef,
    relation: &str,
    filters: &[Filter],
) -> Result<BTreeSet<User>, Error> {
    let mut candidates = BTreeSet::new();
    let mut visited = HashSet::new();
    collect(
        eval,
        &object.type_name,
        &object.id,
        relation,
        filters,
        0,
        &mut visited,
        &mut candidates,
    )?;
    let mut out = BTreeSet::new();
    for candidate in candidates {
        if eval.check(&object.type_name, &object.id, relation, candidate.as_ref())? {
            out.insert(candidate);
        }
    }
    Ok(out)
}

fn matches(filters: &[Filter], type_name: &str, relation: Option<&str>) -> bool {
    filters
        .iter()
        .any(|(t, r)| t == type_name && r.as_deref() == relation)
}

#[allow(clippy::too_many_arguments)]
fn collect(
    eval: &Eval<'_>,
    t: &str,
    id: &str,
    relation: &str,
    filters: &[Filter],
    depth: u32,
    visited: &mut HashSet<(String, String, String)>,
    out: &mut BTreeSet<User>,
) -> Result<(), Error> {
    if depth >= MAX_DEPTH {
        return Err(Error::DepthExceeded);
    }
    if !visited.insert((t.to_owned(), id.to_owned(), relation.to_owned())) {
        return Ok(());
    }
    if matches(filters, t, Some(relation)) {
        out.insert(User::Userset(
            ObjectRef {
                type_name: t.to_owned(),
                id: id.to_owned(),
            },
            relation.to_owned(),
        ));
    }
    let Some(info) = eval.ts.relation(t, relation) else {
        return Ok(());
    };
    walk(
        eval,
        t,
        id,
        relation,
        &info.rewrite,
        filters,
        depth,
        visited,
        out,
    )
}

#[allow(clippy::too_many_arguments)]
fn walk(
    eval: &Eval<'_>,
    t: &str,
    id: &str,
    relation: &str,
    rewrite: &Userset,
    filters: &[Filter],
    depth: u32,
    visited: &mut HashSet<(String, String, String)>,
    out: &mut BTreeSet<User>,
) -> Result<(), Error> {
    match rewrite {
        Userset::This(_) => {
            for tv in eval.tuples(t, id, relation) {
                // As in OpenFGA, a condition that cannot be evaluated fails the call.
                if !eval.condition_holds(&tv)? {
                    continue;
                }
                match tv.user_relation {
                    None if tv.is_wildcard() => {
                        if matches(filters, tv.user_type, None) {
                            out.insert(User::Wildcard(tv.user_type.to_owned()));
                        }
                    }
                    None => {
                        if matches(filters, tv.user_type, None) {
                            out.insert(tv.user());
                        }
                    }
                    Some(ur) => {
                        if matches(filters, tv.user_type, Some(ur)) {
                            out.insert(tv.user());
                        }
                        collect(
                            eval,
                            tv.user_type,
                            tv.user_id,
                            ur,
                            filters,
                            depth + 1,
                            visited,
                            out,
                        )?;
                    }
                }
            }
            Ok(())
        }
        Userset::ComputedUserset(c) => {
            collect(eval, t, id, &c.relation, filters, depth + 1, visited, out)
        }
        Userset::TupleToUserset(ttu) => {
            for tv in eval.tuples(t, id, &ttu.tupleset.relation) {
                if tv.user_relation.is_none() && !tv.is_wildcard() && eval.condition_holds(&tv)? {
                    collect(
                        eval,
                        tv.user_type,
                        tv.user_id,
                        &ttu.computed_userset.relation,
                        filters,
                        depth + 1,
                        visited,
                        out,
                    )?;
                }
            }
            Ok(())
        }
        Userset::Union(u) | Userset::Intersection(u) => {
            for child in &u.child {
                walk(eval, t, id, relation, child, filters, depth, visited, out)?;
            }
            Ok(())
        }
        Userset::Difference(d) => {
            walk(eval, t, id, relation, &d.base, filters, depth, visited, out)
        }
    }
}
