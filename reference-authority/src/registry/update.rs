//! Changing an agent: its fields, its clients.

use super::Registry;
use super::error::RegistryError;
use super::events::{AgentChange, RegistryEvent};
use super::model::{Actor, AgentRecord, AgentStatus};
use super::spec::AgentPatch;

impl Registry<'_> {
    /// Changes an agent's descriptive and accountability fields. With
    /// `if_match`, refused unless the stored version is that one. An ACTIVE
    /// agent must keep an active owner and an active sponsor.
    pub fn update(
        &self,
        id: &str,
        patch: AgentPatch,
        if_match: Option<u64>,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = (|| {
            let _write = self.state().lock();
            let before = self.live(id, if_match)?;
            let fields = patch.field_names();
            let mut after = before.clone();
            self.apply(&mut after, patch)?;
            if after.status == AgentStatus::Active {
                self.check_accountable(&after)?;
            }
            let now = self.authority.now();
            after.meta.touch(now, actor);
            let event = RegistryEvent::AgentUpdated {
                agent_id: id.to_owned(),
                version: after.meta.version,
                change: AgentChange::Fields(fields),
                actor: actor.clone(),
                time: now,
            };
            self.commit(Some(&before), &after, "updated", actor, event)?;
            Ok(after)
        })();
        self.audited(id, "update", actor, result)
    }

    /// Links an OAuth client to an agent. The client works only while the
    /// agent is ACTIVE: linking it to an agent in any other status disables it.
    pub fn link_client(
        &self,
        id: &str,
        client_id: &str,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = (|| {
            let _write = self.state().lock();
            let before = self.live(id, None)?;
            self.check_linkable(id, client_id)?;
            if before.clients.iter().any(|c| c == client_id) {
                return Ok(before);
            }
            let mut after = before.clone();
            after.clients.push(client_id.to_owned());
            let now = self.authority.now();
            after.meta.touch(now, actor);
            let active = after.status == AgentStatus::Active;
            if !active {
                self.gate_clients(&[client_id.to_owned()], true)?;
            }
            let event = RegistryEvent::AgentUpdated {
                agent_id: id.to_owned(),
                version: after.meta.version,
                change: AgentChange::ClientLinked(client_id.to_owned()),
                actor: actor.clone(),
                time: now,
            };
            self.commit(Some(&before), &after, "client_linked", actor, event)?;
            if active {
                self.gate_clients(&[client_id.to_owned()], false)?;
            }
            Ok(after)
        })();
        self.audited(id, "link_client", actor, result)
    }

    /// Unlinks an OAuth client from an agent. The client keeps its current
    /// status at the authority. An ACTIVE agent keeps at least one client.
    pub fn unlink_client(
        &self,
        id: &str,
        client_id: &str,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = (|| {
            let _write = self.state().lock();
            let before = self.live(id, None)?;
            if !before.clients.iter().any(|c| c == client_id) {
                return Err(RegistryError::ClientNotLinked {
                    client_id: client_id.to_owned(),
                    agent_id: id.to_owned(),
                });
            }
            let mut after = before.clone();
            after.clients.retain(|c| c != client_id);
            if after.status == AgentStatus::Active && after.clients.is_empty() {
                return Err(RegistryError::NoCredential(id.to_owned()));
            }
            let now = self.authority.now();
            after.meta.touch(now, actor);
            let event = RegistryEvent::AgentUpdated {
                agent_id: id.to_owned(),
                version: after.meta.version,
                change: AgentChange::ClientUnlinked(client_id.to_owned()),
                actor: actor.clone(),
                time: now,
            };
            self.commit(Some(&before), &after, "client_unlinked", actor, event)?;
            Ok(after)
        })();
        self.audited(id, "unlink_client", actor, result)
    }

    /// The agent, if it exists, is not deleted and is at version `if_match`.
    pub(crate) fn live(
        &self,
        id: &str,
        if_match: Option<u64>,
    ) -> Result<AgentRecord, RegistryError> {
        let agent = self
            .agent(id)?
            .ok_or_else(|| RegistryError::UnknownAgent(id.to_owned()))?;
        if agent.status == AgentStatus::Deleted {
            return Err(RegistryError::Deleted(id.to_owned()));
        }
        if let Some(expected) = if_match
            && expected != agent.meta.version
        {
            return Err(RegistryError::VersionMismatch {
                expected,
                current: agent.meta.version,
            });
        }
        Ok(agent)
    }
}
