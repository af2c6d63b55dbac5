//! One trait for every place relationships live: the embedded engine here, an OpenFGA
//! server over HTTP elsewhere. Code written against [`FgaBackend`] moves between them
//! without change.

mod embedded;
mod hooked;

pub use embedded::EmbeddedBackend;
pub use hooked::{Decision, DecisionHook, DecisionOutcome, Hooked};

use async_trait::async_trait;

use crate::Error;
use crate::engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, ListObjectsRequest, ListObjectsResponse,
    ListUsersRequest,
};
use crate::model::AuthorizationModel;
use crate::store::ReadFilter;
use crate::tuple::TupleKey;

/// The OpenFGA calls, as an async trait.
#[async_trait]
pub trait FgaBackend: Send + Sync {
    /// Check one relationship.
    async fn check(&self, request: CheckRequest) -> Result<bool, Error>;

    /// Check many relationships; each result keeps its correlation id.
    async fn batch_check(&self, items: Vec<BatchCheckItem>)
    -> Result<Vec<BatchCheckResult>, Error>;

    /// The objects of a type the user has the relation on.
    async fn list_objects(&self, request: ListObjectsRequest)
    -> Result<ListObjectsResponse, Error>;

    /// The users that have the relation on an object.
    async fn list_users(&self, request: ListUsersRequest) -> Result<Vec<String>, Error>;

    /// The stored tuples matching a filter.
    async fn read(&self, filter: ReadFilter) -> Result<Vec<TupleKey>, Error>;

    /// Writes and deletes tuples atomically.
    async fn write(&self, writes: Vec<TupleKey>, deletes: Vec<TupleKey>) -> Result<(), Error>;

    /// Installs a new authorization model; returns its id.
    async fn write_model(&self, model: AuthorizationModel) -> Result<String, Error>;

    /// The current authorization model.
    async fn read_model(&self) -> Result<AuthorizationModel, Error>;
}
