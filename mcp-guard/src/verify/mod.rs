//! Token verification: JWT access tokens from each trusted authorization server
//! (RFC 9068, keys from a remote JWKS or static), opaque tokens by RFC 7662
//! introspection with a bounded cache, then the revocation list. Verified JWTs
//! are kept in a second bounded cache (see [`TokenVerifierBuilder::verified_cache`]).

mod cache;
mod discovery;
mod introspection;
mod profile;
mod verified;

pub use discovery::{AuthorizationServerMetadata, DiscoveryError, discover};
pub use introspection::{IntrospectionConfig, Introspector};
pub(crate) use profile::Mapping;
pub use profile::TokenProfile;

use crate::principal::{Principal, TokenSource};
use crate::resource::ResourceUri;
use crate::revocation::RevocationList;
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::validate::{KeySource, StaticKeys, ValidationError};
use profile::IssuerValidator;
use std::sync::Arc;
use std::time::Duration;
use verified::VerifiedCache;

/// Default number of verified JWT access tokens kept.
pub const DEFAULT_VERIFIED_CACHE_ENTRIES: usize = 10_000;
/// Default longest time a verified JWT is served from the cache.
pub const DEFAULT_VERIFIED_CACHE_MAX_AGE: Duration = Duration::from_secs(60);

/// Why a token was refused. Messages name the failed check, never token bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The JWT failed validation.
    #[error("{0}")]
    Jwt(ValidationError),
    /// The token names no trusted issuer and no introspection endpoint knows it.
    #[error("token from an untrusted issuer")]
    UntrustedIssuer,
    /// Introspection answered `active: false`.
    #[error("token is not active")]
    Inactive,
    /// Introspection answered for another resource.
    #[error("wrong audience")]
    WrongAudience,
    /// Introspection answered with an `iss` other than the configured one.
    #[error("wrong issuer")]
    WrongIssuer,
    /// The token has expired.
    #[error("token expired")]
    Expired,
    /// The token was revoked (event, Global Token Revocation or SSF).
    #[error("token revoked")]
    Revoked,
    /// The token is sender-constrained (`cnf`) and cannot be used as a bearer token.
    #[error("sender-constrained token presented as a bearer token")]
    SenderConstrained,
    /// Introspection answered a token type other than an access token.
    #[error("not an access token")]
    NotAccessToken,
    /// Keys or the introspection endpoint could not be reached: not the client's fault.
    #[error("token verification temporarily unavailable")]
    Unavailable,
}

impl VerifyError {
    /// Whether the failure is on the server side (answer 503, not 401).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable | Self::Jwt(ValidationError::KeysUnavailable)
        )
    }
}

/// One authorization server whose JWT access tokens the guard accepts, with
/// the profile its tokens follow (default: strict RFC 9068).
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    issuer: String,
    keys: Arc<dyn KeySource>,
    profile: TokenProfile,
    audiences: Option<Vec<String>>,
}

impl TrustedIssuer {
    /// Trusts `issuer` with the keys of `keys` (a [`StaticKeys`], a
    /// [`RemoteJwks`](agent_auth::jwks::RemoteJwks), ...).
    pub fn new(issuer: impl Into<String>, keys: impl KeySource + 'static) -> Self {
        Self {
            issuer: issuer.into(),
            keys: Arc::new(keys),
            profile: TokenProfile::default(),
            audiences: None,
        }
    }

    /// The shape of this issuer's access tokens (see [`TokenProfile`]).
    #[must_use]
    pub fn profile(mut self, profile: TokenProfile) -> Self {
        self.profile = profile;
        self
    }

    /// The exact `aud` values this issuer puts in tokens for this resource,
    /// instead of the resource URI's spellings: for providers whose audience
    /// is an identifier of their own (an Entra ID application id or App ID
    /// URI, Okta's `api://default`). `aud` must still contain one of them.
    #[must_use]
    pub fn audiences(mut self, audiences: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.audiences = Some(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// Trusts `issuer` with one static key.
    pub fn with_key(issuer: impl Into<String>, key: agent_auth::jose::VerifyingKey) -> Self {
        Self::new(issuer, StaticKeys::single(key))
    }

    /// Trusts `issuer` with the JWK Set at `jwks_uri`, fetched and cached.
    pub fn remote_jwks(
        issuer: impl Into<String>,
        jwks_uri: &str,
    ) -> Result<Self, agent_auth::jwks::JwksError> {
        Ok(Self::new(
            issuer,
            agent_auth::jwks::RemoteJwks::new(jwks_uri)?,
        ))
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

/// Verifies bearer tokens for one resource.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    resource: ResourceUri,
    jwt: Arc<[IssuerValidator]>,
    introspectors: Arc<[Introspector]>,
    revocations: RevocationList,
    clock: SharedClock,
    verified: Option<Arc<VerifiedCache>>,
}

/// Configures a [`TokenVerifier`].
#[derive(Debug)]
pub struct TokenVerifierBuilder {
    resource: ResourceUri,
    issuers: Vec<TrustedIssuer>,
    introspectors: Vec<IntrospectionConfig>,
    revocations: RevocationList,
    clock: SharedClock,
    leeway: i64,
    verified_cache: (usize, Duration),
}

impl TokenVerifier {
    /// Starts configuring a verifier for `resource`.
    pub fn builder(resource: ResourceUri) -> TokenVerifierBuilder {
        TokenVerifierBuilder {
            resource,
            issuers: Vec::new(),
            introspectors: Vec::new(),
            revocations: RevocationList::new(),
            clock: system_clock(),
            leeway: 0,
            verified_cache: (
                DEFAULT_VERIFIED_CACHE_ENTRIES,
                DEFAULT_VERIFIED_CACHE_MAX_AGE,
            ),
        }
    }

    /// The resource tokens must be for.
    pub fn resource(&self) -> &ResourceUri {
        &self.resource
    }

    /// The revocation list consulted after every verification.
    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    /// The issuers trusted, JWT and introspection alike.
    pub fn issuers(&self) -> Vec<String> {
        let mut v: Vec<String> = self.jwt.iter().map(|i| i.issuer().to_owned()).collect();
        for i in self.introspectors.iter() {
            if !v.iter().any(|x| x == i.issuer()) {
                v.push(i.issuer().to_owned());
            }
        }
        v
    }

    /// Verified JWT access tokens held in the cache.
    pub fn cached_tokens(&self) -> usize {
        self.verified.as_ref().map_or(0, |c| c.len())
    }

    /// Verifies a bearer token.
    pub async fn verify(&self, token: &str) -> Result<Principal, VerifyError> {
        self.verify_shared(token).await.map(Arc::unwrap_or_clone)
    }

    /// Verifies a bearer token; the principal may be shared with the cache.
    ///
    /// A cached JWT is served only while its times hold (see
    /// [`TokenVerifierBuilder::verified_cache`]); the revocation list is
    /// consulted on every call, cached or not. A sender-constrained token
    /// (`cnf`, RFC 9449 section 7.2) is refused: it needs its proof.
    pub async fn verify_shared(&self, token: &str) -> Result<Arc<Principal>, VerifyError> {
        let principal = self.verify_any(token).await?;
        if principal.is_sender_constrained() {
            return Err(VerifyError::SenderConstrained);
        }
        Ok(principal)
    }

    /// Verifies a token whatever its binding; the caller checks the binding
    /// (the DPoP path).
    pub(crate) async fn verify_any(&self, token: &str) -> Result<Arc<Principal>, VerifyError> {
        let now = self.clock.now();
        let cache = self.verified.as_deref();
        if let Some(c) = cache
            && let Some(principal) = c.get(token, now)
        {
            let revoked = self.revocations.is_revoked(&principal, now);
            c.sweep(&self.revocations);
            if revoked {
                c.remove(token);
                return Err(VerifyError::Revoked);
            }
            return Ok(principal);
        }
        let principal = Arc::new(self.verify_unrevoked(token).await?);
        let revoked = self.revocations.is_revoked(&principal, now);
        if let Some(c) = cache {
            c.sweep(&self.revocations);
            // Introspection answers have their own cache.
            if !revoked && principal.source == TokenSource::Jwt {
                c.put(token, principal.clone(), now);
            }
        }
        if revoked {
            return Err(VerifyError::Revoked);
        }
        Ok(principal)
    }

    async fn verify_unrevoked(&self, token: &str) -> Result<Principal, VerifyError> {
        let max = agent_auth::validate::DEFAULT_MAX_TOKEN_BYTES;
        if token.len() > max {
            return Err(VerifyError::Jwt(ValidationError::TooLarge {
                size: token.len(),
                max,
            }));
        }
        let looks_like_jwt = token.bytes().filter(|&b| b == b'.').count() == 2;
        if looks_like_jwt && !self.jwt.is_empty() {
            let validator = match &*self.jwt {
                [only] => Some(only),
                many => peek_issuer(token).and_then(|iss| many.iter().find(|v| v.issuer() == iss)),
            };
            if let Some(v) = validator {
                return v.verify(token).await;
            }
            if self.introspectors.is_empty() {
                return Err(VerifyError::UntrustedIssuer);
            }
        }
        let introspector = match &*self.introspectors {
            [] => return Err(VerifyError::UntrustedIssuer),
            [only] => only,
            many => {
                // A JWT-shaped token names its issuer; an opaque one goes to the first.
                let iss = if looks_like_jwt {
                    peek_issuer(token)
                } else {
                    None
                };
                match iss {
                    Some(iss) => many
                        .iter()
                        .find(|i| i.issuer() == iss)
                        .ok_or(VerifyError::UntrustedIssuer)?,
                    None => many.first().ok_or(VerifyError::UntrustedIssuer)?,
                }
            }
        };
        introspector
            .introspect(token, &self.resource, self.clock.now())
            .await
    }
}

/// The unverified `iss` of a JWT, only to pick which validator checks it.
fn peek_issuer(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = agent_auth::jose::base64url::decode(payload)?;
    serde_json::from_slice::<Iss>(&bytes).ok()?.iss
}

impl TokenVerifierBuilder {
    /// Trusts the JWT access tokens of an authorization server.
    #[must_use]
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Checks opaque tokens (and JWTs of issuers without keys here) by introspection.
    #[must_use]
    pub fn introspection(mut self, config: IntrospectionConfig) -> Self {
        self.introspectors.push(config);
        self
    }

    /// The revocation list to consult (shared with revocation receivers).
    #[must_use]
    pub fn revocations(mut self, list: RevocationList) -> Self {
        self.revocations = list;
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Clock skew tolerated on `exp`, `nbf`, `iat`, in seconds (default 0: an
    /// expired token is refused at once).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.leeway = seconds.max(0);
        self
    }

    /// Keeps up to `max_entries` verified JWT access tokens, each for at most
    /// `max_age` (default 10,000 and 60 s), keyed by the SHA-256 of the token.
    ///
    /// Every RFC 9068 / RFC 8725 check runs when a token is first seen; the
    /// token bytes fix all their inputs but the clock. A cached token is served
    /// only while `nbf` has passed, `now < exp` (no leeway) and the entry is
    /// younger than `max_age`; otherwise the full verification runs again.
    /// Revocation is checked on every request, and a revocation evicts the
    /// entries it refuses. Zero `max_entries` or `max_age` turns the cache off.
    #[must_use]
    pub fn verified_cache(mut self, max_entries: usize, max_age: Duration) -> Self {
        self.verified_cache = (max_entries, max_age);
        self
    }

    /// Verifies every JWT in full on every request.
    #[must_use]
    pub fn no_verified_cache(self) -> Self {
        self.verified_cache(0, Duration::ZERO)
    }

    /// The verifier. Fails only when an HTTP client for introspection cannot be built.
    pub fn build(self) -> Result<TokenVerifier, crate::ConfigError> {
        let audiences = self.resource.audience_spellings();
        let jwt: Vec<IssuerValidator> = self
            .issuers
            .into_iter()
            .map(|t| {
                IssuerValidator::new(
                    t.issuer,
                    t.keys,
                    t.profile,
                    t.audiences.unwrap_or_else(|| audiences.clone()),
                    self.clock.clone(),
                    self.leeway,
                )
            })
            .collect();
        let introspectors = self
            .introspectors
            .into_iter()
            .map(Introspector::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TokenVerifier {
            resource: self.resource,
            jwt: jwt.into(),
            introspectors: introspectors.into(),
            revocations: self.revocations,
            clock: self.clock,
            verified: VerifiedCache::new(
                self.verified_cache.0,
                self.verified_cache.1.as_secs(),
                self.leeway,
            )
            .map(Arc::new),
        })
    }
}
