//! A throwaway PostgreSQL cluster for tests (feature `testing`).
//!
//! [`fresh_database`] starts one cluster per test process (shared by the tests of
//! the process while any of them holds a database) and creates a database per
//! call. When the server binaries are not installed it prints that the PostgreSQL
//! suites did not run and how to enable them, and returns `None`; when
//! [`REQUIRED_ENV`] is set (CI sets it) it fails instead.
//!
//! ```no_run
//! # fn main() -> Result<(), pg_store::testing::ClusterError> {
//! let Some(db) = pg_store::testing::fresh_database("example")? else {
//!     return Ok(()); // printed: the PostgreSQL suites did not run
//! };
//! let pool = db.pool()?;
//! # Ok(()) }
//! ```

mod binaries;
mod cluster;

pub use binaries::{PG_BIN_ENV, find_bin_dir};
pub use cluster::{SUPERUSER, TestCluster};

use crate::{PgConfig, PgError, PgPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Set to `1` to make missing PostgreSQL binaries fail the tests.
pub const REQUIRED_ENV: &str = "AGENT_AUTH_POSTGRES_REQUIRED";

/// Why no test cluster could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The server binaries are missing and the suites are mandatory.
    #[error(
        "PostgreSQL server binaries not found ({REQUIRED_ENV} is set): install the `postgresql` package or set {PG_BIN_ENV} to the folder of initdb and pg_ctl"
    )]
    NotInstalled,
    /// Running as root with no unprivileged user to run the server as.
    #[error(
        "the tests run as root and neither a `postgres` nor a `nobody` user exists to run the PostgreSQL server as (initdb refuses root)"
    )]
    NoUnprivilegedUser,
    /// A server binary failed.
    #[error("{program} failed: {output}")]
    Command {
        /// Which binary.
        program: String,
        /// What it printed, and the server log.
        output: String,
    },
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The cluster refused a statement.
    #[error(transparent)]
    Pg(#[from] PgError),
}

impl ClusterError {
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Io { what, source }
    }
}

/// Whether [`REQUIRED_ENV`] is set to a non-empty value other than `0`.
pub fn required() -> bool {
    std::env::var(REQUIRED_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A database of its own on the process's test cluster. The cluster stops when
/// the last database of the process is dropped.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    cluster: Arc<TestCluster>,
    name: String,
}

impl TestDatabase {
    /// The superuser's URL of this database.
    pub fn url(&self) -> String {
        self.cluster.url(&self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cluster.
    pub fn cluster(&self) -> &TestCluster {
        &self.cluster
    }

    /// A new pool on this database (each call: a separate pool, as a separate
    /// instance of a service would have).
    pub fn pool(&self) -> Result<PgPool, PgError> {
        PgPool::connect(PgConfig::parse(&self.url())?.pool_size(4))
    }
}

static CLUSTER: Mutex<Weak<TestCluster>> = Mutex::new(Weak::new());
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A fresh database named after `label`, on the process's test cluster (started
/// on first use). `Ok(None)` after printing a notice when the binaries are missing
/// and the suites are not mandatory.
pub fn fresh_database(label: &str) -> Result<Option<TestDatabase>, ClusterError> {
    let cluster = {
        let mut slot = CLUSTER.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.upgrade() {
            Some(cluster) => cluster,
            None => {
                let Some(bin) = find_bin_dir() else {
                    if required() {
                        return Err(ClusterError::NotInstalled);
                    }
                    println!(
                        "PostgreSQL suites NOT run: server binaries not found; install the `postgresql` package or set {PG_BIN_ENV} (set {REQUIRED_ENV}=1 to make this a failure)"
                    );
                    return Ok(None);
                };
                let cluster = Arc::new(TestCluster::start(&bin)?);
                *slot = Arc::downgrade(&cluster);
                cluster
            }
        }
    };
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let name = format!("t_{clean}_{}", DATABASES.fetch_add(1, Ordering::Relaxed));
    let admin = PgPool::connect(PgConfig::parse(&cluster.url("postgres"))?.pool_size(1))?;
    let client = admin.client_blocking()?;
    admin
        .block_on(client.batch_execute(&format!("CREATE DATABASE \"{name}\"")))
        .map_err(PgError::from)?;
    Ok(Some(TestDatabase { cluster, name }))
}
