//! Where agents are kept: one JSON record per agent in the authority's store
//! (memory or SQLite), table `registry_agents`.

use super::error::RegistryError;
use super::model::AgentRecord;
use crate::Authority;
use crate::store::{Table, get_json, put_json};

/// The table of agent records.
pub(crate) const AGENTS: Table = Table::Extension("registry_agents");

pub(crate) fn load(authority: &Authority, id: &str) -> Result<Option<AgentRecord>, RegistryError> {
    Ok(get_json(authority.store().as_ref(), AGENTS, id)?)
}

pub(crate) fn save(authority: &Authority, agent: &AgentRecord) -> Result<(), RegistryError> {
    Ok(put_json(
        authority.store().as_ref(),
        AGENTS,
        &agent.id,
        agent,
    )?)
}

pub(crate) fn all(authority: &Authority) -> Result<Vec<AgentRecord>, RegistryError> {
    let store = authority.store();
    store
        .scan(AGENTS)?
        .into_iter()
        .map(|(_, bytes)| {
            serde_json::from_slice(&bytes)
                .map_err(|_| RegistryError::Store(crate::StoreError::Corrupt(AGENTS.name())))
        })
        .collect()
}
