//! Who may ask the PDP: enforcement points with an access token of the
//! authority meant for the PDP (RFC 6750 bearer tokens, RFC 8707 audience).

use crate::Authority;
use agent_auth::audit::{AuditAction, Outcome};
use axum::http::HeaderMap;

/// The scope an access token must hold to call the PDP.
pub const PDP_SCOPE: &str = "authzen:evaluate";

/// The accepted callers: bearer access tokens issued by `authority`, whose
/// `aud` holds the PDP's identifier and whose scope holds [`PDP_SCOPE`].
#[derive(Debug, Clone)]
pub struct Callers {
    authority: Authority,
    audience: String,
    scope: String,
}

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// No bearer token (RFC 6750 section 3.1: no error code).
    #[error("a bearer token is required")]
    NoToken,
    /// A token that does not verify, or is not meant for the PDP.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// A valid token without the PDP's scope.
    #[error("the token lacks the scope {0}")]
    InsufficientScope(String),
}

impl Callers {
    /// Tokens of `authority` for `audience` (the PDP's base URL, normally).
    pub fn new(authority: Authority, audience: impl Into<String>) -> Self {
        Self {
            authority,
            audience: audience.into(),
            scope: PDP_SCOPE.to_owned(),
        }
    }

    /// Requires `scope` instead of [`PDP_SCOPE`].
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Checks the caller of a request; refusals are audited.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let result = self.verify(headers);
        if let Err(refusal) = &result {
            self.authority
                .audit(AuditAction::TokenValidated, Outcome::Denied, |e| {
                    e.reason(refusal.to_string()).detail("api", "authzen")
                });
        }
        result
    }

    fn verify(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let token = crate::provider::http::endpoints::bearer(headers).ok_or(Refusal::NoToken)?;
        let claims = self
            .authority
            .verify_access_token(token)
            .map_err(|_| Refusal::InvalidToken("the access token is not valid"))?;
        if !claims.aud.iter().any(|a| a == &self.audience) {
            return Err(Refusal::InvalidToken(
                "the access token is not meant for this PDP",
            ));
        }
        if !claims.scopes().any(|s| s == self.scope) {
            return Err(Refusal::InsufficientScope(self.scope.clone()));
        }
        Ok(())
    }
}
