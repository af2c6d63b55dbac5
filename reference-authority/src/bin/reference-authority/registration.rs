//! The `[registration]` table: dynamic client registration (RFC 7591).

use reference_authority::RegistrationPolicy;
use serde::Deserialize;

/// The `[registration]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Registration {
    /// Absent: anyone may register.
    initial_access_token: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    resources: Vec<String>,
    grant_types: Option<Vec<String>>,
    /// Seconds until an issued client secret expires (default: never).
    secret_ttl: Option<i64>,
}

/// The registration policy the table describes.
pub(crate) fn policy(r: Registration) -> RegistrationPolicy {
    let mut policy = match &r.initial_access_token {
        Some(token) => RegistrationPolicy::with_initial_access_token(token),
        None => RegistrationPolicy::open(),
    };
    if let Some(s) = r.scopes {
        policy = policy.scopes(s);
    }
    if let Some(g) = r.grant_types {
        policy = policy.grant_types(g);
    }
    if let Some(ttl) = r.secret_ttl {
        policy = policy.secret_ttl(ttl);
    }
    policy.resources(r.resources)
}
