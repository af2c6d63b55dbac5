//! What a profile takes from verified claims for the principal.

use agent_auth::validate::Claims;
use serde_json::Value;

/// Subject, client, scopes and roles of one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub(crate) subject: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
}

impl Mapping {
    /// RFC 9068 sections 2.2 and 2.2.3.1: `sub`, `client_id`, `scope`, `roles`.
    pub(crate) fn rfc9068(claims: &Claims) -> Self {
        Self {
            subject: claims.sub.clone(),
            client_id: string(claims, "client_id"),
            scopes: space_separated(claims, "scope"),
            roles: strings(claims, "roles"),
        }
    }
}

/// A string claim.
pub(crate) fn string(claims: &Claims, name: &str) -> Option<String> {
    claims.str(name).map(str::to_owned)
}

/// A space-separated string claim, split (RFC 6749 section 3.3 scope syntax).
pub(crate) fn space_separated(claims: &Claims, name: &str) -> Vec<String> {
    claims
        .str(name)
        .map(|s| {
            s.split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// An array-of-strings claim; other members of the array are skipped.
pub(crate) fn strings(claims: &Claims, name: &str) -> Vec<String> {
    claims.extra.get(name).map(string_array).unwrap_or_default()
}

/// The strings of a JSON array value.
pub(crate) fn string_array(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
