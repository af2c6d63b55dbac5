//! Why an offboarding could not start. Failures of single steps are not
//! errors: they are recorded in the tombstone and a retry runs them again.

use crate::StoreError;

/// An offboarding that could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CascadeError {
    /// The agent is not registered and has no tombstone.
    #[error("no agent {0:?} is registered")]
    UnknownAgent(String),
    /// The reason is empty.
    #[error("an offboarding must name a reason")]
    MissingReason,
    /// The registry could not be read.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}
