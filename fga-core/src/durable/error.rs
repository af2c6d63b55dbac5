//! Errors of the durable store.

/// Errors of a [`super::TupleStore`] and of a [`super::Replica`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A write of an existing tuple or a delete of a missing one (OpenFGA 2017); the
    /// request changed nothing.
    #[error("{op} conflict on '{tuple}': {reason}")]
    Conflict {
        /// `write` or `delete`.
        op: &'static str,
        /// The tuple, as `object#relation@user`.
        tuple: String,
        /// Why.
        reason: &'static str,
    },
    /// A continuation token that this store did not issue.
    #[error("invalid continuation token")]
    InvalidContinuationToken,
    /// The engine rejected a tuple or a change (it does not fit the model).
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// The database failed; the request changed nothing.
    #[error("tuple store failure: {0}")]
    Database(String),
}
