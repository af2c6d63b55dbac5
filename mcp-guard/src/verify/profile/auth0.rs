//! Auth0's access token profiles ("Access Token Profiles", Auth0 docs,
//! auth0.com/docs/secure/tokens/access-tokens/access-token-profiles): the
//! default Auth0 profile names the client in `azp`; the RFC 9068 profile in
//! `client_id`. With RBAC and "Add Permissions in the Access Token" (the
//! `_authz` dialects) the API permissions come in `permissions`.

use super::mapping::{self, Mapping};
use agent_auth::validate::Claims;

/// An Auth0 ID token's `aud` is the application's client ID, never an API
/// identifier, so the audience check already keeps it out; on top, the access
/// token names its client in `azp`, and only ID tokens carry `nonce`.
pub(super) fn access_token_rule(claims: &Claims) -> Result<(), &'static str> {
    if claims.str("azp").is_none() {
        return Err("an Auth0 access token names its client in `azp`");
    }
    if claims.has("nonce") {
        return Err("`nonce` marks an ID token");
    }
    Ok(())
}

/// `sub` (a user id, or `<client>@clients` for client credentials), `azp`,
/// `scope`, and `permissions` as roles.
pub(super) fn map(claims: &Claims) -> Mapping {
    Mapping {
        subject: claims.sub.clone(),
        client_id: mapping::string(claims, "azp"),
        scopes: mapping::space_separated(claims, "scope"),
        roles: mapping::strings(claims, "permissions"),
    }
}

/// The RFC 9068 mapping, with `permissions` as roles.
pub(super) fn map_rfc9068(claims: &Claims) -> Mapping {
    Mapping {
        roles: mapping::strings(claims, "permissions"),
        ..Mapping::rfc9068(claims)
    }
}
