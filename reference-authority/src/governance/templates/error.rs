//! Why a template operation was refused. A refusal changes nothing.

use crate::StoreError;

/// A refused template operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A template name must be 1 to 128 characters without control characters.
    #[error("a template name must be 1 to 128 characters without control characters")]
    InvalidName,
    /// A template lists the same entitlement twice, or none.
    #[error("a template needs at least one entitlement, each listed once")]
    InvalidEntitlements,
    /// The name is taken.
    #[error("a template named {0:?} already exists")]
    Exists(String),
    /// No template has this name.
    #[error("no template named {0:?}")]
    Unknown(String),
    /// Agents are still linked to the template.
    #[error("{0} agents are still linked to the template")]
    InUse(usize),
    /// The agent is not registered.
    #[error("no agent {0:?} is registered")]
    UnknownAgent(String),
    /// The agent was deleted.
    #[error("agent {0:?} was deleted")]
    AgentDeleted(String),
    /// The agent is not linked to the template.
    #[error("agent {0:?} is not linked to this template")]
    NotLinked(String),
    /// The registry refused a grant or revocation.
    #[error("the registry refused: {0}")]
    Registry(String),
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}
