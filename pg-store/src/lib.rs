//! PostgreSQL plumbing shared by the workspace's stores, so that several instances
//! of the authority or of an agent service can share one database.
//!
//! - [`PgPool`]: a connection pool on its own runtime; async callers await
//!   [`PgPool::client`], synchronous store traits use [`PgPool::client_blocking`]
//!   and [`PgPool::block_on`].
//! - [`PgPool::listen`]: `LISTEN` on a connection of its own, so that a cache
//!   hears the writes of other instances.
//! - [`migrate`]: numbered SQL steps per component, applied at open under an
//!   advisory lock and recorded in `schema_version`.
//! - [`retry`]: runs a transaction again on a serialization failure or deadlock.
//! - `testing` (feature `testing`): a throwaway cluster for tests.

mod config;
mod error;
mod ident;
mod listen;
mod migrate;
mod pool;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::PgConfig;
pub use error::PgError;
pub use ident::{Identifier, password_verifier};
pub use listen::{ListenGuard, Listener};
pub use migrate::{Migration, migrate, schema_version};
pub use pool::{PgClient, PgPool};
pub use retry::{ATTEMPTS, retry};
pub use tokio_postgres;
