//! Refresh leases: the exclusion of refreshes across vault instances that share
//! one store.

use crate::error::VaultError;
use std::future::Future;
use std::pin::Pin;

/// Held while one instance refreshes a credential; dropping it lets the next
/// instance in. What it holds (a database session's lock, ...) is the store's.
pub type RefreshLease = Box<dyn Send>;

/// The future of [`VaultStore::refresh_lease`](super::VaultStore::refresh_lease):
/// `None` when the store needs no lease (one process).
pub type LeaseFuture =
    Pin<Box<dyn Future<Output = Result<Option<RefreshLease>, VaultError>> + Send>>;

/// The lease of a store used by one process only: none.
pub(crate) fn no_lease() -> LeaseFuture {
    Box::pin(async { Ok(None) })
}
