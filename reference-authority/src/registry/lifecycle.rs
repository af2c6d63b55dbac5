//! The lifecycle: STAGED -> ACTIVE <-> INACTIVE -> DELETED.
//!
//! Only an ACTIVE agent's OAuth clients work: every other status disables
//! them at the authority ([`Authority::set_client_disabled`](crate::Authority::set_client_disabled)),
//! so a suspended or deleted agent gets no token and every token it holds is
//! refused at once. A DELETED agent is a tombstone: its record stays as
//! evidence, with the identifiers (never the secrets) of its last
//! credentials, and its clients stay disabled.

use super::Registry;
use super::error::RegistryError;
use super::events::RegistryEvent;
use super::model::{Actor, AgentRecord, AgentStatus, Tombstone};

impl Registry<'_> {
    /// Activates a STAGED or INACTIVE agent. It needs an active owner, an
    /// active sponsor and at least one linked OAuth client registered at the
    /// authority; its clients are enabled.
    pub fn activate(&self, id: &str, actor: &Actor) -> Result<AgentRecord, RegistryError> {
        let result = {
            let _write = self.state().lock();
            self.transition_locked(id, AgentStatus::Active, actor, None)
        };
        self.audited(id, "activate", actor, result)
    }

    /// Suspends an ACTIVE agent (INACTIVE): its clients are disabled, so it
    /// gets no token and its tokens are refused. `reason` is recorded.
    pub fn suspend(
        &self,
        id: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        let result = {
            let _write = self.state().lock();
            self.transition_locked(id, AgentStatus::Inactive, actor, reason)
        };
        self.audited(id, "suspend", actor, result)
    }

    /// Deletes an INACTIVE agent: it becomes a tombstone holding the ids of
    /// its last clients and of their registered keys; its entitlements end.
    pub fn delete(&self, id: &str, actor: &Actor) -> Result<AgentRecord, RegistryError> {
        let result = {
            let _write = self.state().lock();
            self.transition_locked(id, AgentStatus::Deleted, actor, None)
        };
        self.audited(id, "delete", actor, result)
    }

    /// Moves an agent to `to`, checking the lifecycle and, for ACTIVE, the
    /// invariant and the credential. Call with the write lock held.
    pub(crate) fn transition_locked(
        &self,
        id: &str,
        to: AgentStatus,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<AgentRecord, RegistryError> {
        let before = self
            .agent(id)?
            .ok_or_else(|| RegistryError::UnknownAgent(id.to_owned()))?;
        let from = before.status;
        if from == AgentStatus::Deleted {
            return Err(RegistryError::Deleted(id.to_owned()));
        }
        if !from.may_become(to) {
            return Err(RegistryError::IllegalTransition { from, to });
        }
        let now = self.authority.now();
        let mut after = before.clone();
        after.status = to;
        after.meta.touch(now, actor);
        match to {
            AgentStatus::Active => {
                self.check_accountable(&after)?;
                self.check_credential(&after)?;
            }
            AgentStatus::Deleted => {
                after.tombstone = Some(Tombstone {
                    deleted: now,
                    deleted_by: actor.clone(),
                    client_ids: after.clients.clone(),
                    key_ids: self.key_ids(&after.clients)?,
                });
                after.entitlements.clear();
            }
            AgentStatus::Inactive | AgentStatus::Staged => {}
        }
        // Disable before the record says so; enable only after it does: a
        // failure on the way leaves the clients stopped, never running.
        if to != AgentStatus::Active {
            self.gate_clients(&after.clients, true)?;
        }
        let event = RegistryEvent::AgentStatusChanged {
            agent_id: id.to_owned(),
            version: after.meta.version,
            from,
            to,
            reason: reason.map(str::to_owned),
            actor: actor.clone(),
            time: now,
        };
        let change = match to {
            AgentStatus::Active => "activated",
            AgentStatus::Inactive => "suspended",
            AgentStatus::Deleted => "deleted",
            AgentStatus::Staged => "staged",
        };
        self.commit(Some(&before), &after, change, actor, event)?;
        if to == AgentStatus::Active {
            self.gate_clients(&after.clients, false)?;
        }
        Ok(after)
    }

    /// Activation needs a credential: a linked client the authority knows.
    fn check_credential(&self, agent: &AgentRecord) -> Result<(), RegistryError> {
        for client in &agent.clients {
            if self.authority.client(client)?.is_some() {
                return Ok(());
            }
        }
        Err(RegistryError::NoCredential(agent.id.clone()))
    }

    /// Disables (or enables) the clients at the authority.
    pub(crate) fn gate_clients(
        &self,
        clients: &[String],
        disabled: bool,
    ) -> Result<(), RegistryError> {
        for client in clients {
            if self.authority.client(client)?.is_some() {
                self.authority.set_client_disabled(client, disabled)?;
            }
        }
        Ok(())
    }

    /// The `kid`s of the public keys the clients registered (never key material).
    fn key_ids(&self, clients: &[String]) -> Result<Vec<String>, RegistryError> {
        let mut kids = Vec::new();
        for client in clients {
            let Some(record) = self.authority.client(client)? else {
                continue;
            };
            let Some(jwks) = record.jwks else { continue };
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&jwks) else {
                continue;
            };
            let keys = value.get("keys").and_then(|k| k.as_array());
            for key in keys.into_iter().flatten() {
                if let Some(kid) = key.get("kid").and_then(|k| k.as_str()) {
                    kids.push(kid.to_owned());
                }
            }
        }
        Ok(kids)
    }
}
