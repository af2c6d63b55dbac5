//! Okta access tokens ("OpenID Connect & OAuth 2.0 API", Okta developer docs,
//! developer.okta.com/docs/reference/api/oidc, access token payload): `ver`,
//! `jti`, `iss`, `aud`, `sub`, `iat`, `exp`, `cid` (the client), `uid` (the
//! user's Okta id), `scp` (an array of scopes).

use super::mapping::{self, Mapping};
use agent_auth::validate::Claims;

/// Okta's ID tokens carry neither `cid` nor `scp` (their client is `aud`), and
/// only they carry `nonce`.
pub(super) fn access_token_rule(claims: &Claims) -> Result<(), &'static str> {
    if claims.str("cid").is_none() {
        return Err("an Okta access token names its client in `cid`");
    }
    if !claims
        .extra
        .get("scp")
        .is_some_and(serde_json::Value::is_array)
    {
        return Err("an Okta access token lists its scopes in the `scp` array");
    }
    if claims.has("nonce") {
        return Err("`nonce` marks an ID token");
    }
    Ok(())
}

/// `sub` (the user's login, or the client id for client credentials), `cid`,
/// `scp`; Okta has no roles claim by default (groups need a custom claim).
pub(super) fn map(claims: &Claims) -> Mapping {
    Mapping {
        subject: claims.sub.clone(),
        client_id: mapping::string(claims, "cid"),
        scopes: mapping::strings(claims, "scp"),
        roles: Vec::new(),
    }
}
