//! Authorization server metadata (RFC 8414, falling back to OpenID Connect
//! Discovery), to find a trusted issuer's JWKS and introspection endpoint.

use serde::Deserialize;

/// The members of RFC 8414 metadata the guard uses.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AuthorizationServerMetadata {
    /// `issuer`: must equal the issuer asked for (RFC 8414 section 3.3).
    pub issuer: String,
    /// `jwks_uri`.
    pub jwks_uri: Option<String>,
    /// `introspection_endpoint`.
    pub introspection_endpoint: Option<String>,
    /// `scopes_supported`.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// Why metadata could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// No metadata document answered.
    #[error("no authorization server metadata found")]
    NotFound,
    /// The document's `issuer` differs from the one asked for.
    #[error("metadata issuer mismatch")]
    IssuerMismatch,
    /// The issuer is not an https (or loopback http) URL.
    #[error("invalid issuer URL")]
    InvalidIssuer,
}

/// Fetches metadata for `issuer`: RFC 8414 section 3.1 (well-known inserted
/// before the path), then OpenID Connect Discovery (appended).
pub async fn discover(issuer: &str) -> Result<AuthorizationServerMetadata, DiscoveryError> {
    let url = url::Url::parse(issuer).map_err(|_| DiscoveryError::InvalidIssuer)?;
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let candidates = [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}{path}/.well-known/openid-configuration"),
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| DiscoveryError::NotFound)?;
    for candidate in candidates {
        let Ok(response) = client.get(&candidate).send().await else {
            continue;
        };
        if !response.status().is_success() {
            continue;
        }
        let Ok(meta) = response.json::<AuthorizationServerMetadata>().await else {
            continue;
        };
        if meta.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch);
        }
        return Ok(meta);
    }
    Err(DiscoveryError::NotFound)
}
