//! Why a URL client id was refused. Messages name the rule, never the
//! document's content.

/// A refused client ID metadata document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CimdError {
    /// The client id is not an acceptable URL.
    #[error("invalid client id URL: {0}")]
    InvalidUrl(&'static str),
    /// The `jwks_uri` of the document is not an acceptable URL.
    #[error("invalid jwks_uri: {0}")]
    InvalidJwksUri(&'static str),
    /// The host (of the client id or its `jwks_uri`) resolves to an address
    /// the policy refuses.
    #[error("the host is on a private, loopback or link-local address")]
    AddressRefused,
    /// The document (or its `jwks_uri`) could not be fetched.
    #[error("fetching the client metadata document failed: {0}")]
    Fetch(String),
    /// The document (or its JWK Set) exceeds the size limit.
    #[error("the client metadata document is too large")]
    TooLarge,
    /// The document breaks a rule.
    #[error("invalid client metadata document: {0}")]
    InvalidDocument(&'static str),
}
