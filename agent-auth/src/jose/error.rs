//! Errors of key handling.

use super::Algorithm;

/// A key could not be generated, imported or used.
///
/// Messages name what was wrong with the key, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The JWK, JWKS or PEM text is not well-formed.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// A JWK member is missing.
    #[error("JWK member `{0}` is missing")]
    MissingMember(&'static str),
    /// The key type or curve is not one this crate supports.
    #[error("unsupported key type or curve: {0}")]
    Unsupported(String),
    /// The key is of another type than the algorithm needs.
    #[error("a {key_type} key cannot be used with {alg}")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        alg: Algorithm,
        /// The type of the key given.
        key_type: &'static str,
    },
    /// The key material was refused by the cryptographic library (inconsistent
    /// components, a point not on the curve, a modulus under 2048 bits...).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// The key is marked for another use than signatures (`use` or `key_ops`).
    #[error("key is not for signature verification")]
    NotForSignatures,
    /// The shared secret is shorter than the algorithm's hash (RFC 7518 section 3.2).
    #[error("HMAC secret must be at least 32 bytes")]
    SecretTooShort,
    /// A key set mixes shared secrets with public keys, or repeats a key id for
    /// the same algorithm: a token could then be checked with the wrong key.
    #[error("ambiguous key set: {0}")]
    AmbiguousKeySet(&'static str),
    /// Signing failed inside the cryptographic library.
    #[error("signing failed")]
    SigningFailed,
}
