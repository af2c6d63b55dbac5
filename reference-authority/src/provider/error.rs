//! Protocol errors as the wire knows them (RFC 6749 section 5.2 and 4.1.2.1,
//! RFC 6750 section 3.1, RFC 8707 section 2, OpenID Connect Core section 3.1.2.6).

use std::borrow::Cow;
use std::fmt;

/// An OAuth 2.0 / OpenID Connect error code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed (RFC 6749 section 5.2): answered with 401.
    InvalidClient,
    /// The grant (code, refresh token, assertion) is invalid, expired, revoked or
    /// was issued to another client.
    InvalidGrant,
    /// The client may not use this grant type or response type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The response type is not supported.
    UnsupportedResponseType,
    /// The requested scope is invalid, unknown or exceeds what was granted.
    InvalidScope,
    /// The requested resource is invalid or not allowed (RFC 8707 section 2).
    InvalidTarget,
    /// The user or the server denied the request.
    AccessDenied,
    /// `prompt=none` but the user must log in (OpenID Connect Core 3.1.2.6).
    LoginRequired,
    /// `prompt=none` but an interaction (such as MFA) is needed.
    InteractionRequired,
    /// `prompt=none` but the user has not consented to what the client asks
    /// (OpenID Connect Core 3.1.2.6).
    ConsentRequired,
    /// The access token is missing, expired, revoked or malformed (RFC 6750 section 3.1): 401.
    InvalidToken,
    /// The token lacks a scope the request needs (RFC 6750 section 3.1): 403.
    InsufficientScope,
    /// The token type cannot be revoked (RFC 7009 section 2.2.1).
    UnsupportedTokenType,
    /// An unexpected failure inside the server: 500.
    ServerError,
    /// A code defined by an extension (CIBA's `authorization_pending`, `slow_down`, ...).
    Extension(Cow<'static, str>),
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Extension(code) => code,
        }
    }

    /// The HTTP status the code is answered with.
    pub fn status(&self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to a client: a code and a human-readable description.
///
/// Descriptions name what was wrong; they never contain a token, a code, a
/// secret or any other credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// The error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body of RFC 6749 section 5.2.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        })
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` with a description.
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// `invalid_grant` with a description.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope` with a description.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// `invalid_target` with a description.
    pub fn invalid_target(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidTarget, description)
    }

    /// `unauthorized_client` with a description.
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    /// `server_error` with a description.
    pub fn server_error(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ServerError, description)
    }
}

/// Errors of the authority's own API (registration, storage, configuration).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The storage backend failed.
    #[error("storage failed: {0}")]
    Storage(#[from] StoreError),
    /// A value given to the authority is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(Cow<'static, str>),
    /// A user or client with this identifier already exists.
    #[error("already registered: {0}")]
    AlreadyExists(String),
    /// No user or client with this identifier exists.
    #[error("not found: {0}")]
    NotFound(String),
    /// Key generation or signing failed.
    #[error("key operation failed: {0}")]
    Key(#[from] agent_auth::jose::KeyError),
}

/// A storage backend failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend reported a failure (message from the backend, no stored values).
    #[error("backend: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("corrupt record in {0}")]
    Corrupt(&'static str),
}

impl From<StoreError> for OAuthError {
    fn from(_: StoreError) -> Self {
        OAuthError::server_error("storage unavailable")
    }
}
