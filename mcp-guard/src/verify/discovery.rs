//! A trusted issuer's keys and endpoints from its metadata, on the OAuth core
//! of `agent-auth`: [`AuthorizationServerMetadata`] (RFC 8414 and OpenID
//! Connect Discovery, with the exact `issuer` check) and
//! [`RemoteJwks`], both sending through one injectable [`HttpClient`].

use super::TrustedIssuer;
use agent_auth::clock::system_clock;
use agent_auth::jwks::{RemoteJwks, RemoteJwksConfig};
use agent_auth::oauth::HttpClient;
pub use agent_auth::oauth::{AuthorizationServerMetadata, DiscoveryError};

/// Fetches the metadata of `issuer` over the default [`HttpClient`]: RFC 8414
/// section 3.1 (well-known inserted before the path), then OpenID Connect
/// Discovery; its `issuer` must equal `issuer` (RFC 8414 section 3.3).
pub async fn discover(issuer: &str) -> Result<AuthorizationServerMetadata, DiscoveryError> {
    let http = HttpClient::new()?;
    AuthorizationServerMetadata::discover(&http, issuer).await
}

impl TrustedIssuer {
    /// Trusts `issuer` with the JWK Set its metadata names (`jwks_uri`),
    /// discovering the metadata and then fetching the keys through `http`.
    pub async fn discover(http: HttpClient, issuer: &str) -> Result<Self, DiscoveryError> {
        let metadata = AuthorizationServerMetadata::discover(&http, issuer).await?;
        let jwks_uri = metadata.jwks_uri.ok_or(DiscoveryError::InvalidDocument(
            "authorization server metadata: no jwks_uri",
        ))?;
        let keys =
            RemoteJwks::with_http(&jwks_uri, RemoteJwksConfig::default(), system_clock(), http)
                .map_err(|_| DiscoveryError::InsecureUrl)?;
        Ok(Self::new(metadata.issuer, keys))
    }
}
