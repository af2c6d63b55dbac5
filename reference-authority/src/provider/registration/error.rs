//! Errors of the registration endpoint (RFC 7591 section 3.2.2, RFC 7592
//! section 2, RFC 6750 section 3.1 for the bearer tokens).

use crate::provider::StoreError;
use std::borrow::Cow;

/// Why a registration (or a read of one) was refused. Descriptions name the
/// metadata field at fault, never a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The authority has no registration endpoint.
    #[error("dynamic client registration is not enabled")]
    Disabled,
    /// The initial access token or registration access token is missing or
    /// wrong (answered 401 with a `Bearer` challenge).
    #[error("invalid_token: {0}")]
    InvalidToken(&'static str),
    /// A redirect URI is refused (`invalid_redirect_uri`).
    #[error("invalid_redirect_uri: {0}")]
    InvalidRedirectUri(Cow<'static, str>),
    /// A metadata value is refused (`invalid_client_metadata`).
    #[error("invalid_client_metadata: {0}")]
    InvalidClientMetadata(Cow<'static, str>),
    /// A software statement was sent; this authority approves none
    /// (`unapproved_software_statement`).
    #[error("unapproved_software_statement: software statements are not accepted")]
    UnapprovedSoftwareStatement,
    /// Storage or randomness failed.
    #[error("server_error: {0}")]
    Server(&'static str),
}

impl RegistrationError {
    /// The error code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            RegistrationError::Disabled => "not_found",
            RegistrationError::InvalidToken(_) => "invalid_token",
            RegistrationError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            RegistrationError::InvalidClientMetadata(_) => "invalid_client_metadata",
            RegistrationError::UnapprovedSoftwareStatement => "unapproved_software_statement",
            RegistrationError::Server(_) => "server_error",
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            RegistrationError::Disabled => 404,
            RegistrationError::InvalidToken(_) => 401,
            RegistrationError::Server(_) => 500,
            _ => 400,
        }
    }

    /// A human-readable description of the error.
    pub fn description(&self) -> Cow<'static, str> {
        match self {
            RegistrationError::InvalidToken(d) | RegistrationError::Server(d) => (*d).into(),
            RegistrationError::InvalidRedirectUri(d)
            | RegistrationError::InvalidClientMetadata(d) => d.clone(),
            other => other.to_string().into(),
        }
    }

    /// The JSON body of RFC 7591 section 3.2.2.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code(),
            "error_description": self.description(),
        })
    }

    pub(super) fn metadata(description: impl Into<Cow<'static, str>>) -> Self {
        RegistrationError::InvalidClientMetadata(description.into())
    }

    pub(super) fn redirect(description: impl Into<Cow<'static, str>>) -> Self {
        RegistrationError::InvalidRedirectUri(description.into())
    }
}

impl From<StoreError> for RegistrationError {
    fn from(_: StoreError) -> Self {
        RegistrationError::Server("storage unavailable")
    }
}
