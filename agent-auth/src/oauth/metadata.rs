//! Authorization server metadata: one struct for RFC 8414 and OpenID Connect
//! Discovery 1.0, its well-known locations and the issuer check.

use super::http::HttpClient;
use super::transport::{HttpError, HttpRequest};
use super::url_policy::check_url;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Why discovery failed. Messages name the failed check, never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A URL is not https (nor http on loopback) or does not parse.
    #[error("URL must be https (http only on loopback)")]
    InsecureUrl,
    /// A request failed.
    #[error("metadata request failed: {0}")]
    Transport(#[source] HttpError),
    /// No candidate location served a document.
    #[error("no {0} found at any well-known location")]
    NotFound(&'static str),
    /// A document is not valid metadata.
    #[error("invalid {0}")]
    InvalidDocument(&'static str),
    /// RFC 9728 section 3.3: `resource` is not the resource asked about.
    #[error("protected resource metadata names another resource")]
    ResourceMismatch,
    /// RFC 8414 section 3.3 (OpenID Connect Discovery section 4.3): `issuer`
    /// is not the issuer asked about.
    #[error("authorization server metadata names another issuer")]
    IssuerMismatch,
}

impl From<HttpError> for DiscoveryError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Url(_) => Self::InsecureUrl,
            other => Self::Transport(other),
        }
    }
}

/// RFC 8414 section 2 / OpenID Connect Discovery 1.0 section 3 metadata.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    /// JWK Set URL.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// RFC 7591 registration endpoint.
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    /// OpenID Connect UserInfo endpoint.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RFC 7009 revocation endpoint.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// RFC 7662 introspection endpoint.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    /// OpenID Connect RP-initiated logout endpoint.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// CIBA backchannel authentication endpoint.
    #[serde(default)]
    pub backchannel_authentication_endpoint: Option<String>,
    /// RFC 9207: the server sends `iss` in authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// PKCE methods (RFC 7636).
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Grant types.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// Token endpoint client authentication methods.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Scopes.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Largest metadata document read.
const MAX_DOCUMENT: usize = 64 * 1024;

impl AuthorizationServerMetadata {
    /// Reads a metadata document and checks that its `issuer` is exactly
    /// `issuer`: RFC 8414 section 3.3 and OpenID Connect Discovery section
    /// 4.3 require identical values, which stops a server from speaking for
    /// another issuer.
    pub fn from_json(document: Value, issuer: &str) -> Result<Self, DiscoveryError> {
        let metadata: Self = serde_json::from_value(document)
            .map_err(|_| DiscoveryError::InvalidDocument("authorization server metadata"))?;
        if metadata.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch);
        }
        Ok(metadata)
    }

    /// Fetches the metadata of `issuer` from the first of
    /// [`metadata_urls`] that serves one, and checks its `issuer`.
    pub async fn discover(http: &HttpClient, issuer: &str) -> Result<Self, DiscoveryError> {
        let document = first_document(
            http,
            &metadata_urls(issuer)?,
            "authorization server metadata",
        )
        .await?;
        Self::from_json(document, issuer)
    }

    /// The default endpoints of the 2025-03-26 MCP authorization rules for a
    /// server without metadata: `/authorize`, `/token`, `/register` at its origin.
    pub fn defaults_for(origin: &str) -> Self {
        let origin = origin.trim_end_matches('/');
        Self {
            issuer: origin.to_owned(),
            authorization_endpoint: Some(format!("{origin}/authorize")),
            token_endpoint: Some(format!("{origin}/token")),
            jwks_uri: None,
            registration_endpoint: Some(format!("{origin}/register")),
            userinfo_endpoint: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            end_session_endpoint: None,
            backchannel_authentication_endpoint: None,
            authorization_response_iss_parameter_supported: false,
            code_challenge_methods_supported: vec!["S256".into()],
            grant_types_supported: vec!["authorization_code".into(), "refresh_token".into()],
            token_endpoint_auth_methods_supported: vec!["none".into()],
            scopes_supported: Vec::new(),
            extra: Map::new(),
        }
    }
}

/// `well_known` inserted between the host and the path of `base` (RFC 8414
/// section 3.1, RFC 9728 section 3.1); the root location when the path is empty.
pub(crate) fn path_inserted(base: &url::Url, well_known: &str) -> String {
    let path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.set_path(&format!("/.well-known/{well_known}{path}"));
    url.to_string()
}

/// Where the metadata of `issuer` may be, in the order of the MCP
/// authorization specification: with a path, RFC 8414 path-inserted, OpenID
/// path-inserted, OpenID path-appended (Discovery section 4); without one,
/// RFC 8414 then OpenID at the root.
pub fn metadata_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    let url = check_url(issuer).map_err(|_| DiscoveryError::InsecureUrl)?;
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

/// The first JSON document served at `candidates`: a location answering
/// with an error status or a redirect is skipped; a transport failure ends
/// the search.
pub(crate) async fn first_document(
    http: &HttpClient,
    candidates: &[String],
    what: &'static str,
) -> Result<Value, DiscoveryError> {
    for url in candidates {
        let request = HttpRequest::get(url, "application/json")?.limit_body(MAX_DOCUMENT);
        match http.send_ok(request).await {
            Ok(response) => {
                return serde_json::from_slice(response.body())
                    .map_err(|_| DiscoveryError::InvalidDocument(what));
            }
            Err(HttpError::Status { .. } | HttpError::RedirectRefused { .. }) => {}
            Err(HttpError::BodyTooLarge { .. }) => {
                return Err(DiscoveryError::InvalidDocument(what));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DiscoveryError::NotFound(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::HttpResponse;
    use serde_json::json;

    #[test]
    fn well_known_locations_follow_the_specifications() {
        assert_eq!(
            metadata_urls("https://as.example/tenant1").unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant1",
                "https://as.example/.well-known/openid-configuration/tenant1",
                "https://as.example/tenant1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://as.example").unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("http://as.example"),
            Err(DiscoveryError::InsecureUrl)
        );
    }

    #[test]
    fn metadata_naming_another_issuer_is_refused() {
        let doc =
            json!({"issuer": "https://evil.example", "token_endpoint": "https://evil.example/t"});
        assert_eq!(
            AuthorizationServerMetadata::from_json(doc, "https://as.example"),
            Err(DiscoveryError::IssuerMismatch)
        );
        // Exact comparison: a trailing slash is another issuer.
        let doc = json!({"issuer": "https://as.example/"});
        assert_eq!(
            AuthorizationServerMetadata::from_json(doc, "https://as.example"),
            Err(DiscoveryError::IssuerMismatch)
        );
        assert_eq!(
            AuthorizationServerMetadata::from_json(json!({"issuer": 5}), "https://as.example"),
            Err(DiscoveryError::InvalidDocument(
                "authorization server metadata"
            ))
        );
    }

    #[tokio::test]
    async fn discovery_skips_missing_locations_and_checks_the_issuer() {
        let http = HttpClient::with_transport(|req: HttpRequest| async move {
            Ok(if req.url().path() == "/.well-known/openid-configuration" {
                HttpResponse::json(
                    200,
                    &json!({
                        "issuer": "https://as.example",
                        "token_endpoint": "https://as.example/token",
                        "authorization_response_iss_parameter_supported": true,
                        "client_id_metadata_document_supported": true,
                    }),
                )
            } else {
                HttpResponse::new(404)
            })
        });
        let m = AuthorizationServerMetadata::discover(&http, "https://as.example")
            .await
            .unwrap();
        assert_eq!(
            m.token_endpoint.as_deref(),
            Some("https://as.example/token")
        );
        assert!(m.authorization_response_iss_parameter_supported);
        assert_eq!(
            m.extra.get("client_id_metadata_document_supported"),
            Some(&json!(true))
        );
        assert_eq!(
            AuthorizationServerMetadata::discover(&http, "https://other.example").await,
            Err(DiscoveryError::IssuerMismatch)
        );
    }
}
