//! Where JIT requests live: all requests of one agent in one record, so that
//! a decision and the grant it opens are one atomic update, and the
//! entitlement check is one read.

use super::error::JitError;
use super::request::RequestRecord;
use crate::store::{Store, Table, get_json, put_json, update_json};

/// Requests by agent.
const BY_AGENT: Table = Table::Extension("governance_jit");
/// Request id -> agent.
const IDS: Table = Table::Extension("governance_jit_ids");

pub(crate) fn agent_of(store: &dyn Store, id: &str) -> Result<String, JitError> {
    get_json::<String>(store, IDS, id)?.ok_or_else(|| JitError::UnknownRequest(id.to_owned()))
}

pub(crate) fn of_agent(store: &dyn Store, agent: &str) -> Result<Vec<RequestRecord>, JitError> {
    Ok(get_json(store, BY_AGENT, agent)?.unwrap_or_default())
}

/// Adds a new request (its id first, so that no request is unreachable).
pub(crate) fn insert(store: &dyn Store, record: RequestRecord) -> Result<(), JitError> {
    put_json(store, IDS, &record.id, &record.agent)?;
    let agent = record.agent.clone();
    update_json::<Vec<RequestRecord>, ()>(store, BY_AGENT, &agent, |all| {
        let mut all = all.unwrap_or_default();
        all.push(record.clone());
        (Some(all), ())
    })?;
    Ok(())
}

/// Atomically applies `f` to the request `id` of `agent`: `f` changes it in
/// place and returns `Ok` to keep the change, or an error to change nothing.
pub(crate) fn modify<R>(
    store: &dyn Store,
    agent: &str,
    id: &str,
    mut f: impl FnMut(&mut RequestRecord) -> Result<R, JitError>,
) -> Result<R, JitError> {
    update_json::<Vec<RequestRecord>, Result<R, JitError>>(store, BY_AGENT, agent, |all| {
        let Some(mut all) = all else {
            return (None, Err(JitError::UnknownRequest(id.to_owned())));
        };
        let Some(record) = all.iter_mut().find(|r| r.id == id) else {
            return (None, Err(JitError::UnknownRequest(id.to_owned())));
        };
        match f(record) {
            Ok(r) => (Some(all), Ok(r)),
            Err(e) => (None, Err(e)),
        }
    })?
}

/// Atomically applies `f` to every request of `agent`; returns what it collected.
pub(crate) fn modify_all<R>(
    store: &dyn Store,
    agent: &str,
    mut f: impl FnMut(&mut RequestRecord) -> Option<R>,
) -> Result<Vec<R>, JitError> {
    Ok(update_json::<Vec<RequestRecord>, Vec<R>>(
        store,
        BY_AGENT,
        agent,
        |all| {
            let Some(mut all) = all else {
                return (None, Vec::new());
            };
            let out: Vec<R> = all.iter_mut().filter_map(&mut f).collect();
            if out.is_empty() {
                (None, out)
            } else {
                (Some(all), out)
            }
        },
    )?)
}

/// The agents that have requests.
pub(crate) fn agents(store: &dyn Store) -> Result<Vec<String>, JitError> {
    Ok(store.scan(BY_AGENT)?.into_iter().map(|(k, _)| k).collect())
}
