//! Registering an agent (STAGED).

use super::Registry;
use super::error::RegistryError;
use super::events::RegistryEvent;
use super::model::{Actor, AgentRecord, AgentStatus, RecordMeta};
use super::spec::{AgentPatch, AgentSpec};

impl Registry<'_> {
    /// Registers an agent. It starts STAGED, so its linked clients are
    /// disabled until it is [activated](Self::activate). Owners and sponsors
    /// must be people and groups of the directory; clients must be registered
    /// at the authority and linked to no other agent.
    pub fn register(&self, spec: AgentSpec, actor: &Actor) -> Result<AgentRecord, RegistryError> {
        let id = spec.id.clone();
        let result = {
            let _write = self.state().lock();
            self.register_locked(spec, actor)
        };
        self.audited(&id, "register", actor, result)
    }

    fn register_locked(
        &self,
        spec: AgentSpec,
        actor: &Actor,
    ) -> Result<AgentRecord, RegistryError> {
        check_id(&spec.id)?;
        if self.agent(&spec.id)?.is_some() {
            return Err(RegistryError::AgentExists(spec.id));
        }
        let mut clients: Vec<String> = Vec::new();
        for client in spec.clients {
            if !clients.contains(&client) {
                self.check_linkable(&spec.id, &client)?;
                clients.push(client);
            }
        }
        let now = self.authority.now();
        let mut agent = AgentRecord {
            id: spec.id,
            name: String::new(),
            description: None,
            purpose: None,
            agent_type: spec.agent_type,
            status: AgentStatus::Staged,
            parent: None,
            protocols: Vec::new(),
            owners: Vec::new(),
            sponsors: Vec::new(),
            business_unit: None,
            external_id: None,
            source: spec.source,
            clients,
            entitlements: Vec::new(),
            meta: RecordMeta::new(now, actor),
            tombstone: None,
            profile: Default::default(),
        };
        self.apply(&mut agent, spec.fields)?;
        self.gate_clients(&agent.clients, true)?;
        let event = RegistryEvent::AgentCreated {
            agent_id: agent.id.clone(),
            version: agent.meta.version,
            actor: actor.clone(),
            time: now,
        };
        self.commit(None, &agent, "registered", actor, event)?;
        Ok(agent)
    }

    /// Applies `patch` to `agent`, checking names, owners, sponsors and the
    /// parent. Nothing is stored here.
    pub(crate) fn apply(
        &self,
        agent: &mut AgentRecord,
        patch: AgentPatch,
    ) -> Result<(), RegistryError> {
        let owners = patch.owners.clone().unwrap_or_else(|| agent.owners.clone());
        let sponsors = patch
            .sponsors
            .clone()
            .unwrap_or_else(|| agent.sponsors.clone());
        self.check_known(&owners, &sponsors)?;
        if let Some(Some(parent)) = &patch.parent {
            self.check_parent(&agent.id, parent)?;
        }
        if let Some(name) = patch.name {
            if name.trim().is_empty() {
                return Err(RegistryError::Invalid {
                    field: "name",
                    problem: "empty",
                });
            }
            agent.name = name;
        }
        if agent.name.trim().is_empty() {
            return Err(RegistryError::Invalid {
                field: "name",
                problem: "empty",
            });
        }
        if let Some(v) = patch.description {
            agent.description = v;
        }
        if let Some(v) = patch.purpose {
            agent.purpose = v;
        }
        if let Some(v) = patch.agent_type {
            agent.agent_type = v;
        }
        if let Some(v) = patch.parent {
            agent.parent = v;
        }
        if let Some(mut v) = patch.protocols {
            v.sort();
            v.dedup();
            agent.protocols = v;
        }
        agent.owners = dedup(owners);
        agent.sponsors = dedup(sponsors);
        if let Some(v) = patch.business_unit {
            agent.business_unit = v;
        }
        if let Some(v) = patch.external_id {
            agent.external_id = v;
        }
        if let Some(v) = patch.profile {
            agent.profile = v;
        }
        Ok(())
    }

    /// The parent must be a registered agent, and `id` must not be among its ancestors.
    fn check_parent(&self, id: &str, parent: &str) -> Result<(), RegistryError> {
        let mut next = Some(parent.to_owned());
        let mut seen = std::collections::HashSet::new();
        while let Some(current) = next {
            if current == id {
                return Err(RegistryError::ParentCycle(id.to_owned()));
            }
            if !seen.insert(current.clone()) {
                break;
            }
            let record = self.agent(&current)?;
            if current == parent && record.is_none() {
                return Err(RegistryError::UnknownAgent(parent.to_owned()));
            }
            next = record.and_then(|r| r.parent);
        }
        Ok(())
    }

    /// A client may join `agent_id` if the authority knows it and no other
    /// agent (not even a deleted one) holds it.
    pub(crate) fn check_linkable(&self, agent_id: &str, client: &str) -> Result<(), RegistryError> {
        if self.authority.client(client)?.is_none() {
            return Err(RegistryError::UnknownClient(client.to_owned()));
        }
        let holder = self
            .state()
            .read(self.authority, |i| i.by_client.get(client).cloned())?;
        match holder {
            Some(other) if other != agent_id => Err(RegistryError::ClientTaken {
                client_id: client.to_owned(),
                agent_id: other,
            }),
            _ => Ok(()),
        }
    }
}

/// Agent ids: non-empty, at most 255 bytes, no control characters or slashes
/// (they appear in SCIM resource paths).
fn check_id(id: &str) -> Result<(), RegistryError> {
    let problem = if id.trim().is_empty() {
        Some("empty")
    } else if id.len() > 255 {
        Some("longer than 255 bytes")
    } else if id.chars().any(|c| c.is_control() || c == '/') {
        Some("contains a control character or a slash")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(RegistryError::Invalid {
            field: "id",
            problem,
        }),
        None => Ok(()),
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
