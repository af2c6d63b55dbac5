//! Errors of the transmitter's management and poll APIs, with the HTTP status
//! SSF 1.0 section 8.1 gives each.

use crate::StoreError;

/// Why a management or poll request was refused. A refused request changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SsfError {
    /// No bearer token, or one this authority does not accept: 401.
    #[error("authorization failed or is missing")]
    Unauthorized,
    /// The token lacks the `ssf` scope: 403.
    #[error("the token lacks the ssf scope")]
    Forbidden,
    /// No stream with this id for this receiver: 404.
    #[error("no such stream")]
    NotFound,
    /// The body cannot be parsed or is otherwise invalid: 400.
    #[error("invalid request: {0}")]
    BadRequest(&'static str),
    /// Verification asked too often (`min_verification_interval`): 429.
    #[error("too many requests")]
    TooManyRequests,
    /// Storage or signing failed: 500.
    #[error("transmitter unavailable")]
    Unavailable,
}

impl SsfError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            SsfError::Unauthorized => 401,
            SsfError::Forbidden => 403,
            SsfError::NotFound => 404,
            SsfError::BadRequest(_) => 400,
            SsfError::TooManyRequests => 429,
            SsfError::Unavailable => 500,
        }
    }

    /// The RFC 8935 / RFC 8936 style error code.
    pub fn code(&self) -> &'static str {
        match self {
            SsfError::Unauthorized => "authentication_failed",
            SsfError::Forbidden => "access_denied",
            SsfError::NotFound => "not_found",
            SsfError::BadRequest(_) => "invalid_request",
            SsfError::TooManyRequests => "too_many_requests",
            SsfError::Unavailable => "server_error",
        }
    }
}

impl From<StoreError> for SsfError {
    fn from(_: StoreError) -> Self {
        SsfError::Unavailable
    }
}
