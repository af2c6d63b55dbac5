//! How a request ended.

use super::CibaError;
use agent_auth::secret::Token;
use agent_auth::validate::Claims;
use serde_json::Value;

/// The tokens of an approved request: exactly the granted scope and details.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApprovedTokens {
    /// The access token.
    pub access_token: Token,
    /// A refresh token, if issued.
    pub refresh_token: Option<Token>,
    /// The ID token, if issued (validated).
    pub id_token: Option<Token>,
    /// The validated ID token's claims.
    pub id_token_claims: Option<Claims>,
    /// The granted scopes (RFC 6749 section 5.1: the requested ones when the OP omits `scope`).
    pub scope: Vec<String>,
    /// The granted RFC 9396 authorization details (section 7), if any.
    pub authorization_details: Option<Value>,
    /// Access token lifetime in seconds.
    pub expires_in: Option<i64>,
}

/// The end of a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApprovalOutcome {
    /// The person approved.
    Approved(Box<ApprovedTokens>),
    /// The person (or the OP) denied: `access_denied`.
    Denied,
    /// The request expired: `expired_token`, or its lifetime passed.
    Expired,
    /// Something else ended the wait.
    Failed(CibaError),
    /// The agent stopped waiting: the user's access ended (a security
    /// signal, see [`CibaClient::cancel_for_user`](super::CibaClient::cancel_for_user)).
    Cancelled,
}

impl ApprovalOutcome {
    /// The tokens, when approved.
    pub fn approved(&self) -> Option<&ApprovedTokens> {
        match self {
            Self::Approved(t) => Some(t),
            _ => None,
        }
    }
}
