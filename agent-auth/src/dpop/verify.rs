//! The proof checks of RFC 9449 section 4.3, in its order, for authorization
//! and resource servers alike.

use super::{DpopError, JtiCache, NonceSource, header, htu};
use crate::clock::{SharedClock, system_clock};
use crate::jose::compact::{self, SplitError};
use crate::jose::json::{self, JsonProblem};
use crate::jose::{Algorithm, base64url};
use crate::validate::{DpopProof, TokenKind};
use serde_json::Value;
use std::sync::Arc;

/// Default age, in seconds, past which a proof's `iat` is too old.
pub const DEFAULT_PROOF_MAX_AGE: i64 = 60;
/// Default tolerance, in seconds, for an `iat` ahead of the server's clock.
pub const DEFAULT_PROOF_LEEWAY: i64 = 5;
/// Largest proof read, checked before any parsing.
const MAX_PROOF_BYTES: usize = 8 * 1024;
/// Largest signature read (RSA 4096).
const MAX_SIGNATURE_BYTES: usize = 512;

/// The request a proof must match.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    method: &'a str,
    uri: &'a str,
    access_token: Option<&'a str>,
    bound_to: Option<&'a str>,
}

impl<'a> ProofRequest<'a> {
    /// A request with `method` to the absolute `uri` (as the server knows its
    /// own origin; query and fragment are ignored).
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        Self {
            method,
            uri,
            access_token: None,
            bound_to: None,
        }
    }

    /// The request also presents `access_token`, bound to the key with
    /// thumbprint `jkt` (its `cnf.jkt`): the proof must carry its `ath` and be
    /// signed by that key (RFC 9449 section 4.3 check 12).
    #[must_use]
    pub fn with_access_token(mut self, access_token: &'a str, jkt: &'a str) -> Self {
        self.access_token = Some(access_token);
        self.bound_to = Some(jkt);
        self
    }
}

/// A proof that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    jkt: String,
    alg: Algorithm,
    iat: i64,
}

impl VerifiedProof {
    /// The RFC 7638 thumbprint of the proof key, to bind tokens to (`cnf.jkt`).
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// The algorithm that signed the proof.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The proof's `iat`.
    pub fn issued_at(&self) -> i64 {
        self.iat
    }
}

/// Checks DPoP proofs (RFC 9449 section 4.3): one well-formed JWT (2) with
/// the required claims (3), `typ` `dpop+jwt` (4), an allowed asymmetric `alg`
/// (5), a signature by the header `jwk` (6) that holds no private key (7),
/// `htm` (8) and `htu` (9) of the request, the server's nonce when one is
/// required (10), `iat` within the window (11), `ath` and the key binding of
/// the presented token (12), and a `jti` not seen before (section 11.1). The
/// `jti` is recorded only once every check passed: a refused proof changes
/// nothing. Check 1 (one `DPoP` header) is the HTTP layer's.
#[derive(Debug, Clone)]
pub struct ProofVerifier {
    algorithms: Vec<Algorithm>,
    clock: SharedClock,
    max_age: i64,
    leeway: i64,
    replay: Arc<JtiCache>,
    nonces: Option<Arc<NonceSource>>,
}

impl Default for ProofVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ProofVerifier {
    /// A verifier allowing ES256, EdDSA, PS256 and RS256, with the default
    /// window, its own replay cache and no nonce.
    pub fn new() -> Self {
        Self {
            algorithms: vec![
                Algorithm::Es256,
                Algorithm::EdDsa,
                Algorithm::Ps256,
                Algorithm::Rs256,
            ],
            clock: system_clock(),
            max_age: DEFAULT_PROOF_MAX_AGE,
            leeway: DEFAULT_PROOF_LEEWAY,
            replay: Arc::new(JtiCache::default()),
            nonces: None,
        }
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The accepted algorithms; symmetric ones are dropped (RFC 9449 section
    /// 4.3 check 5).
    #[must_use]
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms
            .iter()
            .copied()
            .filter(|a| !a.is_symmetric())
            .collect();
        self
    }

    /// How old (`max_age`) and how far ahead (`leeway`) an `iat` may be, in
    /// seconds (defaults 60 and 5).
    #[must_use]
    pub fn window(mut self, max_age: i64, leeway: i64) -> Self {
        self.max_age = max_age.max(0);
        self.leeway = leeway.max(0);
        self
    }

    /// Shares a replay cache (several verifiers of one server).
    #[must_use]
    pub fn replay_cache(mut self, cache: Arc<JtiCache>) -> Self {
        self.replay = cache;
        self
    }

    /// Requires every proof to carry a current nonce of `nonces` (RFC 9449
    /// sections 8 and 9).
    #[must_use]
    pub fn require_nonce(mut self, nonces: Arc<NonceSource>) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// The accepted algorithms, for `dpop_signing_alg_values_supported` and the
    /// `algs` challenge parameter.
    pub fn allowed_algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The nonce to send in `DPoP-Nonce`, when nonces are required.
    pub fn current_nonce(&self) -> Option<String> {
        self.nonces.as_ref().map(|n| n.current(self.clock.now()))
    }

    /// Checks `proof` against `request`.
    pub fn verify(
        &self,
        proof: &str,
        request: &ProofRequest<'_>,
    ) -> Result<VerifiedProof, DpopError> {
        if proof.len() > MAX_PROOF_BYTES {
            return Err(DpopError::TooLarge);
        }
        // Check 2: one JWS in compact form, signed.
        let parts = compact::split(proof.as_bytes()).map_err(|e| match e {
            SplitError::Structure => DpopError::Malformed("not three dot-separated parts"),
            SplitError::EmptyHeader => DpopError::Malformed("header is empty"),
            SplitError::EmptySignature => DpopError::Malformed("signature is empty"),
        })?;
        // Checks 4, 5, 7.
        let header = header::parse(parts.header, &self.algorithms)?;
        // Check 6.
        let mut buf = [0u8; MAX_SIGNATURE_BYTES];
        let signature = base64url::decode_slice(parts.signature, &mut buf)
            .ok_or(DpopError::Malformed("signature is not base64url"))?;
        if !header.key.verify(parts.signing_input, signature) {
            return Err(DpopError::InvalidSignature);
        }
        // Check 3.
        let payload = base64url::decode(parts.payload)
            .ok_or(DpopError::Malformed("payload is not base64url"))?;
        let claims = parse_claims(&payload)?;
        let text = |name: &'static str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .ok_or(DpopError::Claim(name))
        };
        for name in DpopProof::PROFILE.required {
            if !claims.contains_key(*name) {
                return Err(DpopError::Claim(name));
            }
        }
        let jti = text("jti")?;
        let htm = text("htm")?;
        let htu_claim = text("htu")?;
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(DpopError::Claim("iat"))?;
        // Check 8: methods are case-sensitive (RFC 9110 section 9.1).
        if htm != request.method {
            return Err(DpopError::WrongMethod);
        }
        // Check 9.
        let expected = htu::normalize_htu(request.uri).ok_or(DpopError::WrongUri)?;
        if htu::normalize_htu(htu_claim).as_deref() != Some(expected.as_str()) {
            return Err(DpopError::WrongUri);
        }
        let now = self.clock.now();
        // Check 10 (sections 8 and 9): a missing, stale or foreign nonce asks
        // the client to retry with the current one.
        if let Some(nonces) = &self.nonces {
            match claims.get("nonce") {
                Some(Value::String(nonce)) if nonces.accepts(nonce, now) => {}
                Some(Value::String(_)) | None => return Err(DpopError::UseNonce),
                Some(_) => return Err(DpopError::Claim("nonce")),
            }
        }
        // Check 11.
        if iat < now.saturating_sub(self.max_age) || iat > now.saturating_add(self.leeway) {
            return Err(DpopError::Stale);
        }
        let jkt = header
            .key
            .thumbprint()
            .ok_or(DpopError::Key("no thumbprint"))?;
        // Check 12.
        if let Some(token) = request.access_token {
            match claims.get("ath").and_then(Value::as_str) {
                Some(ath) if ath == super::access_token_hash(token) => {}
                _ => return Err(DpopError::WrongAccessTokenHash),
            }
        }
        if let Some(bound) = request.bound_to
            && !crate::secret::constant_time_eq(bound.as_bytes(), jkt.as_bytes())
        {
            return Err(DpopError::KeyMismatch);
        }
        // Section 11.1, last so that a refused proof leaves no trace.
        self.replay
            .record(jti, iat, now, self.max_age, self.leeway)?;
        Ok(VerifiedProof {
            jkt,
            alg: header.alg,
            iat,
        })
    }
}

fn parse_claims(payload: &[u8]) -> Result<serde_json::Map<String, Value>, DpopError> {
    match json::parse_strict(payload, json::DEFAULT_MAX_DEPTH) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(DpopError::Malformed("claims are not a JSON object")),
        Err(JsonProblem::Duplicate) => Err(DpopError::Malformed("duplicate claim name")),
        Err(JsonProblem::TooDeep) => Err(DpopError::Malformed("claims nest too deeply")),
        Err(JsonProblem::Syntax) => Err(DpopError::Malformed("claims are not a JSON object")),
    }
}
