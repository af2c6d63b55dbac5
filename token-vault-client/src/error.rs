//! Errors of the vault.

/// The user must (re)connect an account: the grant is gone, or it lacks scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRequired {
    /// The connection (`google`, `slack`, ...).
    pub connection: String,
    /// Scopes asked for that the stored grant does not cover (all of the asked
    /// scopes when the grant is gone).
    pub missing_scopes: Vec<String>,
    /// Where to send the user to reconnect, if the connection has one.
    pub reconnect_url: Option<String>,
}

impl std::fmt::Display for ConsentRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "consent required for connection `{}`", self.connection)?;
        if !self.missing_scopes.is_empty() {
            write!(f, " (missing scopes: {})", self.missing_scopes.join(" "))?;
        }
        Ok(())
    }
}

/// What went wrong. Messages never contain credential values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// No credential is stored for this user and connection.
    #[error("no credential for connection `{0}`")]
    NotFound(String),
    /// The caller does not act for the user whose credential it asked for.
    #[error("the caller does not act for this user")]
    NotActingForUser,
    /// The credential expired and cannot be refreshed (just-in-time credentials).
    #[error("credential for connection `{0}` expired")]
    Expired(String),
    /// The user must connect (or reconnect) the account.
    #[error("{0}")]
    ConsentRequired(ConsentRequired),
    /// A stored record failed authentication: tampered, swapped, or sealed with
    /// an unknown master key.
    #[error("stored credential failed integrity check")]
    Integrity,
    /// Another writer changed the record first.
    #[error("concurrent update of the credential")]
    Conflict,
    /// A refresh failed for a reason other than lost consent (network, 5xx).
    #[error("refresh failed: {0}")]
    RefreshFailed(String),
    /// A scheduled or requested rotation failed; the old credential is kept.
    #[error("rotation failed: {0}")]
    RotationFailed(String),
    /// The remote vault refused the request with an OAuth error code (RFC 6749
    /// section 5.2), e.g. `invalid_grant` for a subject token that is not
    /// valid: the user must sign in again (not reconnect the connection).
    #[error("the remote vault refused the request: {0}")]
    Refused(String),
    /// A token endpoint (the remote vault's, or a provider's in the
    /// connected-accounts flow) could not be reached or gave no usable
    /// answer; the OAuth core's error is the cause.
    #[cfg(feature = "http")]
    #[error("token endpoint request failed: {0}")]
    TokenEndpoint(#[source] agent_auth::oauth::TokenError),
    /// The credential kind does not support the operation.
    #[error("unsupported for this credential kind: {0}")]
    Unsupported(&'static str),
    /// A master key is missing or malformed.
    #[error("key provider: {0}")]
    Keys(String),
    /// Storage failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Cryptographic library failure.
    #[error("crypto failure")]
    Crypto,
    /// The agent may not use this connection (its per-agent list).
    #[error("the agent may not use connection `{0}`")]
    ConnectionNotAllowed(String),
    /// The agent asked for scopes beyond what it may use on the connection.
    #[error("the agent may not use scopes {scopes:?} of connection `{connection}`")]
    ScopeNotAllowed {
        /// The connection.
        connection: String,
        /// The scopes asked for beyond the agent's allowance.
        scopes: Vec<String>,
    },
    /// The stored grant is broader than the agent may use, the provider
    /// cannot narrow it, and the connection is strict.
    #[error("the credential of connection `{0}` is broader than the agent may use")]
    BroaderThanAllowed(String),
    /// A request was malformed.
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl VaultError {
    /// A short machine-readable reason for audit events.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Expired(_) => "expired",
            Self::NotActingForUser => "not_acting_for_user",
            Self::ConsentRequired(_) => "consent_required",
            Self::Integrity => "integrity",
            Self::Conflict => "conflict",
            Self::RefreshFailed(_) => "refresh_failed",
            Self::RotationFailed(_) => "rotation_failed",
            Self::Refused(_) => "refused",
            #[cfg(feature = "http")]
            Self::TokenEndpoint(_) => "token_endpoint",
            Self::Unsupported(_) => "unsupported",
            Self::Keys(_) => "keys",
            Self::Storage(_) => "storage",
            Self::Crypto => "crypto",
            Self::Invalid(_) => "invalid_request",
            Self::ConnectionNotAllowed(_) => "connection_not_allowed",
            Self::ScopeNotAllowed { .. } => "scope_not_allowed",
            Self::BroaderThanAllowed(_) => "broader_than_allowed",
        }
    }
}
