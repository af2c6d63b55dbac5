//! The bytes of one log entry: the event with its position and who reported it.
//!
//! An entry is the JSON object `{"index":N,"reporter":...,"event":{...}}`, its
//! index first, so that a verifier sees a moved entry by comparing a prefix. The
//! leaf hash is that of these exact bytes: they are stored and served as they
//! were hashed, never re-encoded.

use super::error::AuditLogError;
use agent_auth::audit::AuditEvent;
use serde::{Deserialize, Serialize};

/// The largest entry: tlog-tiles entry bundles prefix each entry with a
/// big-endian `uint16` length.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// One decoded log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its position in the log.
    pub index: u64,
    /// The client that shipped it (`None` for events recorded in process).
    pub reporter: Option<String>,
    /// The event.
    pub event: AuditEvent,
}

impl LogEntry {
    /// The entry's bytes, as hashed into the tree.
    pub fn encode(&self) -> Result<Vec<u8>, AuditLogError> {
        let bytes = serde_json::to_vec(self).map_err(|_| AuditLogError::Encoding)?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(AuditLogError::EntryTooLarge { bytes: bytes.len() });
        }
        Ok(bytes)
    }

    /// Decodes entry bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, AuditLogError> {
        serde_json::from_slice(bytes).map_err(|_| AuditLogError::Encoding)
    }
}

/// Whether `bytes` start with the index prefix of entry `index`, without a
/// full decode (`{"index":N,`).
pub fn claims_index(bytes: &[u8], index: u64) -> bool {
    claimed_index(bytes) == Some(index)
}

/// The index an entry claims, if it can be read.
pub fn claimed_index(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(b"{\"index\":")?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(rest.get(..end)?).ok()?.parse().ok()
}
