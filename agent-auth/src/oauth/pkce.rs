//! PKCE (RFC 7636) with the `S256` method only: `plain` would send the
//! verifier itself, which RFC 9700 section 2.1.1 advises against.

use crate::jose::base64url;
use crate::secret::SecretString;

/// A code verifier and its `S256` challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

/// Bytes of randomness in a verifier: 32 bytes give the 43 base64url
/// characters RFC 7636 section 4.1 asks for at least (and 256 bits of entropy,
/// section 7.1).
const VERIFIER_BYTES: usize = 32;

impl Pkce {
    /// A fresh verifier from the system random source; `None` if it fails.
    pub fn generate() -> Option<Self> {
        let mut bytes = [0u8; VERIFIER_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).ok()?;
        Some(Self::from_verifier(SecretString::new(base64url::encode(
            bytes,
        ))))
    }

    /// The pair for a known verifier (RFC 7636 section 4.2:
    /// `BASE64URL(SHA256(ASCII(code_verifier)))`).
    pub fn from_verifier(verifier: SecretString) -> Self {
        let challenge = base64url::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            verifier.expose_secret().as_bytes(),
        ));
        Self {
            verifier,
            challenge,
        }
    }

    /// `code_challenge`.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// `code_challenge_method`.
    pub fn method(&self) -> &'static str {
        "S256"
    }

    /// `code_verifier`, sent with the token request.
    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let p = Pkce::from_verifier(SecretString::new(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ));
        assert_eq!(p.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(p.method(), "S256");
    }

    #[test]
    fn generated_verifiers_are_long_enough_and_distinct() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier().expose_secret().len(), 43);
        assert_ne!(a.verifier(), b.verifier());
        assert!(!format!("{a:?}").contains(a.verifier().expose_secret()));
    }
}
