//! Keycloak access tokens (Keycloak Server Administration Guide, "Audience
//! support" and the role mappers of the `roles` client scope): `typ` claim
//! `Bearer`, client in `azp`, `scope`, `realm_access.roles`,
//! `resource_access.<client>.roles`; `aud` holds `account` and the audiences
//! added by audience mappers.

use super::mapping::{self, Mapping};
use agent_auth::validate::Claims;

/// Keycloak writes the token type into the `typ` claim: `Bearer` for access
/// tokens, `ID` for ID tokens, `Refresh` and `Logout` for the others.
pub(super) fn access_token_rule(claims: &Claims) -> Result<(), &'static str> {
    match claims.str("typ") {
        Some("Bearer") => Ok(()),
        Some("ID") => Err("the `typ` claim says ID token"),
        _ => Err("a Keycloak access token has the `typ` claim `Bearer`"),
    }
}

/// `sub`, `azp`, `scope`, realm roles and the named client's roles.
pub(super) fn map(claims: &Claims, client_roles: Option<&str>) -> Mapping {
    let mut roles = claims
        .extra
        .get("realm_access")
        .and_then(|r| r.get("roles"))
        .map(mapping::string_array)
        .unwrap_or_default();
    if let Some(client) = client_roles
        && let Some(own) = claims
            .extra
            .get("resource_access")
            .and_then(|r| r.get(client))
            .and_then(|c| c.get("roles"))
    {
        for role in mapping::string_array(own) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    Mapping {
        subject: claims.sub.clone(),
        client_id: mapping::string(claims, "azp"),
        scopes: mapping::space_separated(claims, "scope"),
        roles,
    }
}
