//! RFC 9728 OAuth 2.0 Protected Resource Metadata.

use serde::Serialize;

/// The well-known path segment (RFC 9728 section 3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document (RFC 9728 section 2).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ResourceMetadata {
    /// `resource`: the canonical resource URI; clients compare it with the URL
    /// they called (section 3.3).
    pub resource: String,
    /// `authorization_servers`: issuers whose tokens are accepted.
    pub authorization_servers: Vec<String>,
    /// `scopes_supported`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// `bearer_methods_supported`: `["header"]` only (RFC 6750 section 2.1).
    pub bearer_methods_supported: Vec<String>,
    /// `resource_name`, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// `resource_documentation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
    /// `dpop_signing_alg_values_supported` (section 2): the DPoP proof
    /// algorithms accepted, when DPoP is on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// `dpop_bound_access_tokens_required` (section 2), when DPoP is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens_required: Option<bool>,
}

/// The paths under which the document is served for a resource whose path is
/// `resource_path`: the path-inserted URL (section 3.1) and the root one.
pub fn metadata_paths(resource_path: &str) -> Vec<String> {
    let mut v = vec![format!("{WELL_KNOWN}{resource_path}")];
    if !resource_path.is_empty() {
        v.push(WELL_KNOWN.to_owned());
    }
    v
}
