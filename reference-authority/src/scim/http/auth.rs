//! Who may call the SCIM endpoint: a bearer access token (RFC 6750) issued
//! by this authority, live, for the authority or the SCIM base URL as
//! audience, carrying the SCIM scope.

use crate::scim::{Caller, Scim};
use agent_auth::audit::{AuditAction, Outcome};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No bearer token (RFC 6750 section 3.1: no error code).
    Missing,
    /// Invalid, expired, revoked or for another audience.
    InvalidToken,
    /// Valid, without the scope.
    InsufficientScope,
}

/// The 401 or 403 response to a refusal (audited).
pub(super) fn refuse(scim: &Scim, refusal: Refusal) -> Response {
    let scope = &scim.config().scope;
    let (status, challenge, detail) = match refusal {
        Refusal::Missing => (
            StatusCode::UNAUTHORIZED,
            "Bearer".to_owned(),
            "a bearer token is required",
        ),
        Refusal::InvalidToken => (
            StatusCode::UNAUTHORIZED,
            "Bearer error=\"invalid_token\"".to_owned(),
            "the access token is not valid here",
        ),
        Refusal::InsufficientScope => (
            StatusCode::FORBIDDEN,
            format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
            "the access token lacks the SCIM scope",
        ),
    };
    if refusal != Refusal::Missing {
        scim.authority()
            .audit(AuditAction::TokenValidated, Outcome::Denied, |e| {
                e.reason(match refusal {
                    Refusal::InsufficientScope => "insufficient_scope",
                    _ => "invalid_token",
                })
                .detail("endpoint", "scim")
            });
    }
    let error = crate::scim::ScimError::status_only(status.as_u16(), detail);
    let mut response = super::respond::error(&error);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response.into_response()
}

/// The caller of an authorized request, or why it is refused.
pub(super) fn authorize(scim: &Scim, headers: &HeaderMap) -> Result<Caller, Refusal> {
    let Some(token) = crate::provider::http::bearer(headers) else {
        return Err(Refusal::Missing);
    };
    let authority = scim.authority();
    let Ok(claims) = authority.verify_access_token(token) else {
        return Err(Refusal::InvalidToken);
    };
    let audience_ok = claims
        .aud
        .iter()
        .any(|a| a == authority.issuer() || a == scim.base_url());
    if !audience_ok {
        return Err(Refusal::InvalidToken);
    }
    if !claims.scopes().any(|s| s == scim.config().scope) {
        return Err(Refusal::InsufficientScope);
    }
    let client = claims
        .str("client_id")
        .or(claims.sub.as_deref())
        .unwrap_or_default()
        .to_owned();
    Ok(Caller::new(client))
}
