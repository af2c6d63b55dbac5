//! Errors of the CIBA client. Messages name what failed; they never carry a
//! token, an `auth_req_id`, a notification token or a client secret.

use agent_auth::oauth::{DiscoveryError, HttpError};
use agent_auth::validate::ValidationError;

/// A CIBA client failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CibaError {
    /// The request was refused before anything was sent (bad input).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// The HTTP exchange failed (URL refused, connection, TLS, timeout,
    /// redirect, body too large, or a status without an OAuth error body).
    #[error("HTTP exchange with the {endpoint} failed")]
    Transport {
        /// Which endpoint (`backchannel endpoint`, `token endpoint`).
        endpoint: &'static str,
        /// What the OAuth core's HTTP client reported.
        #[source]
        source: HttpError,
    },
    /// The OP's metadata could not be read or names another issuer.
    #[error("discovery failed")]
    Discovery(#[source] DiscoveryError),
    /// The OP answered with an OAuth error (CIBA Core 1.0 section 13, RFC 6749 section 5.2).
    #[error("the OP refused: {code}")]
    Refused {
        /// The error code (`invalid_request`, `unknown_user_id`, ...).
        code: String,
        /// The OP's description, if any.
        description: Option<String>,
    },
    /// The OP's answer lacks a required member or has the wrong shape.
    #[error("malformed response from the OP: {0}")]
    MalformedResponse(&'static str),
    /// The ID token did not validate.
    #[error("the ID token was refused: {0}")]
    IdToken(#[from] ValidationError),
    /// The ID token does not belong to this request or these tokens
    /// (CIBA Core 1.0 section 10.3.1).
    #[error("the ID token does not match the delivered tokens: {0}")]
    IdTokenBinding(&'static str),
    /// The grant was refused as spent, unknown or issued to another client.
    #[error("invalid_grant")]
    InvalidGrant,
    /// The pending-request store failed.
    #[error("pending-request store failed: {0}")]
    Store(String),
    /// The client configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

impl CibaError {
    /// Whether the exchange failed in transit (connection reset, timeout,
    /// DNS, TLS), so that asking again may succeed; an answer of the OP,
    /// whatever its status, is not transient.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transport { source, .. }
            if source.status().is_none() && !matches!(source, HttpError::Url(_) | HttpError::BodyTooLarge { .. }))
    }
}
