//! The query planner: a filter whose top-level AND holds a comparison some
//! store can answer from an index (`name eq`, `userName sw`, `active eq`,
//! `owners.value eq`, `externalId eq`, `meta.lastModified gt`, ...) reads
//! only the resources the index names; any other filter scans them all.
//! Either way the whole filter is then evaluated on what was read, so both
//! paths return the same resources in the same order.

use super::ScimError;
use super::filter::{CompValue, CompareOp, Filter, cannot_fail};
use super::schema::{AttrType, ResourceType};
use super::store::{ResourceStore, Stored};

/// One comparison of a filter's top-level AND, with the attribute resolved
/// against the resource type's core schema (its canonical name; a complex
/// attribute named alone compares its `value`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexTerm {
    /// The attribute, as the schema spells it (`name`, `owners`, `meta`).
    pub attribute: &'static str,
    /// The sub-attribute compared, as the schema spells it (`value`).
    pub sub: Option<&'static str>,
    /// `eq`, `sw`, `gt` or `ge`.
    pub op: CompareOp,
    /// The value (never `null`).
    pub value: CompValue,
}

/// The terms of `filter`'s top-level AND that an index could answer. Empty
/// when the filter could fail on some resource: which resources reach the
/// failing part would then decide the answer, so only a scan gives it.
pub fn index_terms(filter: &Filter, rt: &ResourceType) -> Vec<IndexTerm> {
    let mut terms = Vec::new();
    if cannot_fail(filter, rt) {
        conjuncts(filter, rt, &mut terms);
    }
    terms
}

fn conjuncts(filter: &Filter, rt: &ResourceType, out: &mut Vec<IndexTerm>) {
    match filter {
        Filter::And(a, b) => {
            conjuncts(a, rt, out);
            conjuncts(b, rt, out);
        }
        Filter::Compare { path, op, value } => {
            let indexable = matches!(
                op,
                CompareOp::Eq | CompareOp::Sw | CompareOp::Gt | CompareOp::Ge
            );
            if !indexable || *value == CompValue::Null {
                return;
            }
            let Some(resolved) = rt.resolve(path) else {
                return;
            };
            if resolved.extension.is_some() {
                return;
            }
            let sub = resolved.sub.or_else(|| {
                (resolved.attribute.kind == AttrType::Complex)
                    .then(|| resolved.attribute.sub("value"))
                    .flatten()
            });
            out.push(IndexTerm {
                attribute: resolved.attribute.name,
                sub: sub.map(|s| s.name),
                op: *op,
                value: value.clone(),
            });
        }
        _ => {}
    }
}

/// The resources of `store` that `filter` must be evaluated on: those of
/// the smallest index answer among the filter's terms, or all of them.
pub fn candidates(
    store: &dyn ResourceStore,
    rt: &ResourceType,
    filter: Option<&Filter>,
) -> Result<Vec<Stored>, ScimError> {
    let mut best: Option<Vec<String>> = None;
    for term in filter.map(|f| index_terms(f, rt)).unwrap_or_default() {
        if let Some(ids) = store.candidates(&term)?
            && best.as_ref().is_none_or(|b| ids.len() < b.len())
        {
            best = Some(ids);
        }
    }
    match best {
        None => store.list(),
        Some(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(stored) = store.get(&id)? {
                    found.push(stored);
                }
            }
            Ok(found)
        }
    }
}
