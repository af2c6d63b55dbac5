//! Who may call the Global Token Revocation endpoint, and for which issuers'
//! subjects: a shared bearer secret ([`BearerSecret`]) or, as Okta's Universal
//! Logout sends it, a short-lived JWT signed by the caller ([`SignedJwt`]).

use agent_auth::clock::SharedClock;
use agent_auth::secret::{SecretString, constant_time_eq};
use agent_auth::signals::{ReplayGuard, Stamp};
use agent_auth::validate::{Generic, KeySource, Validator};
use axum::http::HeaderMap;
use std::sync::Arc;

/// The `typ` of a Global Token Revocation caller assertion.
pub const CALLER_JWT_TYP: &str = "global-token-revocation+jwt";

/// An authenticated caller and the issuers whose subjects it may revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    name: String,
    issuers: Vec<String>,
}

impl Caller {
    /// `name` (for logs), allowed to revoke subjects of `issuers` only: an
    /// `iss_sub` subject of another issuer is refused (403), and an `opaque`
    /// or `email` subject revokes tokens of these issuers only.
    pub fn new(name: &str, issuers: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            issuers: issuers.iter().map(|i| (*i).to_owned()).collect(),
        }
    }

    /// The caller's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuers whose subjects the caller may revoke.
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }
}

/// Who may call the endpoint, and for which subjects.
#[async_trait::async_trait]
pub trait RevocationAuth: Send + Sync + std::fmt::Debug {
    /// The authenticated caller, or `None` (answered 401).
    async fn authenticate(&self, headers: &HeaderMap) -> Option<Caller>;

    /// A further rule on top of the caller's issuers (default: none; `false`
    /// answers 403).
    async fn may_revoke(&self, _caller: &Caller, _subject: &super::Subject) -> bool {
        true
    }
}

/// A caller authenticated by a shared bearer secret, compared in constant time.
#[derive(Debug, Clone)]
pub struct BearerSecret {
    caller: Caller,
    secret: SecretString,
}

impl BearerSecret {
    /// Accepts `Authorization: Bearer <secret>` as `caller`.
    pub fn new(caller: Caller, secret: SecretString) -> Self {
        Self { caller, secret }
    }
}

#[async_trait::async_trait]
impl RevocationAuth for BearerSecret {
    async fn authenticate(&self, headers: &HeaderMap) -> Option<Caller> {
        let token = crate::header::bearer_from_headers(headers).ok()??;
        constant_time_eq(token.as_bytes(), self.secret.expose_secret().as_bytes())
            .then(|| self.caller.clone())
    }
}

/// Callers authenticated by a JWT in `Authorization: Bearer`, as Okta's
/// Universal Logout calls a Global Token Revocation endpoint: signed with a
/// key of the caller (never a shared secret), `typ`
/// `global-token-revocation+jwt`, `iss` the caller, `aud` this endpoint's URL,
/// with `iat`, a short `exp` and a `jti`.
///
/// Checks (RFC 7519 section 4.1, RFC 7523 section 3 for assertions): the
/// signature and `alg`, `typ` (RFC 8725 section 3.11), `iss`, `aud` naming the
/// endpoint, `exp` not passed, `iat` not in the future and at most `max_age`
/// old, `exp` at most `max_age` after `iat`, and a `jti` never seen before: it
/// is remembered until `exp` plus the leeway (RFC 7523 section 3, item 7).
#[derive(Debug, Clone)]
pub struct SignedJwt {
    endpoint: String,
    clock: SharedClock,
    callers: Vec<(Arc<Validator<Generic>>, Caller)>,
    once: ReplayGuard,
}

impl SignedJwt {
    /// Callers of the endpoint at `endpoint` (its absolute URL: the `aud`
    /// callers must name), on `clock`.
    pub fn new(endpoint: &str, clock: SharedClock) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            clock,
            callers: Vec::new(),
            once: ReplayGuard::default(),
        }
    }

    /// Trusts assertions whose `iss` is `issuer`, signed by a key of `keys`,
    /// as a caller allowed to revoke subjects of `may_revoke_for`.
    #[must_use]
    pub fn caller(
        mut self,
        issuer: &str,
        keys: impl KeySource + 'static,
        may_revoke_for: &[&str],
    ) -> Self {
        let validator = Validator::<Generic>::builder(keys)
            .issuer(issuer)
            .audience(self.endpoint.clone())
            .typ(CALLER_JWT_TYP)
            .require_claim("exp")
            .require_claim("iat")
            .require_claim("jti")
            .clock(self.clock.clone())
            .build();
        self.callers
            .push((Arc::new(validator), Caller::new(issuer, may_revoke_for)));
        self
    }

    /// The oldest `iat` accepted and the longest `exp - iat`, in seconds
    /// (default 300).
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.once.set_max_age(seconds);
        self
    }

    /// Clock skew tolerated on `iat`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.once.set_leeway(seconds);
        self
    }
}

#[async_trait::async_trait]
impl RevocationAuth for SignedJwt {
    async fn authenticate(&self, headers: &HeaderMap) -> Option<Caller> {
        let token = crate::header::bearer_from_headers(headers).ok()??;
        for (validator, caller) in &self.callers {
            let Ok(jwt) = validator.validate(token).await else {
                continue;
            };
            let claims = jwt.claims();
            let stamp = Stamp {
                issuer: validator.issuer(),
                jti: claims.jti.as_deref(),
                iat: claims.iat,
                exp: claims.exp,
            };
            return match self.once.accept(&stamp, self.clock.now()) {
                Ok(()) => Some(caller.clone()),
                Err(e) => {
                    tracing::warn!(caller = %caller.name(), reason = %e, "revocation caller assertion refused");
                    None
                }
            };
        }
        None
    }
}
