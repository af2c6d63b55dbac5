//! What a logout did, and why one could not start.

use super::Target;
use crate::signals::{DeliveryOutcome, Queued};

/// What a logout revoked and how its receivers answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogoutReport {
    /// The logout.
    pub target: Target,
    /// The transaction id shared by its SETs (`txn`) and its audit events.
    pub txn: String,
    /// The `jti` of every access token revoked.
    pub revoked_access_tokens: Vec<String>,
    /// Grant families revoked (their refresh tokens die with them).
    pub revoked_grants: usize,
    /// The `sid` of every SSO session ended.
    pub ended_sessions: Vec<String>,
    /// CIBA requests cancelled (their approval ids).
    pub cancelled_approvals: Vec<String>,
    /// Users whose tokens or sessions were touched.
    pub users: Vec<String>,
    /// The SETs queued, one per stream and subject.
    pub signals: Vec<Queued>,
    /// What the receivers answered to the first delivery round.
    pub deliveries: Vec<DeliveryOutcome>,
}

/// Why a logout or a rotation did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KillSwitchError {
    /// No user with this id.
    #[error("unknown user")]
    UnknownUser,
    /// No client with this id.
    #[error("unknown agent")]
    UnknownAgent,
    /// The agent has no credential of the kind to rotate.
    #[error("the agent does not authenticate with {0}")]
    WrongCredentialKind(&'static str),
    /// The new keys are not a usable JWK Set.
    #[error("the new keys are not a usable JWK Set")]
    InvalidKeys,
    /// Storage or randomness failed on the way (what was done before stays done,
    /// and is in the audit trail).
    #[error("the logout could not complete: storage unavailable")]
    Unavailable,
}

impl From<crate::StoreError> for KillSwitchError {
    fn from(_: crate::StoreError) -> Self {
        KillSwitchError::Unavailable
    }
}

impl From<crate::OAuthError> for KillSwitchError {
    fn from(_: crate::OAuthError) -> Self {
        KillSwitchError::Unavailable
    }
}

impl From<crate::AuthorityError> for KillSwitchError {
    fn from(_: crate::AuthorityError) -> Self {
        KillSwitchError::Unavailable
    }
}
