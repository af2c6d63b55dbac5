//! In-process registry events: every change to an agent, a person or a group,
//! for followers such as the SCIM security event transmitter (RFC 9967
//! `prov:create`, `prov:patch`, `prov:activate`, `prov:deactivate`,
//! `prov:delete`). Identifiers only.

use super::entitlement::EntitlementGrant;
use super::model::{Actor, AgentStatus};

/// One change in the registry or the directory.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RegistryEvent {
    /// An agent was registered (STAGED).
    AgentCreated {
        /// The agent.
        agent_id: String,
        /// Its version after the change.
        version: u64,
        /// Who made the change.
        actor: Actor,
        /// When (the authority's clock).
        time: i64,
    },
    /// An agent changed without changing status.
    AgentUpdated {
        /// The agent.
        agent_id: String,
        /// Its version after the change.
        version: u64,
        /// What changed.
        change: AgentChange,
        /// Who made the change.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// An agent moved in its lifecycle (to DELETED as well).
    AgentStatusChanged {
        /// The agent.
        agent_id: String,
        /// Its version after the change.
        version: u64,
        /// The status before.
        from: AgentStatus,
        /// The status now.
        to: AgentStatus,
        /// Why, when the authority decided it (`no_active_sponsor`, ...).
        reason: Option<String>,
        /// Who made the change.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A person was added to the directory.
    PersonCreated {
        /// The authority user id.
        user_id: String,
        /// Version after the change.
        version: u64,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A person's attributes changed (not the active flag).
    PersonUpdated {
        /// The authority user id.
        user_id: String,
        /// Version after the change.
        version: u64,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A person was activated or deactivated.
    PersonStatusChanged {
        /// The authority user id.
        user_id: String,
        /// Version after the change.
        version: u64,
        /// Whether the person is active now.
        active: bool,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A person was removed from the directory.
    PersonDeleted {
        /// The authority user id.
        user_id: String,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A group was created.
    GroupCreated {
        /// The group.
        group_id: String,
        /// Version after the change.
        version: u64,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A group's name or members changed.
    GroupUpdated {
        /// The group.
        group_id: String,
        /// Version after the change.
        version: u64,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
    /// A group was removed.
    GroupDeleted {
        /// The group.
        group_id: String,
        /// Who.
        actor: Actor,
        /// When.
        time: i64,
    },
}

/// What changed in an [`RegistryEvent::AgentUpdated`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentChange {
    /// Descriptive or accountability fields, by name (`owners`, `sponsors`, ...).
    Fields(Vec<&'static str>),
    /// An OAuth client was linked.
    ClientLinked(String),
    /// An OAuth client was unlinked.
    ClientUnlinked(String),
    /// An entitlement was granted.
    EntitlementGranted(EntitlementGrant),
    /// An entitlement was revoked.
    EntitlementRevoked(EntitlementGrant),
    /// Sponsorship moved from a deactivated person to their manager.
    SponsorMoved {
        /// The deactivated sponsor.
        from: String,
        /// The manager who sponsors the agent now.
        to: String,
    },
}

impl RegistryEvent {
    /// The version-independent id of what changed: `agent:<id>`, `person:<id>`, `group:<id>`.
    pub fn subject(&self) -> String {
        match self {
            RegistryEvent::AgentCreated { agent_id, .. }
            | RegistryEvent::AgentUpdated { agent_id, .. }
            | RegistryEvent::AgentStatusChanged { agent_id, .. } => format!("agent:{agent_id}"),
            RegistryEvent::PersonCreated { user_id, .. }
            | RegistryEvent::PersonUpdated { user_id, .. }
            | RegistryEvent::PersonStatusChanged { user_id, .. }
            | RegistryEvent::PersonDeleted { user_id, .. } => format!("person:{user_id}"),
            RegistryEvent::GroupCreated { group_id, .. }
            | RegistryEvent::GroupUpdated { group_id, .. }
            | RegistryEvent::GroupDeleted { group_id, .. } => format!("group:{group_id}"),
        }
    }
}
