//! Why a login, refresh or token request of the relying party failed.

/// A login client error. Messages name the failed check; they never hold tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The provider could not be reached or answered garbage.
    #[error("transport: {0}")]
    Transport(String),
    /// The discovery document is invalid, or its `issuer` is not the one
    /// configured (OpenID Connect Discovery section 4.3).
    #[error("discovery: {0}")]
    Discovery(&'static str),
    /// The provider answered with an OAuth error.
    #[error("provider error {code}: {description}")]
    Provider {
        /// The `error` code.
        code: String,
        /// The `error_description`, if any.
        description: String,
    },
    /// The authorization response is not for this request (`state`), or its `iss`
    /// is wrong (RFC 9207 section 2.4).
    #[error("authorization response refused: {0}")]
    Response(&'static str),
    /// The ID token failed a check of OpenID Connect Core 3.1.3.7.
    #[error("ID token refused: {0}")]
    IdToken(String),
    /// The UserInfo response failed a check (OpenID Connect Core 5.3.2: `sub` must match).
    #[error("userinfo refused: {0}")]
    UserInfo(&'static str),
    /// The session has no refresh token, or it was revoked.
    #[error("session cannot be refreshed: {0}")]
    Session(&'static str),
    /// Configuration problem (bad URL, missing key).
    #[error("configuration: {0}")]
    Config(&'static str),
    /// An HTTP request failed (connect, DNS, TLS, timeout, redirect, body
    /// too large).
    #[error(transparent)]
    Http(crate::oauth::HttpError),
}

impl From<crate::oauth::HttpError> for ClientError {
    fn from(e: crate::oauth::HttpError) -> Self {
        match e {
            crate::oauth::HttpError::Url(_) => {
                Self::Config("provider URLs must be https (http only on loopback)")
            }
            other => Self::Http(other),
        }
    }
}
