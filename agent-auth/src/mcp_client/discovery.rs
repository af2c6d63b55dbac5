//! Metadata discovery for an MCP client: RFC 9728 protected resource metadata
//! (the challenge's `resource_metadata`, then the path-inserted well-known URL,
//! then the root one) and authorization server metadata (RFC 8414 and OpenID
//! Connect Discovery, path-inserted then path-appended), each checked against
//! the identifier it was looked up for. Fetching, the metadata struct and the
//! issuer check are the OAuth core's ([`crate::oauth`]).

use crate::oauth::metadata::{first_document, path_inserted};
use crate::oauth::{
    AuthorizationServerMetadata, BearerChallenge, DiscoveryError, HttpClient, check_url,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// RFC 9728 section 2: what a protected resource says about itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    /// The resource identifier.
    pub resource: String,
    /// Issuers of the authorization servers it trusts.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// Scopes it uses.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// How it accepts bearer tokens.
    #[serde(default)]
    pub bearer_methods_supported: Vec<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn checked_url(text: &str) -> Result<url::Url, DiscoveryError> {
    check_url(text).map_err(|_| DiscoveryError::InsecureUrl)
}

/// RFC 9728 locations of a resource's metadata, in order: path-inserted, then root.
pub(crate) fn resource_metadata_urls(resource: &str) -> Result<Vec<String>, DiscoveryError> {
    let url = checked_url(resource)?;
    let mut out = vec![path_inserted(&url, "oauth-protected-resource")];
    let mut root = url.clone();
    root.set_path("/");
    let root = path_inserted(&root, "oauth-protected-resource");
    if !out.contains(&root) {
        out.push(root);
    }
    Ok(out)
}

/// Whether the metadata's `resource` identifies `requested`: the same URL, or
/// (for metadata found at the root location) a URL of the same origin whose
/// path `requested` lies under, on a segment boundary (RFC 9728 section 3.3).
fn covers(identifier: &str, requested: &str) -> bool {
    if identifier == requested {
        return true;
    }
    let (Ok(id), Ok(req)) = (url::Url::parse(identifier), url::Url::parse(requested)) else {
        return false;
    };
    if id.origin() != req.origin() || id.query().is_some() || id.fragment().is_some() {
        return false;
    }
    let base = id.path().trim_end_matches('/');
    let path = req.path();
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Fetches and checks discovery documents.
#[derive(Debug, Clone)]
pub struct McpDiscovery {
    http: HttpClient,
}

impl McpDiscovery {
    /// A discovery client over the default [`HttpClient`] (no redirects
    /// followed, 10-second timeout).
    pub fn new() -> Result<Self, DiscoveryError> {
        Ok(Self::with_http(HttpClient::new()?))
    }

    /// A discovery client sending through `http`.
    pub fn with_http(http: HttpClient) -> Self {
        Self { http }
    }

    /// The protected resource metadata of `resource` (the MCP server URL), from
    /// the challenge's `resource_metadata` when given, else the well-known
    /// locations. Its `resource` must be `resource` (RFC 9728 section 3.3).
    pub async fn protected_resource(
        &self,
        resource: &str,
        challenge: Option<&BearerChallenge>,
    ) -> Result<ProtectedResourceMetadata, DiscoveryError> {
        const WHAT: &str = "protected resource metadata";
        let candidates = match challenge.and_then(|c| c.resource_metadata.as_deref()) {
            Some(url) => vec![checked_url(url)?.to_string()],
            None => resource_metadata_urls(resource)?,
        };
        let document = first_document(&self.http, &candidates, WHAT).await?;
        let doc: ProtectedResourceMetadata =
            serde_json::from_value(document).map_err(|_| DiscoveryError::InvalidDocument(WHAT))?;
        if !covers(&doc.resource, resource) {
            return Err(DiscoveryError::ResourceMismatch);
        }
        Ok(doc)
    }

    /// The metadata of the authorization server `issuer`; its `issuer` must be
    /// identical (RFC 8414 section 3.3).
    pub async fn authorization_server(
        &self,
        issuer: &str,
    ) -> Result<AuthorizationServerMetadata, DiscoveryError> {
        AuthorizationServerMetadata::discover(&self.http, issuer).await
    }

    /// 2025-03-26 MCP compatibility, for a server without protected resource
    /// metadata: RFC 8414 metadata at the server's origin. The issuer is not
    /// known beforehand, so instead of equality its origin must be the
    /// server's (the server's origin is the trust anchor of that revision).
    pub async fn legacy_authorization_server(
        &self,
        origin: &str,
    ) -> Result<AuthorizationServerMetadata, DiscoveryError> {
        const WHAT: &str = "authorization server metadata";
        let base = checked_url(origin)?;
        let candidates = [path_inserted(&base, "oauth-authorization-server")];
        let document = first_document(&self.http, &candidates, WHAT).await?;
        let doc: AuthorizationServerMetadata =
            serde_json::from_value(document).map_err(|_| DiscoveryError::InvalidDocument(WHAT))?;
        let same_origin = url::Url::parse(&doc.issuer).is_ok_and(|i| i.origin() == base.origin());
        if !same_origin {
            return Err(DiscoveryError::IssuerMismatch);
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_locations_follow_the_specifications() {
        assert_eq!(
            resource_metadata_urls("https://mcp.example/tools/mcp").unwrap(),
            [
                "https://mcp.example/.well-known/oauth-protected-resource/tools/mcp",
                "https://mcp.example/.well-known/oauth-protected-resource",
            ]
        );
        assert_eq!(
            resource_metadata_urls("https://mcp.example").unwrap(),
            ["https://mcp.example/.well-known/oauth-protected-resource"]
        );
        assert_eq!(
            resource_metadata_urls("http://mcp.example/mcp"),
            Err(DiscoveryError::InsecureUrl)
        );
        assert!(resource_metadata_urls("http://127.0.0.1:8080/mcp").is_ok());
    }

    #[test]
    fn resource_identifier_must_cover_the_requested_url() {
        assert!(covers("https://mcp.example/mcp", "https://mcp.example/mcp"));
        assert!(covers("https://mcp.example", "https://mcp.example/mcp"));
        assert!(covers("https://mcp.example/", "https://mcp.example/mcp"));
        assert!(covers(
            "https://mcp.example/tools",
            "https://mcp.example/tools/mcp"
        ));
        assert!(!covers("https://mcp.example/mc", "https://mcp.example/mcp"));
        assert!(!covers(
            "https://mcp.example/mcp",
            "https://mcp.example/other"
        ));
        assert!(!covers("https://other.example", "https://mcp.example/mcp"));
        assert!(!covers("http://mcp.example", "https://mcp.example/mcp"));
        assert!(!covers(
            "https://mcp.example:8443",
            "https://mcp.example/mcp"
        ));
    }
}
