//! What the directory refuses. A refused change changes nothing.

use crate::registry::RegistryError;
use crate::{AuthorityError, StoreError};

/// A refused or failed directory operation. Messages name identifiers only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The authority has no user with this id.
    #[error("no authority user `{0}`")]
    UnknownUser(String),
    /// No person with this id is in the directory.
    #[error("no person `{0}` in the directory")]
    UnknownPerson(String),
    /// The person is in the directory already.
    #[error("person `{0}` is in the directory already")]
    PersonExists(String),
    /// No group has this id.
    #[error("no group `{0}`")]
    UnknownGroup(String),
    /// A group with this id exists already.
    #[error("group `{0}` exists already")]
    GroupExists(String),
    /// The manager chain would loop (a person managing themselves, directly or not).
    #[error("person `{0}` would be their own manager")]
    ManagerCycle(String),
    /// A field is missing or malformed.
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The record changed since the version the caller read (failed `If-Match`).
    #[error("version mismatch: expected {expected}, current {current}")]
    VersionMismatch {
        /// The version the caller named.
        expected: u64,
        /// The version stored.
        current: u64,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The authority refused a change it had to make (disabling the user).
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The registry's cascade failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
