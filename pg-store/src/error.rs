//! The errors of the pool and the migrations.

/// What went wrong talking to PostgreSQL. Messages name the failing step and the
/// server's SQLSTATE, never a password or a connection string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection settings could not be read.
    #[error("invalid PostgreSQL configuration: {0}")]
    Config(String),
    /// No connection could be had from the pool (server down, pool exhausted past
    /// its wait timeout, authentication refused).
    #[error("no PostgreSQL connection: {0}")]
    Pool(String),
    /// A statement failed.
    #[error("PostgreSQL statement failed: {0}")]
    Query(String),
    /// The database holds a schema newer than this build knows.
    #[error("schema of {component} is at version {found}, newer than the {known} this build knows")]
    SchemaTooNew {
        /// The component whose schema it is.
        component: String,
        /// The version in the database.
        found: i64,
        /// The newest version this build has.
        known: i64,
    },
    /// The migrations given are not in strictly increasing version order.
    #[error("migrations of {0} are not in strictly increasing version order")]
    MigrationOrder(String),
    /// The pool's runtime is gone (the pool is being dropped).
    #[error("the PostgreSQL pool's runtime has stopped")]
    RuntimeGone,
}

impl PgError {
    /// A statement error, with the SQLSTATE when the server sent one.
    pub fn query(e: &tokio_postgres::Error) -> Self {
        match e.code() {
            Some(code) => Self::Query(format!("SQLSTATE {}: {e}", code.code())),
            None => Self::Query(e.to_string()),
        }
    }

    /// Whether the failed transaction may simply be run again: a serialization
    /// failure (SQLSTATE 40001) or a detected deadlock (40P01).
    pub fn is_retryable(e: &tokio_postgres::Error) -> bool {
        e.code().is_some_and(|c| {
            *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                || *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
        })
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::query(&e)
    }
}
