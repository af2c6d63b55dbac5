//! Metadata discovery for an MCP client: RFC 9728 protected resource metadata
//! (the challenge's `resource_metadata`, then the path-inserted well-known URL,
//! then the root one) and authorization server metadata (RFC 8414 and OpenID
//! Connect Discovery, path-inserted then path-appended), each checked against
//! the identifier it was looked up for.

use crate::oauth::BearerChallenge;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Why discovery failed. Messages name URLs and checks, never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A URL is not https (nor http on loopback) or does not parse.
    #[error("URL must be https (http only on loopback)")]
    InsecureUrl,
    /// A request failed.
    #[error("metadata request failed: {0}")]
    Transport(String),
    /// No candidate location served a document.
    #[error("no {0} found at any well-known location")]
    NotFound(&'static str),
    /// A document is not valid metadata.
    #[error("invalid {0}")]
    InvalidDocument(&'static str),
    /// RFC 9728 section 3.3: `resource` is not the resource asked about.
    #[error("protected resource metadata names another resource")]
    ResourceMismatch,
    /// RFC 8414 section 3.3: `issuer` is not the issuer asked about.
    #[error("authorization server metadata names another issuer")]
    IssuerMismatch,
}

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

/// RFC 8414 section 2 metadata (the members an MCP client uses).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// Token endpoint.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// RFC 7591 registration endpoint.
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    /// JWK Set.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// PKCE methods (an MCP client requires `S256`).
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Grant types.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// Token endpoint client authentication methods.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// The default endpoints of the 2025-03-26 MCP authorization rules for a
    /// server without metadata: `/authorize`, `/token`, `/register` at its origin.
    pub fn defaults_for(origin: &str) -> Self {
        let origin = origin.trim_end_matches('/');
        Self {
            issuer: origin.to_owned(),
            authorization_endpoint: Some(format!("{origin}/authorize")),
            token_endpoint: Some(format!("{origin}/token")),
            registration_endpoint: Some(format!("{origin}/register")),
            jwks_uri: None,
            code_challenge_methods_supported: vec!["S256".into()],
            grant_types_supported: vec!["authorization_code".into(), "refresh_token".into()],
            token_endpoint_auth_methods_supported: vec!["none".into()],
            extra: Map::new(),
        }
    }
}

const MAX_DOCUMENT: usize = 64 * 1024;

pub(crate) fn checked_url(text: &str) -> Result<url::Url, DiscoveryError> {
    let url = url::Url::parse(text).map_err(|_| DiscoveryError::InsecureUrl)?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(url)
    } else {
        Err(DiscoveryError::InsecureUrl)
    }
}

/// `well_known` inserted between the host and the path of `base` (RFC 8414
/// section 3.1, RFC 9728 section 3.1); the root location when the path is empty.
fn path_inserted(base: &url::Url, well_known: &str) -> String {
    let path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.set_path(&format!("/.well-known/{well_known}{path}"));
    url.to_string()
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

/// Authorization server metadata locations in the MCP specification's order:
/// with a path, RFC 8414 path-inserted, OpenID path-inserted, OpenID
/// path-appended; without one, RFC 8414 then OpenID at the root.
pub(crate) fn authorization_server_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    let url = checked_url(issuer)?;
    let has_path = !url.path().trim_end_matches('/').is_empty();
    let mut out = vec![
        path_inserted(&url, "oauth-authorization-server"),
        path_inserted(&url, "openid-configuration"),
    ];
    if has_path {
        out.push(format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ));
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
    http: reqwest::Client,
}

impl McpDiscovery {
    /// A discovery client (no redirects followed, 10-second timeout).
    pub fn new() -> Result<Self, DiscoveryError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| DiscoveryError::Transport(e.to_string()))?;
        Ok(Self { http })
    }

    /// The protected resource metadata of `resource` (the MCP server URL), from
    /// the challenge's `resource_metadata` when given, else the well-known
    /// locations. Its `resource` must be `resource` (RFC 9728 section 3.3).
    pub async fn protected_resource(
        &self,
        resource: &str,
        challenge: Option<&BearerChallenge>,
    ) -> Result<ProtectedResourceMetadata, DiscoveryError> {
        let candidates = match challenge.and_then(|c| c.resource_metadata.as_deref()) {
            Some(url) => vec![checked_url(url)?.to_string()],
            None => resource_metadata_urls(resource)?,
        };
        let doc: ProtectedResourceMetadata = self
            .first_found(&candidates, "protected resource metadata")
            .await?;
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
        let candidates = authorization_server_urls(issuer)?;
        let doc: AuthorizationServerMetadata = self
            .first_found(&candidates, "authorization server metadata")
            .await?;
        if doc.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch);
        }
        Ok(doc)
    }

    /// 2025-03-26 MCP compatibility, for a server without protected resource
    /// metadata: RFC 8414 metadata at the server's origin. The issuer is not
    /// known beforehand, so instead of equality its origin must be the
    /// server's (the server's origin is the trust anchor of that revision).
    pub async fn legacy_authorization_server(
        &self,
        origin: &str,
    ) -> Result<AuthorizationServerMetadata, DiscoveryError> {
        let base = checked_url(origin)?;
        let candidates = [path_inserted(&base, "oauth-authorization-server")];
        let doc: AuthorizationServerMetadata = self
            .first_found(&candidates, "authorization server metadata")
            .await?;
        let same_origin = url::Url::parse(&doc.issuer).is_ok_and(|i| i.origin() == base.origin());
        if !same_origin {
            return Err(DiscoveryError::IssuerMismatch);
        }
        Ok(doc)
    }

    async fn first_found<T: serde::de::DeserializeOwned>(
        &self,
        candidates: &[String],
        what: &'static str,
    ) -> Result<T, DiscoveryError> {
        for url in candidates {
            let response = self
                .http
                .get(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| DiscoveryError::Transport(e.to_string()))?;
            if !response.status().is_success() {
                continue;
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| DiscoveryError::Transport(e.to_string()))?;
            if body.len() > MAX_DOCUMENT {
                return Err(DiscoveryError::InvalidDocument(what));
            }
            return serde_json::from_slice(&body)
                .map_err(|_| DiscoveryError::InvalidDocument(what));
        }
        Err(DiscoveryError::NotFound(what))
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
            authorization_server_urls("https://as.example/tenant1").unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant1",
                "https://as.example/.well-known/openid-configuration/tenant1",
                "https://as.example/tenant1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            authorization_server_urls("https://as.example").unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration",
            ]
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
