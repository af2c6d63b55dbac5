//! Out-of-band approval by a named person: the JIT request asks through an
//! [`ApprovalChannel`] and later collects the answer (the authority's CIBA OP
//! is one, see [`CibaChannel`](super::CibaChannel)).

use serde::{Deserialize, Serialize};

/// What a named approver is asked to approve.
#[derive(Debug, Clone, Copy)]
pub struct ElevationAsk<'a> {
    /// The JIT request's id.
    pub request_id: &'a str,
    /// The agent that would be elevated.
    pub agent: &'a str,
    /// A short label of the entitlement asked for.
    pub entitlement: &'a str,
    /// Why the requester asks.
    pub reason: &'a str,
    /// How long the elevation would last, in seconds.
    pub duration: i64,
    /// How long the approver has to decide, in seconds.
    pub expires_in: i64,
}

/// A handle on one question asked through a channel. It may be a bearer
/// capability (a CIBA `auth_req_id`): `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ticket(String);

impl Ticket {
    /// Wraps a channel's handle.
    pub fn new(handle: impl Into<String>) -> Self {
        Self(handle.into())
    }

    /// The handle.
    ///
    /// # Security
    /// May be a bearer capability: give it to the channel that issued it only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticket([redacted])")
    }
}

/// The approver's answer so far.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Not decided yet.
    Pending,
    /// Approved by the named person (their user id).
    Approved {
        /// Who approved, as the channel authenticated them.
        by: String,
    },
    /// Refused.
    Denied,
    /// The question expired unanswered.
    Expired,
}

/// A channel that could not ask or answer. The message names what failed,
/// never a ticket or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[error("approval channel: {0}")]
pub struct ChannelError(pub String);

/// Asks a named person to approve an elevation and reports their answer.
#[async_trait::async_trait]
pub trait ApprovalChannel: Send + Sync + std::fmt::Debug {
    /// Sends the question to `approver` (a user id of the authority).
    async fn ask(&self, approver: &str, ask: &ElevationAsk<'_>) -> Result<Ticket, ChannelError>;

    /// The answer to a question asked before.
    async fn answer(&self, ticket: &Ticket) -> Result<Answer, ChannelError>;
}

#[cfg(test)]
mod tests {
    use super::Ticket;

    #[test]
    fn a_ticket_never_prints_its_handle() {
        let ticket = Ticket::new("auth-req-id-secret-value");
        assert_eq!(format!("{ticket:?}"), "Ticket([redacted])");
        assert_eq!(ticket.expose_secret(), "auth-req-id-secret-value");
    }
}
