//! Token exchange across trust domains: the vocabulary of RFC 8693 and of the
//! Identity Assertion JWT Authorization Grant (ID-JAG,
//! draft-ietf-oauth-identity-assertion-authz-grant), and (feature `http`) a
//! client for both, with cached clients that refresh before exchanging again
//! ([`DelegationClient`], [`CrossDomainClient`]). Requests go through the
//! OAuth client core ([`crate::oauth`]): its transport, client authentication
//! and token endpoint.
//!
//! The authority side lives in the `reference-authority` crate
//! (`grants::TokenExchangeGrant` and `grants::JwtBearerGrant`).

#[cfg(feature = "http")]
mod cache;
#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod delegation;
#[cfg(all(feature = "http", feature = "signals"))]
mod signals;
#[cfg(feature = "http")]
mod token_cache;

#[cfg(feature = "http")]
pub use crate::oauth::ClientAuth;
#[cfg(feature = "http")]
pub use cache::{CrossDomainClient, CrossDomainRequest};
#[cfg(feature = "http")]
pub use client::{ExchangeClient, ExchangeError, TokenExchangeRequest, TokenExchangeResponse};
#[cfg(feature = "http")]
pub use delegation::DelegationClient;

/// RFC 8693 section 2.1 `grant_type`.
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

pub use crate::oauth::CLIENT_ASSERTION_JWT;

/// RFC 7523 section 2.1 `grant_type`: a JWT as an authorization grant.
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The ID-JAG grant profile, as listed in `authorization_grant_profiles_supported`.
pub const ID_JAG_GRANT_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// Token type identifiers (RFC 8693 section 3, and the ID-JAG draft).
pub mod token_types {
    /// An OAuth 2.0 access token.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// An OAuth 2.0 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// An OpenID Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// Any JWT.
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
    /// An Identity Assertion JWT Authorization Grant.
    pub const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
}
