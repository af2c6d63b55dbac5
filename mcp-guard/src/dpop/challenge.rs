//! `DPoP` challenges (RFC 9449 section 7.1) and nonce answers (section 9).

use super::Refusal;
use crate::guard::Guard;
use crate::header::challenge_value;
use agent_auth::dpop::{INVALID_DPOP_PROOF, USE_DPOP_NONCE};
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};

/// Adds `WWW-Authenticate: DPoP algs="..."` (and the current nonce) to an
/// answer of a guard with DPoP on, next to its `Bearer` challenge.
pub(crate) fn append_challenge(guard: &Guard, response: &mut Response<Body>) {
    let Some(policy) = guard.inner.dpop.as_ref() else {
        return;
    };
    let algs = policy.algorithm_names().join(" ");
    let value = challenge_value(
        "DPoP",
        &[
            ("algs", Some(&algs)),
            ("resource_metadata", Some(guard.metadata_url())),
        ],
    );
    insert(response, header::WWW_AUTHENTICATE, &value, true);
    if let Some(nonce) = policy.verifier().current_nonce() {
        insert(
            response,
            HeaderName::from_static("dpop-nonce"),
            &nonce,
            false,
        );
    }
}

fn insert(response: &mut Response<Body>, name: HeaderName, value: &str, append: bool) {
    if let Ok(v) = HeaderValue::from_str(value) {
        if append {
            response.headers_mut().append(name, v);
        } else {
            response.headers_mut().insert(name, v);
        }
    }
}

/// The answer to a refused token: 503 when verification is unavailable,
/// otherwise 401 with the challenge of the scheme at fault carrying the error
/// (`invalid_token`, `invalid_dpop_proof` or `use_dpop_nonce` with a fresh
/// `DPoP-Nonce`).
pub(crate) fn refusal_response(
    guard: &Guard,
    refusal: &Refusal,
    scope: Vec<String>,
) -> Response<Body> {
    use crate::header::ErrorCode;
    let (code, description) = match refusal {
        Refusal::Token(e) if e.is_unavailable() => {
            return crate::layer::plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
        }
        Refusal::Token(e) => {
            return crate::layer::challenge(
                guard,
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                &e.to_string(),
                scope,
            );
        }
        Refusal::SchemeUnsupported => return crate::layer::no_token(guard, scope),
        Refusal::BearerRefused => (
            "invalid_token",
            "this resource accepts DPoP-bound tokens only".to_owned(),
        ),
        Refusal::NotBound => (
            "invalid_token",
            "the token is not bound to a DPoP key".to_owned(),
        ),
        Refusal::Proof(e) if e.is_use_nonce() => (
            USE_DPOP_NONCE,
            "the resource server requires a nonce in the DPoP proof".to_owned(),
        ),
        Refusal::Proof(e) => (INVALID_DPOP_PROOF, e.to_string()),
    };
    let algs = guard
        .inner
        .dpop
        .as_ref()
        .map(|p| p.algorithm_names().join(" "));
    let scope_text = scope.join(" ");
    let value = challenge_value(
        "DPoP",
        &[
            ("error", Some(code)),
            ("error_description", Some(&description)),
            ("algs", algs.as_deref()),
            ("scope", Some(scope_text.as_str()).filter(|s| !s.is_empty())),
            ("resource_metadata", Some(guard.metadata_url())),
        ],
    );
    let body = serde_json::json!({"error": code, "error_description": description});
    let mut response = crate::layer::json_response(StatusCode::UNAUTHORIZED, &body);
    insert(&mut response, header::WWW_AUTHENTICATE, &value, false);
    if let Some(nonce) = guard
        .inner
        .dpop
        .as_ref()
        .and_then(|p| p.verifier().current_nonce())
    {
        insert(
            &mut response,
            HeaderName::from_static("dpop-nonce"),
            &nonce,
            false,
        );
    }
    response
}
