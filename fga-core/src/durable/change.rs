//! Entries of the changes feed and the continuation token.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::TupleKey;

/// What a change did to its tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeOp {
    /// The tuple was written.
    Write,
    /// The tuple was deleted.
    Delete,
}

/// One entry of the changes feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TupleChange {
    /// The change id; ids grow with every change.
    pub id: u64,
    /// Write or delete.
    pub op: ChangeOp,
    /// The tuple.
    pub tuple: TupleKey,
}

/// A page of the feed and where to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangesPage {
    /// The changes, by change id.
    pub changes: Vec<TupleChange>,
    /// Pass this to the next read to get the changes after this page.
    pub continuation: ContinuationToken,
}

/// An opaque position in the feed: the last change id read.
///
/// ```
/// use fga_core::durable::ContinuationToken;
///
/// let token: ContinuationToken = "42".parse()?;
/// assert_eq!(token.to_string(), "42");
/// assert!("not a token".parse::<ContinuationToken>().is_err());
/// # Ok::<(), fga_core::durable::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContinuationToken(pub(crate) u64);

impl ContinuationToken {
    /// The last change id the token has seen (0 before any).
    pub fn last_change_id(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ContinuationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ContinuationToken {
    type Err = StoreError;

    /// A token as printed by `Display`; anything else is
    /// [`StoreError::InvalidContinuationToken`] (OpenFGA rejects malformed tokens too).
    fn from_str(s: &str) -> Result<Self, StoreError> {
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::InvalidContinuationToken);
        }
        s.parse::<u64>()
            .map(Self)
            .map_err(|_| StoreError::InvalidContinuationToken)
    }
}
