//! What the registry refuses, and why. A refused change changes nothing.

use super::model::AgentStatus;
use crate::{AuthorityError, StoreError};

/// A refused or failed registry operation. Messages name identifiers only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No agent has this id.
    #[error("no agent `{0}`")]
    UnknownAgent(String),
    /// An agent with this id exists already.
    #[error("agent `{0}` exists already")]
    AgentExists(String),
    /// The lifecycle does not allow this move.
    #[error("an agent cannot go from {from} to {to}")]
    IllegalTransition {
        /// The current status.
        from: AgentStatus,
        /// The status asked for.
        to: AgentStatus,
    },
    /// The agent is deleted: a tombstone does not change.
    #[error("agent `{0}` is deleted")]
    Deleted(String),
    /// An ACTIVE agent needs an active owner (a person, or a group with an active member).
    #[error("agent `{0}` has no active owner")]
    NoActiveOwner(String),
    /// An ACTIVE agent needs an active human sponsor.
    #[error("agent `{0}` has no active sponsor")]
    NoActiveSponsor(String),
    /// Activation needs a credential: a linked OAuth client.
    #[error("agent `{0}` has no linked OAuth client")]
    NoCredential(String),
    /// The OAuth client is not registered at the authority.
    #[error("no OAuth client `{0}`")]
    UnknownClient(String),
    /// The OAuth client belongs to another agent (or to a deleted one).
    #[error("OAuth client `{client_id}` is linked to agent `{agent_id}`")]
    ClientTaken {
        /// The client.
        client_id: String,
        /// The agent it belongs to.
        agent_id: String,
    },
    /// The OAuth client is not linked to this agent.
    #[error("OAuth client `{client_id}` is not linked to agent `{agent_id}`")]
    ClientNotLinked {
        /// The client.
        client_id: String,
        /// The agent.
        agent_id: String,
    },
    /// The person is not in the directory.
    #[error("no person `{0}` in the directory")]
    UnknownPerson(String),
    /// The group is not in the directory.
    #[error("no group `{0}` in the directory")]
    UnknownGroup(String),
    /// The parent would make the agent its own ancestor.
    #[error("agent `{0}` cannot be its own ancestor")]
    ParentCycle(String),
    /// A field is missing or malformed.
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The record changed since the version the caller read (a failed
    /// `If-Match`, RFC 9110 section 13.1.1).
    #[error("version mismatch: expected {expected}, current {current}")]
    VersionMismatch {
        /// The version the caller named.
        expected: u64,
        /// The version stored.
        current: u64,
    },
    /// The grant to revoke does not exist.
    #[error("agent `{0}` holds no such grant")]
    UnknownGrant(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The authority refused a change it had to make (a client's status).
    #[error(transparent)]
    Authority(#[from] AuthorityError),
}
