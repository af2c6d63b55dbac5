//! Why a review action was refused. A refusal changes nothing.

use crate::StoreError;

/// A refused campaign definition or review decision.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// A campaign name must be 1 to 128 characters without control characters.
    #[error("a campaign name must be 1 to 128 characters without control characters")]
    InvalidName,
    /// The review window is not positive.
    #[error("the review window must be at least one second")]
    InvalidWindow,
    /// A campaign of this name is already scheduled.
    #[error("a campaign named {0:?} is already scheduled")]
    DuplicateSchedule(String),
    /// No campaign has this id.
    #[error("no campaign {0:?}")]
    UnknownCampaign(String),
    /// The campaign is closed (its deadline passed).
    #[error("the campaign is closed")]
    Closed,
    /// No item of the campaign has this id.
    #[error("no review item {0:?} in this campaign")]
    UnknownItem(String),
    /// The item was already decided.
    #[error("the item was already decided")]
    AlreadyDecided,
    /// The person is not a reviewer of this item.
    #[error("{0:?} is not a reviewer of this item")]
    NotAReviewer(String),
    /// A delegation must name someone else.
    #[error("a delegation must name another reviewer")]
    InvalidDelegate,
    /// The registry refused the revocation.
    #[error("the revocation failed: {0}")]
    Revocation(String),
    /// The registry could not be read.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}
