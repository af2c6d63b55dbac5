//! The dependency map, derived (never typed by hand): what each agent
//! reaches, from its grants in force plus the authority's records (its
//! clients' registered resources, the consents users gave its clients); and
//! for each resource, the agents that reach it.

use super::Registry;
use super::entitlement::{Entitlement, Resource};
use super::error::RegistryError;
use super::model::AgentStatus;
use std::collections::BTreeSet;

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
        self.state().read(self.authority, |i| {
            for client in &agent.clients {
                map.resources.extend(i.reach.apis_of(client).cloned());
                map.delegated_users
                    .extend(i.reach.users_of(client).cloned());
            }
        })?;
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
    /// grant in force, and, for resource servers and users, through the
    /// authority's records (their clients' registered resources, users'
    /// consents to their clients). Answered from indexes.
    pub fn agents_reaching(&self, resource: &Resource) -> Result<Vec<String>, RegistryError> {
        let mut agents: BTreeSet<String> = self.agents_granted(resource)?.into_iter().collect();
        let through_records: BTreeSet<String> = self.state().read(self.authority, |i| {
            let clients: Vec<&String> = match resource {
                Resource::Api(api) => i.reach.clients_of_api(api).collect(),
                Resource::User(user) => i.reach.clients_of_user(user).collect(),
                _ => Vec::new(),
            };
            clients
                .into_iter()
                .filter_map(|c| i.by_client.get(c).cloned())
                .collect()
        })?;
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
