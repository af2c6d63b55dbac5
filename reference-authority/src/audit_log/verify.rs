//! Re-checking a whole log, or one entry, against signed checkpoints.
//!
//! A full check reads every stored row in order and stops at the first fault:
//! a missing position (deleted), an entry whose bytes do not hash to its leaf
//! (modified), an entry at another position than it claims (reordered), fewer
//! entries than a checkpoint covers (truncated), a checkpoint whose root is
//! not the root of the entries (rewritten), or two checkpoints of one log that
//! cannot both be true (a fork: equivocation).

use super::checkpoint::{Checkpoint, CheckpointError};
use super::entry::claimed_index;
use super::hash::Hash;
use super::note::NoteVerifier;
use super::proof::{ProofError, verify_consistency, verify_inclusion};
use super::store::LogStore;
use super::tree::Tree;
use thiserror::Error;

/// What a verification found wrong; every variant names the first bad entry
/// or tree size.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TamperError {
    /// The row of a position is missing.
    #[error("entry {index} is missing (deleted)")]
    Missing {
        /// The first missing position.
        index: u64,
    },
    /// The entry bytes do not hash to the leaf hash the tree holds.
    #[error("entry {index} was modified: its bytes do not hash to its leaf")]
    Modified {
        /// The first modified entry.
        index: u64,
    },
    /// The entry claims another position (entries were reordered).
    #[error("entry {index} claims position {claims} (reordered)")]
    Reordered {
        /// The position it was found at.
        index: u64,
        /// The position its bytes name.
        claims: u64,
    },
    /// The log holds fewer entries than a checkpoint covers.
    #[error(
        "the log was truncated: {entries} entries, a checkpoint covers {checkpoint_size}; entry {entries} is the first missing"
    )]
    Truncated {
        /// Entries found.
        entries: u64,
        /// Entries the checkpoint covers.
        checkpoint_size: u64,
    },
    /// A signed checkpoint's root is not the root of the stored entries: some
    /// entry in `(after, size]` was rewritten together with its leaf hash.
    #[error(
        "the checkpoint of size {size} does not match the entries: an entry from {first_bad} to {last} was rewritten"
    )]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
        /// The first entry not covered by an earlier matching checkpoint.
        first_bad: u64,
        /// The last entry the checkpoint covers.
        last: u64,
    },
    /// Two validly signed checkpoints of the log cannot both be true.
    #[error(
        "forked log: the checkpoints of sizes {first} and {second} are inconsistent (equivocation)"
    )]
    Equivocation {
        /// The smaller size.
        first: u64,
        /// The larger size.
        second: u64,
    },
    /// A checkpoint is not validly signed by the log's key, or malformed.
    #[error("checkpoint of size {size}: {error}")]
    Checkpoint {
        /// The size stored with it.
        size: u64,
        /// Why it was refused.
        error: CheckpointError,
    },
    /// An inclusion proof failed.
    #[error("entry {index}: {error}")]
    Inclusion {
        /// The entry.
        index: u64,
        /// Why.
        error: ProofError,
    },
    /// The storage could not be read.
    #[error("the log storage could not be read: {0}")]
    Storage(String),
}

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Entries whose content was archived (checked by hash only).
    pub archived: u64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// The root of the whole log.
    pub root: Hash,
}

/// Checks every stored entry and checkpoint of a log, plus any `trusted`
/// checkpoint notes obtained elsewhere (a witness, an earlier download).
pub fn verify_storage(
    storage: &dyn LogStore,
    key: &NoteVerifier,
    origin: &str,
    trusted: &[String],
) -> Result<VerifyReport, TamperError> {
    let storage_error = |e: super::AuditLogError| TamperError::Storage(e.to_string());
    let mut tree = Tree::new();
    let mut archived = 0u64;
    let mut fault: Option<TamperError> = None;
    storage
        .for_each_entry(&mut |row| {
            if fault.is_some() {
                return Ok(());
            }
            let expected = tree.size();
            if row.index != expected {
                fault = Some(TamperError::Missing { index: expected });
                return Ok(());
            }
            let stored = Hash::from_slice(&row.leaf_hash);
            let hash = match (&row.body, stored) {
                (Some(body), _) => {
                    let hash = Hash::leaf(body);
                    if stored != Some(hash) {
                        fault = Some(TamperError::Modified { index: expected });
                        return Ok(());
                    }
                    if let Some(claims) = claimed_index(body).filter(|c| *c != expected) {
                        fault = Some(TamperError::Reordered {
                            index: expected,
                            claims,
                        });
                        return Ok(());
                    }
                    hash
                }
                (None, Some(hash)) => {
                    archived += 1;
                    hash
                }
                (None, None) => {
                    fault = Some(TamperError::Modified { index: expected });
                    return Ok(());
                }
            };
            tree.push(hash);
            Ok(())
        })
        .map_err(storage_error)?;
    let mut checkpoints = Vec::new();
    for (size, note) in storage.checkpoints().map_err(storage_error)? {
        checkpoints.push((open_note(&note, key, origin, size)?, false));
    }
    for note in trusted {
        checkpoints.push((open_note(note, key, origin, 0)?, true));
    }
    checkpoints.sort_by_key(|(c, _)| c.size);
    check_fork(&checkpoints)?;
    // A fault in the entries is reported first: it names the exact entry.
    if let Some(fault) = fault {
        return Err(fault);
    }
    let mut matched = 0u64;
    for (checkpoint, external) in &checkpoints {
        if checkpoint.size > tree.size() {
            return Err(TamperError::Truncated {
                entries: tree.size(),
                checkpoint_size: checkpoint.size,
            });
        }
        if tree.root_at(checkpoint.size) != Some(checkpoint.root) {
            // A checkpoint from elsewhere, validly signed, that no prefix of
            // the log matches: the log showed someone another history.
            if *external {
                return Err(TamperError::Equivocation {
                    first: checkpoint.size,
                    second: tree.size(),
                });
            }
            return Err(TamperError::RootMismatch {
                size: checkpoint.size,
                first_bad: matched,
                last: checkpoint.size.saturating_sub(1),
            });
        }
        matched = checkpoint.size;
    }
    Ok(VerifyReport {
        entries: tree.size(),
        archived,
        checkpoints: checkpoints.len(),
        root: tree.root(),
    })
}

fn open_note(
    note: &str,
    key: &NoteVerifier,
    origin: &str,
    size: u64,
) -> Result<Checkpoint, TamperError> {
    Checkpoint::open(note, key, origin).map_err(|error| TamperError::Checkpoint { size, error })
}

/// Two checkpoints of one size with different roots are a fork whatever the
/// entries say.
fn check_fork(sorted: &[(Checkpoint, bool)]) -> Result<(), TamperError> {
    for pair in sorted.windows(2) {
        if let [(a, _), (b, _)] = pair
            && a.size == b.size
            && a.root != b.root
        {
            return Err(TamperError::Equivocation {
                first: a.size,
                second: b.size,
            });
        }
    }
    Ok(())
}

/// Checks that a newer checkpoint extends an older one, given the log's
/// consistency proof between them: a failure is a fork (RFC 9162 section 2.1.4).
pub fn verify_extends(
    older: &Checkpoint,
    newer: &Checkpoint,
    proof: &[Hash],
) -> Result<(), TamperError> {
    let (first, second) = if older.size <= newer.size {
        (older, newer)
    } else {
        (newer, older)
    };
    verify_consistency(first.size, second.size, proof, &first.root, &second.root).map_err(|_| {
        TamperError::Equivocation {
            first: first.size,
            second: second.size,
        }
    })
}

/// Checks one entry against a signed checkpoint with its inclusion proof.
pub fn verify_entry(
    entry: &[u8],
    index: u64,
    proof: &[Hash],
    checkpoint_note: &str,
    key: &NoteVerifier,
    origin: &str,
) -> Result<Checkpoint, TamperError> {
    let checkpoint = Checkpoint::open(checkpoint_note, key, origin)
        .map_err(|error| TamperError::Checkpoint { size: 0, error })?;
    if let Some(claims) = claimed_index(entry).filter(|c| *c != index) {
        return Err(TamperError::Reordered { index, claims });
    }
    verify_inclusion(
        index,
        checkpoint.size,
        Hash::leaf(entry),
        proof,
        &checkpoint.root,
    )
    .map_err(|error| TamperError::Inclusion { index, error })?;
    Ok(checkpoint)
}

/// Recomputes the root over entry bytes in order and compares it with a
/// checkpoint's: the core of a full re-verification, without storage.
pub fn verify_entries<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
    checkpoint: &Checkpoint,
) -> Result<(), TamperError> {
    let mut index = 0u64;
    let mut bad: Option<TamperError> = None;
    let leaves = entries.into_iter().map(|bytes| {
        if bad.is_none() && !super::entry::claims_index(bytes, index) {
            bad = Some(TamperError::Reordered {
                index,
                claims: claimed_index(bytes).unwrap_or(u64::MAX),
            });
        }
        index += 1;
        Hash::leaf(bytes)
    });
    let (size, root) = super::tree::root_of(leaves);
    if let Some(bad) = bad {
        return Err(bad);
    }
    if size < checkpoint.size {
        return Err(TamperError::Truncated {
            entries: size,
            checkpoint_size: checkpoint.size,
        });
    }
    if size != checkpoint.size || root != checkpoint.root {
        return Err(TamperError::RootMismatch {
            size: checkpoint.size,
            first_bad: 0,
            last: checkpoint.size.saturating_sub(1),
        });
    }
    Ok(())
}
