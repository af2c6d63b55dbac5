//! Who calls the management and poll APIs: a receiver holding an access token
//! of this authority with the `ssf` scope (SSF 1.0 section 8.1: standard HTTP
//! authorization that ties a receiver to its streams; `authorization_schemes`
//! names RFC 6749). The receiver is the token's `client_id`.

use super::error::SsfError;
use crate::Authority;
use axum::http::{HeaderMap, header};

/// The scope a receiver's access token must carry.
pub const SSF_SCOPE: &str = "ssf";

/// The authenticated receiver (a client id), from `Authorization: Bearer`
/// only, never from the query (RFC 6750 section 2.3 is not offered). The
/// token must be this authority's, live, with this authority among its
/// audiences and the `ssf` scope.
pub(crate) fn receiver(authority: &Authority, headers: &HeaderMap) -> Result<String, SsfError> {
    let token = bearer(headers).ok_or(SsfError::Unauthorized)?;
    let claims = authority
        .verify_access_token(token)
        .map_err(|_| SsfError::Unauthorized)?;
    if !claims.aud.iter().any(|a| a == authority.issuer()) {
        return Err(SsfError::Unauthorized);
    }
    let client = claims
        .str("client_id")
        .map(str::to_owned)
        .ok_or(SsfError::Unauthorized)?;
    let scoped = claims
        .str("scope")
        .is_some_and(|s| s.split(' ').any(|x| x == SSF_SCOPE));
    if !scoped {
        return Err(SsfError::Forbidden);
    }
    Ok(client)
}

/// The token of an `Authorization: Bearer` header (RFC 6750 section 2.1).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
