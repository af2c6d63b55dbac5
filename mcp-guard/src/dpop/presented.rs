//! Checking the token a request presents, by its scheme.

use crate::guard::Guard;
use crate::header::Scheme;
use crate::principal::Principal;
use crate::verify::VerifyError;
use agent_auth::dpop::{DPOP_HEADER, DpopError, ProofRequest};
use axum::http::request::Parts;
use std::sync::Arc;

/// Why a presented token was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The token itself failed (bad, expired, revoked, or bound but sent as
    /// a bearer token).
    Token(VerifyError),
    /// Bearer tokens are refused by the guard's policy.
    BearerRefused,
    /// A `DPoP` scheme token without `cnf.jkt`.
    NotBound,
    /// The DPoP proof failed (RFC 9449 section 4.3), or is missing.
    Proof(DpopError),
    /// The `DPoP` scheme while the guard has no DPoP policy.
    SchemeUnsupported,
}

/// Verifies `token` as presented with `scheme`: a bearer token must not be
/// bound (RFC 9449 section 7.2); a `DPoP` token must be bound and come with
/// exactly one proof (section 4.3 check 1) for this method and URI, carrying
/// the token's hash and signed by the bound key (check 12). The URI is the
/// configured resource origin and the request path: the `Host` header is not
/// trusted for it.
pub(crate) async fn authenticate(
    guard: &Guard,
    parts: &Parts,
    scheme: Scheme,
    token: &str,
) -> Result<Arc<Principal>, Refusal> {
    let g = &*guard.inner;
    let policy = g.dpop.as_ref();
    if scheme == Scheme::Bearer {
        if policy.is_some_and(|p| p.is_required()) {
            return Err(Refusal::BearerRefused);
        }
        return g
            .verifier
            .verify_shared(token)
            .await
            .map_err(Refusal::Token);
    }
    let Some(policy) = policy else {
        return Err(Refusal::SchemeUnsupported);
    };
    let mut proofs = parts.headers.get_all(DPOP_HEADER).iter();
    let proof = match (proofs.next(), proofs.next()) {
        (Some(one), None) => one
            .to_str()
            .map_err(|_| Refusal::Proof(DpopError::Malformed("not a JWT")))?,
        (None, _) => return Err(Refusal::Proof(DpopError::Malformed("no DPoP proof"))),
        (Some(_), Some(_)) => return Err(Refusal::Proof(DpopError::Repeated)),
    };
    let principal = g.verifier.verify_any(token).await.map_err(Refusal::Token)?;
    let jkt = principal.dpop_jkt().ok_or(Refusal::NotBound)?;
    let uri = format!("{}{}", g.verifier.resource().origin(), parts.uri.path());
    let request = ProofRequest::new(parts.method.as_str(), &uri).with_access_token(token, jkt);
    policy
        .verifier()
        .verify(proof, &request)
        .map_err(Refusal::Proof)?;
    Ok(principal)
}
