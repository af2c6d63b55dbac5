//! Microsoft Entra ID access tokens ("Access token claims reference",
//! learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
//! `ver` `1.0` or `2.0` (set by the API's `accessTokenAcceptedVersion`), `tid`,
//! `scp` (space-separated delegated scopes), `roles` (app roles), the client
//! in `appid` (v1.0) or `azp` (v2.0), `aud` the API's App ID URI or client id.

use super::mapping::{self, Mapping};
use agent_auth::validate::Claims;

/// The v1.0 issuer of a tenant.
pub(super) fn v1_issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

/// The v2.0 issuer of a tenant.
pub(super) fn v2_issuer(tenant: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant}/v2.0")
}

/// `ver` and `tid` must be the configured ones; the client claim of the
/// version (`appid` or `azp`) is required, as Entra's ID tokens carry neither;
/// `nonce` marks an ID token.
pub(super) fn access_token_rule(
    claims: &Claims,
    version: &str,
    tenant: &str,
) -> Result<(), &'static str> {
    if claims.str("ver") != Some(version) {
        return Err("`ver` is not the configured token version");
    }
    if claims.str("tid") != Some(tenant) {
        return Err("`tid` is not the configured tenant");
    }
    let client = if version == "1.0" { "appid" } else { "azp" };
    if claims.str(client).is_none() {
        return Err(if version == "1.0" {
            "an Entra ID v1.0 access token names its client in `appid`"
        } else {
            "an Entra ID v2.0 access token names its client in `azp`"
        });
    }
    if claims.has("nonce") {
        return Err("`nonce` marks an ID token");
    }
    Ok(())
}

/// `sub` (pairwise per application; `oid` stays in the claims), the client
/// claim, `scp` split, `roles`.
pub(super) fn map(claims: &Claims, client_claim: &str) -> Mapping {
    Mapping {
        subject: claims.sub.clone(),
        client_id: mapping::string(claims, client_claim),
        scopes: mapping::space_separated(claims, "scp"),
        roles: mapping::strings(claims, "roles"),
    }
}
