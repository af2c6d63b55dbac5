//! Where tombstones live.

use super::error::CascadeError;
use super::evidence::Tombstone;
use crate::store::{Store, Table, get_json, update_json};

const TOMBSTONES: Table = Table::Extension("governance_tombstones");

pub(crate) fn get(store: &dyn Store, agent: &str) -> Result<Option<Tombstone>, CascadeError> {
    Ok(get_json(store, TOMBSTONES, agent)?)
}

/// Creates the tombstone, or returns the existing one.
pub(crate) fn create(store: &dyn Store, fresh: Tombstone) -> Result<Tombstone, CascadeError> {
    let agent = fresh.agent.clone();
    Ok(update_json::<Tombstone, Tombstone>(
        store,
        TOMBSTONES,
        &agent,
        |current| match current {
            Some(existing) => (None, existing),
            None => (Some(fresh.clone()), fresh.clone()),
        },
    )?)
}

pub(crate) fn add_attempt(
    store: &dyn Store,
    agent: &str,
    attempt: super::evidence::Attempt,
) -> Result<Tombstone, CascadeError> {
    update_json::<Tombstone, Option<Tombstone>>(
        store,
        TOMBSTONES,
        agent,
        |current| match current {
            Some(mut t) => {
                t.attempts.push(attempt.clone());
                (Some(t.clone()), Some(t))
            }
            None => (None, None),
        },
    )?
    .ok_or_else(|| CascadeError::UnknownAgent(agent.to_owned()))
}
