//! Retention: entries older than the policy's window move to an archive (one
//! entry per line, the exact bytes that were hashed) and leave the database;
//! their leaf hashes stay in the tree, so every checkpoint, tile and proof
//! still verifies, and an archived entry is checked against its leaf hash.

use super::entry::claimed_index;
use super::error::AuditLogError;
use super::hash::Hash;
use super::log::AuditLog;
use agent_auth::clock::Clock;
use std::io::{BufRead, Write};

/// How long entry contents stay in the log's database.
///
/// ```
/// use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner, RetentionPolicy};
/// use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
/// use agent_auth::clock::ManualClock;
///
/// let log = AuditLog::new("audit.example/log", NoteSigner::from_seed("audit.example/log", &[1; 32])?, LogStorage::in_memory()?)?;
/// log.append(None, &[AuditEvent::new(100, AuditAction::TokenIssued, Outcome::Success)])?;
/// let mut archive = Vec::new();
/// let moved = RetentionPolicy::keep_seconds(60).apply(&log, &ManualClock::new(1_000), &mut archive)?;
/// assert_eq!(moved, 1);
/// // The entry left the database, its hash did not: the archive verifies.
/// assert_eq!(reference_authority::audit_log::verify_archive(&log, archive.as_slice())?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    keep_seconds: i64,
}

impl RetentionPolicy {
    /// Keeps entry contents for `seconds` after their event time.
    pub fn keep_seconds(seconds: i64) -> Self {
        Self {
            keep_seconds: seconds,
        }
    }

    /// Archives every entry whose event is older than the window at `clock`'s
    /// now into `archive` (flushed before the database forgets them). Returns
    /// how many moved.
    pub fn apply(
        &self,
        log: &AuditLog,
        clock: &dyn Clock,
        archive: &mut dyn Write,
    ) -> Result<u64, AuditLogError> {
        let older_than = clock.now().saturating_sub(self.keep_seconds);
        let io = |e: std::io::Error| AuditLogError::Storage(format!("archive: {e}"));
        log.with(|_, storage| {
            storage.archive(older_than, &mut |_, body| {
                archive.write_all(body).map_err(io)?;
                archive.write_all(b"\n").map_err(io)
            })
        })
        .and_then(|n| archive.flush().map_err(io).map(|()| n))
    }
}

/// Checks an archive against the log: every line must hash to the leaf of the
/// index it claims. Returns how many entries were checked.
pub fn verify_archive(log: &AuditLog, archive: impl BufRead) -> Result<u64, AuditLogError> {
    let mut count = 0;
    for line in archive.split(b'\n') {
        let line = line.map_err(|e| AuditLogError::Storage(format!("archive: {e}")))?;
        if line.is_empty() {
            continue;
        }
        let index = claimed_index(&line).ok_or(AuditLogError::Encoding)?;
        if log.leaf_hash(index) != Some(Hash::leaf(&line)) {
            return Err(AuditLogError::ArchiveMismatch(index));
        }
        count += 1;
    }
    Ok(count)
}
