//! Provider metadata (OpenID Connect Discovery 1.0 section 3, RFC 8414 section 2).

use serde::Deserialize;

/// The members of the discovery document the login client uses.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// JWK Set URL.
    pub jwks_uri: String,
    /// UserInfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// RFC 7009 revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// RFC 7662 introspection endpoint.
    pub introspection_endpoint: Option<String>,
    /// RP-initiated logout endpoint.
    pub end_session_endpoint: Option<String>,
    /// RFC 9207: the provider sends `iss` in authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// PKCE methods.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}
