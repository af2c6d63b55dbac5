//! The validator: one configured profile, applied to compact tokens.

use super::claims::{ClaimsSeed, bad_claim_name};
use super::error::json_error;
use super::header_memo::ParsedHeader;
use super::jws::JwsVerifier;
use super::kind::{Generic, SharedSecretKind, StrictAudienceKind, TokenKind, check_typ};
use super::{Claims, KeySource, ValidationError};
use crate::clock::{SharedClock, system_clock};
use crate::jose::Algorithm;
use crate::jose::json;
use std::marker::PhantomData;
use std::sync::Arc;

/// Default clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_LEEWAY: i64 = 60;

/// Typestate: the issuer is not set yet.
#[derive(Debug, Clone, Copy)]
pub struct NoIssuer;
/// Typestate: the issuer is set.
#[derive(Debug, Clone)]
pub struct HasIssuer(String);
/// Typestate: the audience is not set yet.
#[derive(Debug, Clone, Copy)]
pub struct NoAudience;
/// Typestate: the accepted audiences are set.
#[derive(Debug, Clone)]
pub struct HasAudience(Vec<String>);

#[derive(Debug, Clone)]
struct Settings {
    keys: Arc<dyn KeySource>,
    clock: SharedClock,
    leeway: i64,
    jws: JwsVerifier,
    typ: Option<String>,
    required: Vec<&'static str>,
    also_trusted: Vec<String>,
}

/// Configures a [`Validator`]. [`build`](ValidatorBuilder::build) exists only once
/// both the issuer and the audience are set, so a validator that would skip
/// either check does not compile.
#[derive(Debug)]
pub struct ValidatorBuilder<K, I, A> {
    settings: Settings,
    issuer: I,
    audience: A,
    kind: PhantomData<K>,
}

/// Validates compact tokens of kind `K` from one issuer for one audience.
///
/// Every token goes through, in order: the size cap; compact structure and
/// strict base64url, with a non-empty signature; the header (registered
/// members of their types, `alg` allow-listed and bound to the key's type,
/// `none` impossible, `crit` and `cty: JWT` refused, `typ` of the kind); the
/// key by opaque `kid` from the trusted [`KeySource`] only; the signature;
/// strict claims JSON with the registered claims, `client_id` and `azp` of
/// their types; the profile's required claims; exact `iss`; `aud` containment
/// (and, for ID and logout tokens, every audience trusted); `exp`, `nbf` and
/// `iat` with leeway; and the kind's own rules.
#[derive(Debug, Clone)]
pub struct Validator<K: TokenKind> {
    settings: Settings,
    issuer: String,
    audiences: Vec<String>,
    kind: PhantomData<K>,
}

/// A token that passed validation as kind `K`.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<K: TokenKind> {
    claims: Claims,
    alg: Algorithm,
    header: Arc<ParsedHeader>,
    kind: PhantomData<K>,
}

impl<K: TokenKind> Validated<K> {
    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The claims, owned.
    pub fn into_claims(self) -> Claims {
        self.claims
    }

    /// The algorithm that signed the token.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The id of the key that verified the token.
    pub fn kid(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }
}

impl<K: TokenKind> std::ops::Deref for Validated<K> {
    type Target = Claims;
    fn deref(&self) -> &Claims {
        &self.claims
    }
}

impl<K: TokenKind> Validator<K> {
    /// Starts configuring a validator trusting the keys of `keys`.
    pub fn builder(keys: impl KeySource + 'static) -> ValidatorBuilder<K, NoIssuer, NoAudience> {
        Self::builder_shared(Arc::new(keys))
    }

    /// Like [`builder`](Self::builder), with a shared key source.
    pub fn builder_shared(keys: Arc<dyn KeySource>) -> ValidatorBuilder<K, NoIssuer, NoAudience> {
        ValidatorBuilder {
            settings: Settings {
                keys,
                clock: system_clock(),
                leeway: DEFAULT_LEEWAY,
                jws: JwsVerifier::new(&Algorithm::ASYMMETRIC),
                typ: None,
                required: Vec::new(),
                also_trusted: Vec::new(),
            },
            issuer: NoIssuer,
            audience: NoAudience,
            kind: PhantomData,
        }
    }

    /// The expected issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The audiences trusted besides the accepted ones (kinds whose every
    /// audience must be trusted only; empty otherwise).
    pub fn also_trusted_audiences(&self) -> &[String] {
        &self.settings.also_trusted
    }

    /// Validates a token, fetching keys from the source once if the token names
    /// a key not yet known.
    pub async fn validate(&self, token: &str) -> Result<Validated<K>, ValidationError> {
        match self.validate_cached(token) {
            Err(ValidationError::UnknownKey) => {
                let kid = self.settings.jws.kid_of(token);
                if self.settings.keys.refresh(kid.as_deref()).await {
                    self.validate_cached(token)
                } else {
                    Err(ValidationError::UnknownKey)
                }
            }
            other => other,
        }
    }

    /// Validates a token with the keys already known to the source (no I/O).
    pub fn validate_cached(&self, token: &str) -> Result<Validated<K>, ValidationError> {
        // The span names the kind; the outcome event names the error kind
        // only. Neither carries token bytes or claims.
        let span = tracing::debug_span!("validate", kind = K::PROFILE.name);
        let _entered = span.enter();
        let outcome = self.validate_unlogged(token);
        if let Err(error) = &outcome {
            tracing::debug!(%error, "refused");
        }
        outcome
    }

    fn validate_unlogged(&self, token: &str) -> Result<Validated<K>, ValidationError> {
        let s = &self.settings;
        let (alg, header, payload) = s.jws.verify_with(token, s.keys.as_ref(), |typ| {
            check_typ(K::PROFILE.typ, s.typ.as_deref(), typ)
        })?;
        let claims = parse_claims(&payload, s.jws.max_depth())?;
        self.check_claims(&claims)?;
        Ok(Validated {
            claims,
            alg,
            header,
            kind: PhantomData,
        })
    }

    fn check_claims(&self, claims: &Claims) -> Result<(), ValidationError> {
        let profile = K::PROFILE;
        for name in profile.required.iter().chain(&self.settings.required) {
            if !claims.has(name) {
                return Err(ValidationError::MissingClaim(name));
            }
        }
        if claims.iss.as_deref() != Some(self.issuer.as_str()) {
            return Err(match claims.iss {
                None => ValidationError::MissingClaim("iss"),
                Some(_) => ValidationError::WrongIssuer,
            });
        }
        if claims.aud.is_empty() {
            return Err(ValidationError::MissingClaim("aud"));
        }
        if !claims.aud.iter().any(|a| self.audiences.contains(a)) {
            return Err(ValidationError::WrongAudience);
        }
        // OpenID Connect Core 1.0 section 3.1.3.7 step 3: "The ID Token MUST be
        // rejected if [...] it contains additional audiences not trusted by the
        // Client", whatever `azp` says.
        if profile.every_audience_trusted && !claims.aud.iter().all(|a| self.trusts(a)) {
            return Err(ValidationError::UntrustedAudience);
        }
        if profile.single_audience && claims.aud.len() != 1 {
            return Err(ValidationError::Profile {
                kind: profile.name,
                rule: "`aud` must be a single value",
            });
        }
        let now = self.settings.clock.now();
        let leeway = self.settings.leeway;
        // RFC 7519 section 4.1.4: the current time must be before `exp`.
        if claims
            .exp
            .is_some_and(|exp| now >= exp.saturating_add(leeway))
        {
            return Err(ValidationError::Expired);
        }
        // RFC 7519 section 4.1.5: not before `nbf`.
        if claims
            .nbf
            .is_some_and(|nbf| now.saturating_add(leeway) < nbf)
        {
            return Err(ValidationError::NotYetValid);
        }
        // RFC 7519 section 4.1.6 with RFC 8725 section 3.9 in mind: `iat` far in
        // the future signals a wrong clock or a forged token.
        if claims
            .iat
            .is_some_and(|iat| iat > now.saturating_add(leeway))
        {
            return Err(ValidationError::IssuedInFuture);
        }
        (profile.check)(claims, &self.audiences).map_err(|rule| ValidationError::Profile {
            kind: profile.name,
            rule,
        })
    }

    fn trusts(&self, audience: &String) -> bool {
        self.audiences.contains(audience) || self.settings.also_trusted.contains(audience)
    }
}

fn parse_claims(payload: &[u8], max_depth: usize) -> Result<Claims, ValidationError> {
    let mut de = serde_json::Deserializer::from_slice(payload);
    let claims = serde::de::DeserializeSeed::deserialize(ClaimsSeed { max_depth }, &mut de)
        .map_err(|e| match bad_claim_name(&e.to_string()) {
            Some(name) => ValidationError::InvalidClaim(name),
            None => json_error(json::classify(&e), "claims are not a JSON object"),
        })?;
    de.end()
        .map_err(|_| ValidationError::Malformed("trailing data after the claims"))?;
    Ok(claims)
}

impl<K: TokenKind, I, A> ValidatorBuilder<K, I, A> {
    /// The exact issuer (`iss`) accepted. Compared byte for byte.
    pub fn issuer(self, issuer: impl Into<String>) -> ValidatorBuilder<K, HasIssuer, A> {
        ValidatorBuilder {
            settings: self.settings,
            issuer: HasIssuer(issuer.into()),
            audience: self.audience,
            kind: PhantomData,
        }
    }

    /// The audience this validator serves; `aud` must contain it.
    pub fn audience(self, audience: impl Into<String>) -> ValidatorBuilder<K, I, HasAudience> {
        self.audiences([audience.into()])
    }

    /// Several accepted audiences; `aud` must contain at least one.
    pub fn audiences(
        self,
        audiences: impl IntoIterator<Item = impl Into<String>>,
    ) -> ValidatorBuilder<K, I, HasAudience> {
        ValidatorBuilder {
            settings: self.settings,
            issuer: self.issuer,
            audience: HasAudience(audiences.into_iter().map(Into::into).collect()),
            kind: PhantomData,
        }
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Clock skew tolerated on time claims, in seconds (default 60).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.settings.leeway = seconds.max(0);
        self
    }

    /// Largest token accepted, in bytes (default 16 KiB).
    #[must_use]
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.settings.jws = self.settings.jws.max_token_bytes(bytes);
        self
    }

    /// Deepest nesting of JSON accepted inside header and claim values (default 16).
    #[must_use]
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.settings.jws = self.settings.jws.max_json_depth(depth);
        self
    }

    /// Restricts the accepted algorithms to these asymmetric ones (default: all
    /// of RS256, PS256, ES256, EdDSA). HS256 is ignored here; see
    /// [`allow_shared_secret`](ValidatorBuilder::allow_shared_secret).
    #[must_use]
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        let shared = self.settings.jws.algorithms().contains(&Algorithm::Hs256);
        let mut allowed: Vec<Algorithm> = algorithms
            .iter()
            .copied()
            .filter(|a| !a.is_symmetric())
            .collect();
        if shared {
            allowed.push(Algorithm::Hs256);
        }
        self.settings.jws.set_algorithms(allowed);
        self
    }

    /// Requires a further claim to be present.
    #[must_use]
    pub fn require_claim(mut self, name: &'static str) -> Self {
        self.settings.required.push(name);
        self
    }
}

impl<K: SharedSecretKind, I, A> ValidatorBuilder<K, I, A> {
    /// Also accepts HS256 signatures with a shared secret from the key source.
    /// Only kinds whose specification allows a shared secret offer this.
    #[must_use]
    pub fn allow_shared_secret(mut self) -> Self {
        let mut allowed = self.settings.jws.algorithms().to_vec();
        if !allowed.contains(&Algorithm::Hs256) {
            allowed.push(Algorithm::Hs256);
        }
        self.settings.jws.set_algorithms(allowed);
        self
    }
}

impl<K: StrictAudienceKind, I> ValidatorBuilder<K, I, HasAudience> {
    /// Audiences trusted besides the accepted ones: a token may list them next
    /// to an accepted audience, but they never stand in for it. Any other value
    /// in `aud` is refused (OpenID Connect Core 1.0 section 3.1.3.7 step 3), so
    /// without this call every audience of an ID token must be an accepted one.
    #[must_use]
    pub fn also_trust_audiences(
        mut self,
        audiences: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.settings
            .also_trusted
            .extend(audiences.into_iter().map(Into::into));
        self
    }
}

impl<I, A> ValidatorBuilder<Generic, I, A> {
    /// The `typ` the token must carry (compared per RFC 7515 section 4.1.9).
    #[must_use]
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.settings.typ = Some(typ.into());
        self
    }
}

impl<K: TokenKind> ValidatorBuilder<K, HasIssuer, HasAudience> {
    /// The validator.
    pub fn build(self) -> Validator<K> {
        Validator {
            settings: self.settings,
            issuer: self.issuer.0,
            audiences: self.audience.0,
            kind: PhantomData,
        }
    }
}
