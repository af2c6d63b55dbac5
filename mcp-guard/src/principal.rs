//! Who the request is from: the verified facts of its access token.

use crate::verify::Mapping;
use agent_auth::validate::Claims;
use std::sync::Arc;

/// How the token was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// A JWT access token (RFC 9068) checked locally against the issuer's keys.
    Jwt,
    /// An opaque token checked by RFC 7662 introspection.
    Introspection,
}

/// The verified identity behind a request, placed in the request extensions as
/// `Arc<Principal>` by the guard. Holds no token bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The issuer that vouched for the token.
    pub issuer: String,
    /// `sub`: the user, or the client itself for client credentials.
    pub subject: Option<String>,
    /// `client_id`: the client (agent) the token was issued to.
    pub client_id: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The roles or permissions the issuer granted, as the issuer's profile
    /// maps them (RFC 9068 `roles`, Auth0 `permissions`, Keycloak realm and
    /// client roles, Entra ID app roles); empty when the token has none.
    pub roles: Vec<String>,
    /// `aud`.
    pub audience: Vec<String>,
    /// `exp`.
    pub expires_at: Option<i64>,
    /// `iat`.
    pub issued_at: Option<i64>,
    /// `jti`.
    pub token_id: Option<String>,
    /// How the token was checked.
    pub source: TokenSource,
    /// Every claim (for a JWT) or introspection member.
    pub claims: Claims,
}

impl Principal {
    /// Builds a principal from verified claims, mapped as RFC 9068 maps them.
    pub(crate) fn from_claims(issuer: &str, claims: Claims, source: TokenSource) -> Self {
        let mapping = Mapping::rfc9068(&claims);
        Self::from_mapping(issuer, claims, source, mapping)
    }

    /// Builds a principal from verified claims and their profile's mapping.
    pub(crate) fn from_mapping(
        issuer: &str,
        claims: Claims,
        source: TokenSource,
        mapping: Mapping,
    ) -> Self {
        Self {
            issuer: claims.iss.clone().unwrap_or_else(|| issuer.to_owned()),
            subject: mapping.subject,
            client_id: mapping.client_id,
            scopes: mapping.scopes,
            roles: mapping.roles,
            audience: claims.aud.clone(),
            expires_at: claims.exp,
            issued_at: claims.iat,
            token_id: claims.jti.clone(),
            source,
            claims,
        }
    }

    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The scopes of `required` the token lacks.
    pub fn missing<'a>(&self, required: &'a [String]) -> Vec<&'a str> {
        required
            .iter()
            .filter(|s| !self.has_scope(s))
            .map(String::as_str)
            .collect()
    }

    /// Whether the issuer granted `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449
    /// section 6), if it is sender-constrained by DPoP.
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.claims
            .extra
            .get("cnf")
            .and_then(|cnf| cnf.get("jkt"))
            .and_then(serde_json::Value::as_str)
    }

    /// Whether the token carries any confirmation (`cnf`, RFC 7800): it is
    /// sender-constrained and never good as a bearer token.
    pub fn is_sender_constrained(&self) -> bool {
        self.claims.extra.contains_key("cnf")
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.str(name)
    }
}

/// The principal the guard put into a request's extensions. In an rmcp handler:
/// `Extension(parts): Extension<http::request::Parts>` then
/// `mcp_guard::principal(&parts.extensions)`.
pub fn principal(extensions: &axum::http::Extensions) -> Option<&Principal> {
    extensions.get::<Arc<Principal>>().map(Arc::as_ref)
}

/// The same principal, shared: for handlers that keep it beyond the request's
/// borrow without copying its claims.
pub fn shared_principal(extensions: &axum::http::Extensions) -> Option<Arc<Principal>> {
    extensions.get::<Arc<Principal>>().cloned()
}
