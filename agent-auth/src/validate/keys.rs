//! Where a validator finds verification keys.

use super::ValidationError;
use crate::jose::{Algorithm, KeyError, KeySet, VerifyingKey, jwk};
use std::sync::Arc;

/// A set of trusted verification keys.
///
/// `find` answers from keys already held. A source that can learn new keys (a
/// remote JWKS) overrides `refresh`, which the validator calls once when `find`
/// reports an unknown key.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The key for a token's `kid` (an opaque label) and `alg`.
    fn find(&self, kid: Option<&str>, alg: Algorithm)
    -> Result<Arc<VerifyingKey>, ValidationError>;

    /// Tries to learn keys not yet known, because a token named `kid`. Returns
    /// whether the key set changed. The default learns nothing.
    async fn refresh(&self, _kid: Option<&str>) -> bool {
        false
    }
}

/// Picks the key for `kid` and `alg` among `keys`.
///
/// With a `kid`, the key must carry exactly that id and be bound to `alg`. Without
/// one, exactly one key bound to `alg` must exist (OpenID Connect Core section 10.1).
pub fn select_key(
    keys: &[Arc<VerifyingKey>],
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Arc<VerifyingKey>, ValidationError> {
    match kid {
        Some(kid) => {
            let mut named = keys.iter().filter(|k| k.kid() == Some(kid)).peekable();
            if named.peek().is_none() {
                return Err(ValidationError::UnknownKey);
            }
            let mut usable = named.filter(|k| k.algorithm() == alg);
            match (usable.next(), usable.next()) {
                (Some(key), None) => Ok(Arc::clone(key)),
                (None, _) => Err(ValidationError::KeyAlgorithmMismatch(alg)),
                (Some(_), Some(_)) => Err(ValidationError::AmbiguousKey),
            }
        }
        None => {
            let mut candidates = keys.iter().filter(|k| k.algorithm() == alg);
            match (candidates.next(), candidates.next()) {
                (Some(key), None) => Ok(Arc::clone(key)),
                (None, _) => Err(ValidationError::UnknownKey),
                (Some(_), Some(_)) => Err(ValidationError::AmbiguousKey),
            }
        }
    }
}

/// A fixed list of trusted keys.
#[derive(Debug, Clone, Default)]
pub struct StaticKeys {
    keys: Vec<Arc<VerifyingKey>>,
}

impl StaticKeys {
    /// Trusts exactly `keys`.
    ///
    /// A set that mixes shared secrets with public keys is refused: a verifier
    /// holding both can be tricked into checking an HMAC made with public bytes.
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<Self, KeyError> {
        let keys: Vec<Arc<VerifyingKey>> = keys.into_iter().map(Arc::new).collect();
        let symmetric = keys.iter().filter(|k| k.algorithm().is_symmetric()).count();
        if symmetric != 0 && symmetric != keys.len() {
            return Err(KeyError::AmbiguousKeySet(
                "shared secrets mixed with public keys",
            ));
        }
        Ok(Self { keys })
    }

    /// Trusts one key.
    pub fn single(key: VerifyingKey) -> Self {
        Self {
            keys: vec![Arc::new(key)],
        }
    }

    /// Trusts the signature keys of a JWK Set document. Keys of unsupported types
    /// and keys marked for encryption are skipped; a malformed document is an error.
    pub fn from_jwks(document: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            keys: parse_jwks(document)?.into_iter().map(Arc::new).collect(),
        })
    }

    /// The keys.
    pub fn keys(&self) -> &[Arc<VerifyingKey>] {
        &self.keys
    }
}

impl KeySource for StaticKeys {
    fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, ValidationError> {
        select_key(&self.keys, kid, alg)
    }
}

/// Parses a JWK Set (RFC 7517 section 5) into verification keys.
///
/// Keys this crate cannot use (other key types or curves, `use: enc`) are
/// skipped, as section 5 asks; a key of a supported type that is invalid is an
/// error, as is a document that is not a JSON object with a `keys` array.
pub fn parse_jwks(document: &[u8]) -> Result<Vec<VerifyingKey>, KeyError> {
    let value = jwk::parse_document(document)?;
    let serde_json::Value::Object(mut members) = value else {
        return Err(KeyError::Malformed("a JWK Set must be a JSON object"));
    };
    let Some(serde_json::Value::Array(entries)) = members.remove("keys") else {
        return Err(KeyError::Malformed("a JWK Set needs a `keys` array"));
    };
    let mut keys = Vec::with_capacity(entries.len());
    for entry in entries {
        let fields = jwk::JwkFields::from_value(entry)?;
        if fields.k.is_some() || fields.d.is_some() {
            return Err(KeyError::Malformed(
                "a published JWK Set holds private or secret keys",
            ));
        }
        match VerifyingKey::from_fields(&fields) {
            Ok(key) => keys.push(key),
            Err(KeyError::Unsupported(_) | KeyError::NotForSignatures) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(keys)
}

/// A rotating key set verifies with its active key and the retired keys still
/// inside their overlap window.
impl KeySource for KeySet {
    fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, ValidationError> {
        self.with_live_keys(|keys| select_key(keys, kid, alg))
    }
}
