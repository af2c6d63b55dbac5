//! Small cryptographic helpers of the authority: random handles, digests, PKCE.

use agent_auth::jose::{Algorithm, base64url};
use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// A fresh random handle: 32 bytes from the system CSPRNG, base64url (256 bits).
pub(crate) fn random_handle() -> Result<String, super::OAuthError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| super::OAuthError::server_error("randomness unavailable"))?;
    Ok(base64url::encode(bytes))
}

/// A fresh random value like [`random_handle`], or `None` when the system
/// CSPRNG fails (callers map that to their own error).
pub(crate) fn random_value() -> Option<String> {
    random_bytes(32).map(base64url::encode)
}

/// Random bytes.
pub(crate) fn random_bytes(len: usize) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(bytes)
}

/// The storage key of a secret handle: SHA-256, base64url. Stored records are
/// keyed by this digest, so a copy of the store does not yield usable handles.
pub(crate) fn handle_key(handle: &str) -> String {
    base64url::encode(digest::digest(&digest::SHA256, handle.as_bytes()))
}

/// `at_hash` / `c_hash` (OpenID Connect Core 3.1.3.6, 3.3.2.11).
pub(crate) fn half_hash(alg: Algorithm, value: &str) -> String {
    agent_auth::jose::left_half_hash(alg, value)
}

/// RFC 7636 section 4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub(crate) fn valid_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 section 4.6, method S256: BASE64URL(SHA256(ASCII(code_verifier))).
pub(crate) fn pkce_s256(verifier: &str) -> String {
    base64url::encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(valid_pkce_verifier(verifier));
        assert_eq!(
            pkce_s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!valid_pkce_verifier("short"));
    }

    #[test]
    fn handles_are_unique_and_keys_stable() {
        let a = random_handle().unwrap();
        assert_ne!(a, random_handle().unwrap());
        assert_eq!(handle_key(&a), handle_key(&a));
        assert_eq!(half_hash(Algorithm::Es256, "x").len(), 22);
    }
}
