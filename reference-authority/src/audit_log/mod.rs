//! The tamper-evident audit log of the control point (feature `sqlite`).
//!
//! Every [`AuditEvent`](agent_auth::audit::AuditEvent) of every component
//! becomes an entry of an append-only log hashed as an RFC 6962 / RFC 9162
//! Merkle tree, with a C2SP signed checkpoint (Ed25519 signed note) after each
//! appended batch, inclusion and consistency proofs, and the C2SP
//! `tlog-tiles` layout over HTTP, so any independent tiles client verifies it.
//!
//! - [`hash`], [`tree`]: leaf and node hashes, complete subtrees in memory.
//! - [`proof`]: inclusion and consistency proofs, built and verified. An
//!   inclusion proof carries at most `ceil(log2 n)` hashes: 30 hashes (960
//!   bytes) at n = 10^9.
//! - [`note`], [`checkpoint`]: signed notes and checkpoints.
//! - [`entry`], [`store`], [`log`]: entry bytes, the storage seam, the log;
//!   [`storage`] keeps it in SQLite, `pg_storage` (feature `postgres`) in
//!   PostgreSQL for several instances on one database.
//! - [`tiles`] and `http` (feature `server`): the tiles and the ingestion endpoint.
//! - [`verify`]: whole-log and one-entry verification with typed tamper errors.
//! - [`retention`], [`query`], [`ocsf`]: archive, search and export.

pub mod checkpoint;
pub mod entry;
mod error;
pub mod hash;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod http;
pub mod log;
pub mod note;
pub mod ocsf;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod pg_storage;
pub mod proof;
pub mod query;
pub mod retention;
pub mod storage;
pub mod store;
pub mod tiles;
pub mod tree;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use entry::{LogEntry, MAX_ENTRY_BYTES};
pub use error::AuditLogError;
pub use hash::Hash;
#[cfg(feature = "server")]
pub use http::router;
pub use log::AuditLog;
pub use note::{NoteError, NoteSigner, NoteVerifier};
pub use ocsf::{OcsfClass, ocsf_class, to_ocsf};
#[cfg(feature = "postgres")]
pub use pg_storage::PgLogStorage;
pub use proof::{
    ProofError, consistency_proof, inclusion_len, inclusion_proof, verify_consistency,
    verify_inclusion,
};
pub use query::AuditQuery;
pub use retention::{RetentionPolicy, verify_archive};
pub use storage::LogStorage;
pub use store::{AppendTx, ArchiveSink, LogStore, NewRow, StoredEntry, open_store};
pub use tiles::{TilePath, entry_bundle, parse_entry_bundle};
pub use tree::{Tree, root_of};
pub use verify::{
    TamperError, VerifyReport, verify_entries, verify_entry, verify_extends, verify_storage,
};

/// The audit guide (`docs/audit.md`), compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/audit.md")]
pub struct AuditGuide;
