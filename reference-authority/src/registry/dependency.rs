//! The dependency map, derived (never typed by hand): what each agent
//! reaches, from its grants in force plus the authority's records (its
//! clients' registered resources, the consents users gave its clients); and
//! for each resource, the agents that reach it.

use super::Registry;
use super::entitlement::{Entitlement, Resource};
use super::error::RegistryError;
use super::model::AgentStatus;
use std::collections::{BTreeSet, HashSet};

/// What one agent reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DependencyMap {
    /// The agent.
    pub agent_id: String,
    /// Resource servers (APIs, MCP servers) by resource indicator or audience.
    pub resources: BTreeSet<String>,
    /// Scopes of the authority's default audience.
    pub scopes: BTreeSet<String>,
    /// Managed connections (ID-JAG / exchange), by audience.
    pub managed_connections: BTreeSet<String>,
    /// Vault connections, by name.
    pub vault_connections: BTreeSet<String>,
    /// FGA relations: (object, relation).
    pub fga_relations: BTreeSet<(String, String)>,
    /// Users it acts for: delegated by grant, or who consented to its clients.
    pub delegated_users: BTreeSet<String>,
}

impl Registry<'_> {
    /// What `agent_id` reaches now (nothing for a deleted agent).
    pub fn dependencies(&self, agent_id: &str) -> Result<DependencyMap, RegistryError> {
        let agent = self
            .agent(agent_id)?
            .ok_or_else(|| RegistryError::UnknownAgent(agent_id.to_owned()))?;
        let mut map = DependencyMap {
            agent_id: agent.id.clone(),
            ..DependencyMap::default()
        };
        if agent.status == AgentStatus::Deleted {
            return Ok(map);
        }
        let now = self.authority.now();
        for grant in agent.entitlements.iter().filter(|g| g.in_force(now)) {
            match &grant.entitlement {
                Entitlement::Scope {
                    resource: Some(r), ..
                } => {
                    map.resources.insert(r.clone());
                }
                Entitlement::Scope { scope, .. } => {
                    map.scopes.insert(scope.clone());
                }
                Entitlement::ManagedConnection { audience } => {
                    map.managed_connections.insert(audience.clone());
                }
                Entitlement::VaultConnection { connection } => {
                    map.vault_connections.insert(connection.clone());
                }
                Entitlement::FgaRelation { object, relation } => {
                    map.fga_relations.insert((object.clone(), relation.clone()));
                }
                Entitlement::DelegatedUser { user_id } => {
                    map.delegated_users.insert(user_id.clone());
                }
            }
        }
        for client in &agent.clients {
            if let Some(record) = self.authority.client(client)? {
                map.resources.extend(record.resources);
            }
        }
        let clients: HashSet<&str> = agent.clients.iter().map(String::as_str).collect();
        for (user, _, consent) in self.authority.consents_to(|c| clients.contains(c))? {
            map.delegated_users.insert(user);
            map.resources.extend(consent.resource);
        }
        Ok(map)
    }

    /// The (not deleted) agents holding a grant in force that reaches
    /// `resource`, in id order: answered from the index, at a cost that
    /// grows with the answer, not with the registry.
    pub fn agents_granted(&self, resource: &Resource) -> Result<Vec<String>, RegistryError> {
        let now = self.authority.now();
        self.state()
            .read(self.authority, |i| i.reaching(resource, now))
    }

    /// The (not deleted) agents that reach `resource` now, in id order: by a
    /// grant in force (from the index), and, for resource servers and users,
    /// through their clients' registrations and users' consents (which reads
    /// the consent table, and the client records of linked clients).
    pub fn agents_reaching(&self, resource: &Resource) -> Result<Vec<String>, RegistryError> {
        let mut agents: BTreeSet<String> = self.agents_granted(resource)?.into_iter().collect();
        let linked: Vec<(String, String)> = self.state().read(self.authority, |i| {
            i.by_client
                .iter()
                .map(|(c, a)| (c.clone(), a.clone()))
                .collect()
        })?;
        let mut through_records = BTreeSet::new();
        match resource {
            Resource::Api(api) => {
                for (client, agent) in &linked {
                    if self
                        .authority
                        .client(client)?
                        .is_some_and(|r| r.resources.iter().any(|x| x == api))
                    {
                        through_records.insert(agent.clone());
                    }
                }
                let owners: std::collections::HashMap<&str, &str> = linked
                    .iter()
                    .map(|(c, a)| (c.as_str(), a.as_str()))
                    .collect();
                for (_, client, consent) in
                    self.authority.consents_to(|c| owners.contains_key(c))?
                {
                    if consent.resource.iter().any(|x| x == api)
                        && let Some(agent) = owners.get(client.as_str())
                    {
                        through_records.insert((*agent).to_owned());
                    }
                }
            }
            Resource::User(user) => {
                let owners: std::collections::HashMap<&str, &str> = linked
                    .iter()
                    .map(|(c, a)| (c.as_str(), a.as_str()))
                    .collect();
                for (u, client, _) in self.authority.consents_to(|c| owners.contains_key(c))? {
                    if &u == user
                        && let Some(agent) = owners.get(client.as_str())
                    {
                        through_records.insert((*agent).to_owned());
                    }
                }
            }
            _ => {}
        }
        for agent in through_records {
            if self
                .agent(&agent)?
                .is_some_and(|a| a.status != AgentStatus::Deleted)
            {
                agents.insert(agent);
            }
        }
        Ok(agents.into_iter().collect())
    }
}
