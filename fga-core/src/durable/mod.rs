//! A durable tuple store with a changes feed, in the spirit of OpenFGA's `ReadChanges`:
//! every accepted write or delete gets a change id, the feed is read in change id order
//! after a continuation token, and a [`Replica`] applies it to its in-memory
//! [`crate::Engine`], which stays the hot path. Several processes serving one store
//! converge by following the same feed.
//!
//! [`TupleStore`] is the storage seam; [`SqliteTupleStore`] (feature `sqlite`) is one
//! implementation, and another database can implement the same trait.

mod change;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod replica;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use change::{ChangeOp, ChangesPage, ContinuationToken, TupleChange};
pub use error::StoreError;
#[cfg(feature = "postgres")]
pub use postgres::PgTupleStore;
pub use replica::Replica;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteTupleStore;

use crate::TupleKey;

/// Durable storage of one store's tuples and of its changes feed.
pub trait TupleStore {
    /// Writes and deletes tuples atomically and records one change per tuple, deletes
    /// first, in request order. A write of an existing tuple or a delete of a missing
    /// one rejects the whole request ([`StoreError::Conflict`]) and changes nothing.
    fn write(&self, writes: &[TupleKey], deletes: &[TupleKey]) -> Result<(), StoreError>;

    /// Up to `page_size` changes after `after` (from the start when `None`), in change id
    /// order, and the token to continue from (the same token when there is nothing new).
    fn read_changes(
        &self,
        after: Option<&ContinuationToken>,
        page_size: usize,
    ) -> Result<ChangesPage, StoreError>;
}
