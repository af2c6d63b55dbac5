//! Errors of the audit log.

use super::checkpoint::CheckpointError;
use super::note::NoteError;
use thiserror::Error;

/// What went wrong appending to, reading or serving the log.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AuditLogError {
    /// The storage failed (the message is the database's, never event content).
    #[error("audit log storage: {0}")]
    Storage(String),
    /// An event could not be encoded or an entry decoded.
    #[error("an audit log entry is not valid JSON of an event")]
    Encoding,
    /// An entry is larger than an entry bundle can carry.
    #[error("an audit log entry of {bytes} bytes is larger than 65535 bytes")]
    EntryTooLarge {
        /// Its size.
        bytes: usize,
    },
    /// The checkpoint could not be signed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A checkpoint could not be read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A requested entry, size or range is not in the log.
    #[error("not in the log: {0}")]
    NotFound(&'static str),
    /// An archived entry does not hash to the leaf of the index it claims.
    #[error("archived entry {0} does not match its leaf hash")]
    ArchiveMismatch(u64),
    /// An entry's content was archived by retention (its hash stays in the tree).
    #[error("entry {0} was archived")]
    Archived(u64),
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for AuditLogError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}
