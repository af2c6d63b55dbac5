//! The JWS layer of validation (RFC 7515, RFC 8725): structure, protected header,
//! algorithm, key and signature. Claims are the caller's business.

use super::header_memo::{self, ParsedHeader};
use super::{KeySource, ValidationError};
use crate::jose::compact::{self, Parts, SplitError};
use crate::jose::json;
use crate::jose::{Algorithm, base64url};
use std::sync::Arc;

/// Default cap on the size of a token, checked before any parsing.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Largest signature accepted (RSA 4096).
const MAX_SIGNATURE_BYTES: usize = 512;
/// Its length in unpadded base64url.
const MAX_SIGNATURE_CHARS: usize = (MAX_SIGNATURE_BYTES * 4).div_ceil(3);

/// Verifies compact JWS signatures with keys from a trusted [`KeySource`].
///
/// In order: the size cap (nothing is parsed before it); exactly three
/// base64url parts (RFC 7515 section 7.1; white space, padding and trailing data
/// refused) with a non-empty signature (RFC 7519 section 6: no unsecured JWS);
/// a strict JSON header whose registered members have their RFC 7515 section
/// 4.1 types; `alg` among the allowed algorithms (`none` cannot be named); no
/// `crit` (RFC 7515 section 4.1.11: no extension is understood, so any is
/// refused); no `cty: JWT` (RFC 7519 section 7.2 step 8: nested tokens are not
/// unwrapped); the key chosen by the opaque `kid` and bound to `alg` (RFC 8725
/// sections 3.1 and 3.10: `jwk`, `jku`, `x5u`, `x5c` are never key sources);
/// the signature.
#[derive(Debug, Clone)]
pub struct JwsVerifier {
    algorithms: Vec<Algorithm>,
    max_token_bytes: usize,
    max_depth: usize,
}

/// A JWS whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJws {
    /// The algorithm that signed it.
    pub alg: Algorithm,
    /// The header `kid`.
    pub kid: Option<String>,
    /// The header `typ`.
    pub typ: Option<String>,
    /// The decoded payload.
    pub payload: Vec<u8>,
}

impl JwsVerifier {
    /// A verifier allowing exactly `algorithms`.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        Self {
            algorithms: algorithms.to_vec(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            max_depth: json::DEFAULT_MAX_DEPTH,
        }
    }

    /// Largest token accepted, in bytes (default 16 KiB).
    #[must_use]
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Deepest JSON nesting accepted in header values (default 16).
    #[must_use]
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    pub(crate) fn set_algorithms(&mut self, algorithms: Vec<Algorithm>) {
        self.algorithms = algorithms;
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Verifies `token` and returns its header facts and payload.
    pub fn verify(
        &self,
        token: &str,
        keys: &dyn KeySource,
    ) -> Result<VerifiedJws, ValidationError> {
        let (alg, header, payload) = self.verify_with(token, keys, |_| Ok(()))?;
        Ok(VerifiedJws {
            alg,
            kid: header.kid.clone(),
            typ: header.typ.clone(),
            payload,
        })
    }

    /// Like [`verify`](Self::verify), with a check of `typ` run before any key
    /// lookup or signature work; returns the algorithm, the parsed header and
    /// the payload.
    pub(crate) fn verify_with(
        &self,
        token: &str,
        keys: &dyn KeySource,
        check_typ: impl FnOnce(Option<&str>) -> Result<(), ValidationError>,
    ) -> Result<(Algorithm, Arc<ParsedHeader>, Vec<u8>), ValidationError> {
        let parts = self.split(token)?;
        let header = header_memo::parse(parts.header, self.max_depth)?;
        let alg = header.alg.ok_or(ValidationError::UnsupportedAlgorithm)?;
        if !self.algorithms.contains(&alg) {
            return Err(ValidationError::AlgorithmNotAllowed(alg));
        }
        if header.crit {
            return Err(ValidationError::CriticalHeader);
        }
        // RFC 7519 section 7.2 step 8: `cty: JWT` makes the payload a nested
        // JWT. Its claims would be those of the inner token, signed by whoever
        // signed that one: refused rather than unwrapped or misread.
        if header.nested_jwt {
            return Err(ValidationError::NestedJwt);
        }
        check_typ(header.typ.as_deref())?;
        let key = keys.find(header.kid.as_deref(), alg)?;
        let payload = base64url::decode(parts.payload)
            .ok_or(ValidationError::Malformed("payload is not base64url"))?;
        if parts.signature.len() > MAX_SIGNATURE_CHARS {
            return Err(ValidationError::Malformed("signature is too long"));
        }
        let mut buf = [0u8; MAX_SIGNATURE_BYTES];
        let signature = base64url::decode_slice(parts.signature, &mut buf)
            .ok_or(ValidationError::Malformed("signature is not base64url"))?;
        if !key.verify(parts.signing_input, signature) {
            return Err(ValidationError::InvalidSignature);
        }
        Ok((alg, header, payload))
    }

    /// The header `kid` of a token, if it parses (no signature check).
    pub(crate) fn kid_of(&self, token: &str) -> Option<String> {
        let parts = self.split(token).ok()?;
        header_memo::parse(parts.header, self.max_depth)
            .ok()?
            .kid
            .clone()
    }

    fn split<'a>(&self, token: &'a str) -> Result<Parts<'a>, ValidationError> {
        let bytes = token.as_bytes();
        if bytes.len() > self.max_token_bytes {
            return Err(ValidationError::TooLarge {
                size: bytes.len(),
                max: self.max_token_bytes,
            });
        }
        compact::split(bytes).map_err(|e| match e {
            SplitError::Structure => ValidationError::Malformed("not three dot-separated parts"),
            SplitError::EmptyHeader => ValidationError::Malformed("header is empty"),
            SplitError::EmptySignature => ValidationError::EmptySignature,
        })
    }
}
