//! The signature algorithms this crate signs and verifies (RFC 7518, RFC 8037),
//! each bound to exactly one key type (RFC 8725 section 3.1).

use std::fmt;

/// A JWS algorithm. `none` has no variant: it cannot be named, so it cannot be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of at least 2048 bits.
    Rs256,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256, RSA keys of at least 2048 bits.
    Ps256,
    /// ECDSA on P-256 with SHA-256, signature as `r || s` (RFC 7518 section 3.4).
    Es256,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDsa,
    /// HMAC with SHA-256: a shared secret, allowed only where a profile says so.
    Hs256,
}

/// The key type an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA (`kty` = `RSA`).
    Rsa,
    /// Elliptic curve P-256 (`kty` = `EC`, `crv` = `P-256`).
    EcP256,
    /// Edwards curve Ed25519 (`kty` = `OKP`, `crv` = `Ed25519`).
    Ed25519,
    /// A symmetric secret (`kty` = `oct`).
    Symmetric,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Rs256,
        Algorithm::Ps256,
        Algorithm::Es256,
        Algorithm::EdDsa,
        Algorithm::Hs256,
    ];

    /// The asymmetric algorithms: the default allow-list of every profile.
    pub const ASYMMETRIC: [Algorithm; 4] = [
        Algorithm::Rs256,
        Algorithm::Ps256,
        Algorithm::Es256,
        Algorithm::EdDsa,
    ];

    /// The registered `alg` name.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Ps256 => "PS256",
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Hs256 => "HS256",
        }
    }

    /// Parses an `alg` value. Names are case-sensitive (RFC 7515 section 4.1.1):
    /// `rs256` is not `RS256`, and `none` in any casing is not an algorithm here.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The one key type this algorithm is used with.
    pub const fn key_type(self) -> KeyType {
        match self {
            Algorithm::Rs256 | Algorithm::Ps256 => KeyType::Rsa,
            Algorithm::Es256 => KeyType::EcP256,
            Algorithm::EdDsa => KeyType::Ed25519,
            Algorithm::Hs256 => KeyType::Symmetric,
        }
    }

    /// Whether the algorithm uses a shared secret.
    pub const fn is_symmetric(self) -> bool {
        matches!(self, Algorithm::Hs256)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl KeyType {
    /// The algorithm assumed for a key whose JWK names none. RSA keys default to
    /// RS256, the algorithm OpenID Connect requires every provider to support.
    pub const fn default_algorithm(self) -> Algorithm {
        match self {
            KeyType::Rsa => Algorithm::Rs256,
            KeyType::EcP256 => Algorithm::Es256,
            KeyType::Ed25519 => Algorithm::EdDsa,
            KeyType::Symmetric => Algorithm::Hs256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        for bad in [
            "none", "None", "NONE", "nOnE", "rs256", "Es256", "HS512", "",
        ] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad}");
        }
    }
}
