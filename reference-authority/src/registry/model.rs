//! What the registry keeps about an agent.

use super::entitlement::EntitlementGrant;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an agent is in its life (STAGED -> ACTIVE <-> INACTIVE -> DELETED).
///
/// Only an ACTIVE agent's OAuth clients work; in every other status they are
/// disabled at the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentStatus {
    /// Registered, not yet allowed to act.
    Staged,
    /// Allowed to act: it has a valid owner, a valid sponsor and a credential.
    Active,
    /// Suspended: no token, and the tokens it holds are refused.
    Inactive,
    /// Retired for good: a tombstone that keeps the evidence.
    Deleted,
}

impl AgentStatus {
    /// The status name (`STAGED`, `ACTIVE`, `INACTIVE`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Staged => "STAGED",
            AgentStatus::Active => "ACTIVE",
            AgentStatus::Inactive => "INACTIVE",
            AgentStatus::Deleted => "DELETED",
        }
    }

    /// Whether the lifecycle allows going from `self` to `next`.
    ///
    /// ```
    /// use reference_authority::registry::AgentStatus;
    ///
    /// assert!(AgentStatus::Staged.may_become(AgentStatus::Active));
    /// assert!(!AgentStatus::Active.may_become(AgentStatus::Deleted));
    /// ```
    pub fn may_become(self, next: AgentStatus) -> bool {
        matches!(
            (self, next),
            (AgentStatus::Staged, AgentStatus::Active)
                | (AgentStatus::Active, AgentStatus::Inactive)
                | (AgentStatus::Inactive, AgentStatus::Active)
                | (AgentStatus::Inactive, AgentStatus::Deleted)
        )
    }
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of agent it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentType {
    /// Works for a user, on their behalf (delegated access).
    Assistant,
    /// Acts as itself (client credentials).
    Autonomous,
    /// A step of an automated workflow or pipeline.
    Workflow,
    /// Another kind, named by the organization.
    Other(String),
}

/// A protocol an agent speaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Protocol {
    /// The Model Context Protocol.
    Mcp,
    /// The Agent2Agent protocol.
    A2a,
    /// Another protocol, by name.
    Other(String),
}

/// How the agent came into the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentSource {
    /// Registered by hand.
    Manual,
    /// Imported from another system (SCIM, a catalog), named here.
    Imported {
        /// The system it came from.
        from: String,
    },
    /// Found by discovery (shadow AI detection), by the named detector.
    Discovered {
        /// What found it.
        by: String,
    },
}

/// A person or a group of the directory, as an owner of agents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Principal {
    /// A person, by authority user id.
    Person(String),
    /// A group of the directory, by group id.
    Group(String),
}

/// Who made a change: recorded in the audit trail and the registry events.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
#[non_exhaustive]
pub enum Actor {
    /// A person, by authority user id.
    User(String),
    /// An OAuth client (a provisioning client over SCIM, for example).
    Client(String),
    /// The authority itself (cascades, schedules), with the rule that acted.
    System(String),
}

impl Actor {
    /// A person.
    pub fn user(id: impl Into<String>) -> Self {
        Actor::User(id.into())
    }

    /// A client.
    pub fn client(id: impl Into<String>) -> Self {
        Actor::Client(id.into())
    }

    /// The authority, acting by `rule`.
    pub fn system(rule: impl Into<String>) -> Self {
        Actor::System(rule.into())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Client(id) => write!(f, "client:{id}"),
            Actor::System(rule) => write!(f, "system:{rule}"),
        }
    }
}

/// When and by whom a record was made and last changed, and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordMeta {
    /// When it was created (the authority's clock).
    pub created: i64,
    /// Who created it.
    pub created_by: Actor,
    /// When it last changed.
    pub updated: i64,
    /// Who last changed it.
    pub updated_by: Actor,
    /// Starts at 1 and grows with every change (the ETag of SCIM).
    pub version: u64,
}

impl RecordMeta {
    pub(crate) fn new(now: i64, actor: &Actor) -> Self {
        Self {
            created: now,
            created_by: actor.clone(),
            updated: now,
            updated_by: actor.clone(),
            version: 1,
        }
    }

    pub(crate) fn touch(&mut self, now: i64, actor: &Actor) {
        self.updated = now;
        self.updated_by = actor.clone();
        self.version = self.version.saturating_add(1);
    }

    /// The version as a weak entity tag (RFC 9110 section 8.8.3), `W/"3"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// What a deleted agent leaves behind: when, by whom, and the identifiers of
/// its last credentials (client ids and key ids). Never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tombstone {
    /// When it was deleted.
    pub deleted: i64,
    /// Who deleted it.
    pub deleted_by: Actor,
    /// Its OAuth clients (kept disabled at the authority).
    pub client_ids: Vec<String>,
    /// The `kid`s of the public keys its clients had registered.
    pub key_ids: Vec<String>,
}

/// An agent: a first-class identity of the authority, linked to its OAuth
/// clients. Read it from [`Registry::agent`](super::Registry::agent); change
/// it only through the [`Registry`](super::Registry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentRecord {
    /// Unique, stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// The use case it serves.
    pub purpose: Option<String>,
    /// Its kind.
    pub agent_type: AgentType,
    /// Where it is in its life.
    pub status: AgentStatus,
    /// The agent that spawned or orchestrates it.
    pub parent: Option<String>,
    /// The protocols it speaks.
    pub protocols: Vec<Protocol>,
    /// People or groups answerable for it.
    pub owners: Vec<Principal>,
    /// The accountable humans (authority user ids).
    pub sponsors: Vec<String>,
    /// The business unit it belongs to.
    pub business_unit: Option<String>,
    /// An identifier given by the system it came from (SCIM `externalId`).
    pub external_id: Option<String>,
    /// How it came into the registry.
    pub source: AgentSource,
    /// Its OAuth clients at this authority.
    pub clients: Vec<String>,
    /// What it may reach: the single record of its grants.
    pub entitlements: Vec<EntitlementGrant>,
    /// Creation, last change, version.
    pub meta: RecordMeta,
    /// Set once the agent is deleted.
    pub tombstone: Option<Tombstone>,
    /// Display name, subject, applications and protocol specifications.
    #[serde(default)]
    pub profile: super::profile::AgentProfile,
}
