//! Public (or shared-secret) keys that verify signatures, parsed once at import.

use super::jwk::{JwkFields, PublicJwk, decode_member};
use super::{Algorithm, KeyError, KeyType, base64url};
use aws_lc_rs::signature::{self, ParsedPublicKey};
use aws_lc_rs::{hmac, rsa};
use std::fmt;

/// A key that verifies signatures of exactly one algorithm (RFC 8725 section 3.1).
///
/// The key is parsed once, when it is created; verification does no parsing.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    material: Material,
    jwk: Option<PublicJwk>,
}

#[derive(Clone)]
enum Material {
    Public(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn rsa_params(alg: Algorithm) -> Option<&'static signature::RsaParameters> {
    match alg {
        Algorithm::Rs256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::Ps256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
        _ => None,
    }
}

fn rejected(e: impl fmt::Display) -> KeyError {
    KeyError::Rejected(e.to_string())
}

fn mismatch(alg: Algorithm, key_type: &'static str) -> KeyError {
    KeyError::AlgorithmMismatch { alg, key_type }
}

/// DER prefix of a P-256 SubjectPublicKeyInfo, before the 65-byte point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo, before the 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl VerifyingKey {
    /// An RSA public key from its modulus and exponent (big-endian, no leading zeros).
    pub fn from_rsa_components(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let params = rsa_params(alg).ok_or_else(|| mismatch(alg, "RSA"))?;
        let parsed = rsa::PublicKeyComponents { n, e }
            .to_parsed_public_key(params)
            .map_err(rejected)?;
        if n.len() < 256 {
            return Err(KeyError::Rejected(
                "RSA modulus shorter than 2048 bits".into(),
            ));
        }
        if super::roca::has_roca_fingerprint(n) {
            return Err(KeyError::Rejected(
                "RSA modulus has the ROCA fingerprint".into(),
            ));
        }
        let jwk = PublicJwk {
            kty: "RSA".into(),
            kid: None,
            alg: alg.name().into(),
            use_: "sig".into(),
            crv: None,
            x: None,
            y: None,
            n: Some(base64url::encode(n)),
            e: Some(base64url::encode(e)),
        };
        Ok(Self::public(alg, parsed, jwk))
    }

    /// A P-256 public key from its affine coordinates (32 bytes each).
    pub fn from_ec_coordinates(alg: Algorithm, x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        if alg != Algorithm::Es256 {
            return Err(mismatch(alg, "EC P-256"));
        }
        if x.len() != 32 || y.len() != 32 {
            return Err(KeyError::Rejected(
                "P-256 coordinates must be 32 bytes".into(),
            ));
        }
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let parsed =
            ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point).map_err(rejected)?;
        let jwk = PublicJwk {
            kty: "EC".into(),
            kid: None,
            alg: alg.name().into(),
            use_: "sig".into(),
            crv: Some("P-256".into()),
            x: Some(base64url::encode(x)),
            y: Some(base64url::encode(y)),
            n: None,
            e: None,
        };
        Ok(Self::public(alg, parsed, jwk))
    }

    /// An Ed25519 public key (32 bytes).
    pub fn from_ed25519(alg: Algorithm, public: &[u8]) -> Result<Self, KeyError> {
        if alg != Algorithm::EdDsa {
            return Err(mismatch(alg, "Ed25519"));
        }
        if public.len() != 32 {
            return Err(KeyError::Rejected(
                "Ed25519 public key must be 32 bytes".into(),
            ));
        }
        let parsed = ParsedPublicKey::new(&signature::ED25519, public).map_err(rejected)?;
        let jwk = PublicJwk {
            kty: "OKP".into(),
            kid: None,
            alg: alg.name().into(),
            use_: "sig".into(),
            crv: Some("Ed25519".into()),
            x: Some(base64url::encode(public)),
            y: None,
            n: None,
            e: None,
        };
        Ok(Self::public(alg, parsed, jwk))
    }

    /// A shared HMAC secret, for profiles that explicitly allow one. At least 32
    /// bytes (RFC 7518 section 3.2).
    pub fn from_hmac_secret(alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        if alg != Algorithm::Hs256 {
            return Err(mismatch(alg, "symmetric"));
        }
        if secret.len() < 32 {
            return Err(KeyError::SecretTooShort);
        }
        Ok(Self {
            kid: None,
            alg,
            material: Material::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret))),
            jwk: None,
        })
    }

    /// A public key from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` block.
    pub fn from_pem(alg: Algorithm, pem_text: &str) -> Result<Self, KeyError> {
        let block = pem::parse(pem_text).map_err(|_| KeyError::Malformed("not a PEM block"))?;
        let der = block.contents();
        match (block.tag(), alg.key_type()) {
            ("PUBLIC KEY" | "RSA PUBLIC KEY", KeyType::Rsa) => {
                let key = rsa::PublicKey::from_der(der).map_err(rejected)?;
                Self::from_rsa_components(
                    alg,
                    key.modulus().big_endian_without_leading_zero(),
                    key.exponent().big_endian_without_leading_zero(),
                )
            }
            ("PUBLIC KEY", KeyType::EcP256) => {
                let point = der
                    .strip_prefix(&P256_SPKI_PREFIX[..])
                    .filter(|p| p.len() == 65 && p.first() == Some(&0x04))
                    .ok_or_else(|| KeyError::Unsupported("not a P-256 public key".into()))?;
                let (x, y) = point.get(1..).unwrap_or_default().split_at(32);
                Self::from_ec_coordinates(alg, x, y)
            }
            ("PUBLIC KEY", KeyType::Ed25519) => {
                let public = der
                    .strip_prefix(&ED25519_SPKI_PREFIX[..])
                    .ok_or_else(|| KeyError::Unsupported("not an Ed25519 public key".into()))?;
                Self::from_ed25519(alg, public)
            }
            (_, KeyType::Symmetric) => Err(mismatch(alg, "public")),
            _ => Err(KeyError::Malformed("unexpected PEM block type")),
        }
    }

    /// A key from a JWK (public members only are read; `oct` keys only for HS256).
    ///
    /// The algorithm is the JWK's `alg` member; without one, the key type's default
    /// ([`KeyType::default_algorithm`]). Keys marked for encryption are refused.
    pub fn from_jwk(jwk: &str) -> Result<Self, KeyError> {
        Self::from_fields(&JwkFields::parse(jwk.as_bytes())?)
    }

    pub(crate) fn from_fields(f: &JwkFields) -> Result<Self, KeyError> {
        if !f.is_for_signatures() {
            return Err(KeyError::NotForSignatures);
        }
        let key_type = key_type_of(f)?;
        let alg = match f.alg.as_deref() {
            Some(name) => Algorithm::from_name(name)
                .ok_or_else(|| KeyError::Unsupported(format!("algorithm {}", truncate(name))))?,
            None => key_type.default_algorithm(),
        };
        if alg.key_type() != key_type {
            return Err(mismatch(alg, key_type_name(key_type)));
        }
        let member = |field: &Option<String>, name: &'static str| {
            decode_member(JwkFields::required(field, name)?, name)
        };
        let key = match key_type {
            KeyType::Rsa => {
                Self::from_rsa_components(alg, &member(&f.n, "n")?, &member(&f.e, "e")?)?
            }
            KeyType::EcP256 => {
                Self::from_ec_coordinates(alg, &member(&f.x, "x")?, &member(&f.y, "y")?)?
            }
            KeyType::Ed25519 => Self::from_ed25519(alg, &member(&f.x, "x")?)?,
            KeyType::Symmetric => {
                let k = f.k.as_ref().ok_or(KeyError::MissingMember("k"))?;
                let secret = zeroize::Zeroizing::new(decode_member(k, "k")?);
                Self::from_hmac_secret(alg, &secret)?
            }
        };
        Ok(match &f.kid {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }

    fn public(alg: Algorithm, parsed: ParsedPublicKey, jwk: PublicJwk) -> Self {
        Self {
            kid: None,
            alg,
            material: Material::Public(parsed),
            jwk: Some(jwk),
        }
    }

    /// Sets the key id. The id is an opaque label: it is compared exactly, never
    /// interpreted as a path or URL.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        if let Some(jwk) = &mut self.jwk {
            jwk.kid = Some(kid.clone());
        }
        self.kid = Some(kid);
        self
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK, or `None` for a shared secret (which is never published).
    pub fn to_jwk(&self) -> Option<&PublicJwk> {
        self.jwk.as_ref()
    }

    /// The RFC 7638 thumbprint, or `None` for a shared secret.
    pub fn thumbprint(&self) -> Option<String> {
        self.jwk.as_ref().map(PublicJwk::thumbprint)
    }

    /// Checks `signature` over `message` with this key's one algorithm.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Public(key) => key.verify_sig(message, signature).is_ok(),
            Material::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        }
    }
}

pub(crate) fn key_type_of(f: &JwkFields) -> Result<KeyType, KeyError> {
    let kty = JwkFields::required(&f.kty, "kty")?;
    match (kty, f.crv.as_deref()) {
        ("RSA", _) => {
            if f.oth.is_some() {
                return Err(KeyError::Unsupported("multi-prime RSA".into()));
            }
            Ok(KeyType::Rsa)
        }
        ("EC", Some("P-256")) => Ok(KeyType::EcP256),
        ("OKP", Some("Ed25519")) => Ok(KeyType::Ed25519),
        ("oct", _) => Ok(KeyType::Symmetric),
        (kty, crv) => Err(KeyError::Unsupported(format!(
            "kty {} crv {}",
            truncate(kty),
            truncate(crv.unwrap_or("-"))
        ))),
    }
}

pub(crate) fn key_type_name(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::Rsa => "RSA",
        KeyType::EcP256 => "EC P-256",
        KeyType::Ed25519 => "Ed25519",
        KeyType::Symmetric => "symmetric",
    }
}

/// Shortens untrusted text before it goes into an error message.
pub(crate) fn truncate(text: &str) -> String {
    text.chars().take(32).collect()
}
