//! The left-half hash of OpenID Connect Core (`at_hash` 3.1.3.6, `c_hash` 3.3.2.11).

use super::{Algorithm, base64url};
use aws_lc_rs::digest;

/// Hashes `value` with the hash of the JWS `alg` (SHA-512 for EdDSA, SHA-256
/// otherwise) and returns the base64url of the left-most half of the digest.
pub fn left_half_hash(alg: Algorithm, value: &str) -> String {
    let algorithm = match alg {
        Algorithm::EdDsa => &digest::SHA512,
        _ => &digest::SHA256,
    };
    let d = digest::digest(algorithm, value.as_bytes());
    let bytes = d.as_ref();
    base64url::encode(bytes.get(..bytes.len() / 2).unwrap_or_default())
}
