//! Token verification: JWT access tokens from each trusted authorization server
//! (RFC 9068, keys from a remote JWKS or static), opaque tokens by RFC 7662
//! introspection with a bounded cache, then the revocation list.

mod cache;
mod discovery;
mod introspection;

pub use discovery::{AuthorizationServerMetadata, DiscoveryError, discover};
pub use introspection::{IntrospectionConfig, Introspector};

use crate::principal::{Principal, TokenSource};
use crate::resource::ResourceUri;
use crate::revocation::RevocationList;
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::validate::{AccessToken, KeySource, StaticKeys, ValidationError, Validator};
use std::sync::Arc;

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

/// One authorization server whose JWT access tokens the guard accepts.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    issuer: String,
    keys: Arc<dyn KeySource>,
}

impl TrustedIssuer {
    /// Trusts `issuer` with the keys of `keys` (a [`StaticKeys`], a
    /// [`RemoteJwks`](agent_auth::jwks::RemoteJwks), ...).
    pub fn new(issuer: impl Into<String>, keys: impl KeySource + 'static) -> Self {
        Self {
            issuer: issuer.into(),
            keys: Arc::new(keys),
        }
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
    jwt: Arc<[(String, Validator<AccessToken>)]>,
    introspectors: Arc<[Introspector]>,
    revocations: RevocationList,
    clock: SharedClock,
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
        let mut v: Vec<String> = self.jwt.iter().map(|(i, _)| i.clone()).collect();
        for i in self.introspectors.iter() {
            if !v.iter().any(|x| x == i.issuer()) {
                v.push(i.issuer().to_owned());
            }
        }
        v
    }

    /// Verifies a bearer token.
    pub async fn verify(&self, token: &str) -> Result<Principal, VerifyError> {
        let principal = self.verify_unrevoked(token).await?;
        if self.revocations.is_revoked(&principal, self.clock.now()) {
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
                [(_, only)] => Some(only),
                many => peek_issuer(token)
                    .and_then(|iss| many.iter().find(|(i, _)| *i == iss).map(|(_, v)| v)),
            };
            if let Some(v) = validator {
                let valid = v.validate(token).await.map_err(VerifyError::Jwt)?;
                let claims = valid.into_claims();
                if claims.extra.contains_key("cnf") {
                    return Err(VerifyError::SenderConstrained);
                }
                return Ok(Principal::from_claims(v.issuer(), claims, TokenSource::Jwt));
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

    /// The verifier. Fails only when an HTTP client for introspection cannot be built.
    pub fn build(self) -> Result<TokenVerifier, crate::ConfigError> {
        let audiences = self.resource.audience_spellings();
        let jwt: Vec<(String, Validator<AccessToken>)> = self
            .issuers
            .into_iter()
            .map(|t| {
                let v = Validator::<AccessToken>::builder_shared(t.keys)
                    .issuer(t.issuer.clone())
                    .audiences(audiences.clone())
                    .clock(self.clock.clone())
                    .leeway(self.leeway)
                    .build();
                (t.issuer, v)
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
        })
    }
}
