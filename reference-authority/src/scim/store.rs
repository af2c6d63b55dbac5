//! What the SCIM layer needs from the backends that hold the resources: one
//! [`ResourceStore`] per resource type, with versions for ETags and
//! conditional writes so that a write based on a stale read changes nothing.

use super::plan::IndexTerm;
use super::{Caller, ScimError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A resource as stored: its id, version, timestamps and attributes (core
/// attributes at the top level, extension attributes under their schema URN;
/// no `id`, `meta` or `schemas`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// The server-assigned id.
    pub id: String,
    /// Grows by at least one with every change; the ETag is derived from it.
    pub version: u64,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Last change, seconds since the epoch.
    pub last_modified: i64,
    /// The attributes.
    pub attributes: Map<String, Value>,
}

/// The backend of one resource type.
///
/// Implementations check their own invariants (unique names, references that
/// must exist, sponsor rules) and answer with a [`ScimError`] that leaves
/// everything unchanged when they refuse. Writes are async: some cascade
/// (deactivating a person notifies the owners of the agents they sponsored).
#[async_trait::async_trait]
pub trait ResourceStore: Send + Sync + std::fmt::Debug {
    /// One resource.
    fn get(&self, id: &str) -> Result<Option<Stored>, ScimError>;

    /// Every resource of the type.
    fn list(&self) -> Result<Vec<Stored>, ScimError>;

    /// The ids of the resources that may satisfy `term`, from an index, in
    /// the order [`ResourceStore::list`] gives them: every resource that
    /// satisfies it must be there (others may be; the whole filter is
    /// evaluated again). `None` (the default): no index for this term.
    fn candidates(&self, term: &IndexTerm) -> Result<Option<Vec<String>>, ScimError> {
        let _ = term;
        Ok(None)
    }

    /// Creates a resource from validated attributes; the store assigns the id.
    async fn create(
        &self,
        caller: &Caller,
        attributes: Map<String, Value>,
    ) -> Result<Stored, ScimError>;

    /// Replaces the attributes of `id`. With `expected_version`, fails with
    /// 412 unless the stored version is that one (checked atomically with the write).
    async fn replace(
        &self,
        caller: &Caller,
        id: &str,
        attributes: Map<String, Value>,
        expected_version: Option<u64>,
    ) -> Result<Stored, ScimError>;

    /// Deletes `id`, under the same version condition.
    async fn delete(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<(), ScimError>;
}
