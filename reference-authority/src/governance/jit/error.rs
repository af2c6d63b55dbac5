//! Why a just-in-time request or decision was refused. A refusal changes
//! nothing.

use super::channel::ChannelError;
use crate::StoreError;

/// A refused JIT request, decision or revocation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JitError {
    /// The request names no reason (or only blanks).
    #[error("a just-in-time request must name a reason")]
    MissingReason,
    /// The reason is longer than allowed or holds control characters.
    #[error("the reason is longer than {max} characters or holds control characters")]
    InvalidReason {
        /// The longest reason accepted.
        max: usize,
    },
    /// The duration is zero or negative.
    #[error("the duration must be at least one second")]
    InvalidDuration,
    /// The duration is longer than the cap of the entitlement.
    #[error("the duration of {asked} s exceeds the cap of {cap} s")]
    DurationOverCap {
        /// What was asked.
        asked: i64,
        /// The cap.
        cap: i64,
    },
    /// The agent is not registered.
    #[error("no agent {0:?} is registered")]
    UnknownAgent(String),
    /// The agent is not active (staged, inactive or deleted agents are not elevated).
    #[error("agent {0:?} is not active")]
    AgentNotActive(String),
    /// Owner approval was asked for an agent without owners.
    #[error("agent {0:?} has no owner to approve")]
    NoOwner(String),
    /// An N of M quorum with N outside 1..=M.
    #[error("a quorum needs between 1 and {approvers} approvals")]
    InvalidQuorum {
        /// How many distinct approvers were named.
        approvers: usize,
    },
    /// CIBA approval was asked but no approval channel is configured.
    #[error("no approval channel is configured")]
    NoChannel,
    /// The channel could not ask or answer.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// No request has this id.
    #[error("no just-in-time request {0:?}")]
    UnknownRequest(String),
    /// The request is no longer waiting for a decision.
    #[error("the request is already {0}")]
    AlreadyDecided(&'static str),
    /// The approval window closed before the decision.
    #[error("the request expired before it was decided")]
    Expired,
    /// The person deciding is not one of the request's approvers.
    #[error("{0:?} may not decide this request")]
    NotAnApprover(String),
    /// The requester tried to approve their own request.
    #[error("a requester cannot approve their own request")]
    SelfApproval,
    /// The approver already decided this request.
    #[error("{0:?} already decided this request")]
    AlreadyVoted(String),
    /// This request is decided through its approval channel, not directly.
    #[error("this request is decided through its approval channel")]
    DecidedByChannel,
    /// The grant is not active (never approved, expired or revoked).
    #[error("the grant is not active")]
    NotActive,
    /// The registry refused to read or record the grant.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}
