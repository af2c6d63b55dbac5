//! Private keys that sign: generation, import from JWK and PEM, export to PKCS#8.

use super::jwk::{JwkFields, decode_member};
use super::verifying_key::{key_type_name, key_type_of, truncate};
use super::{Algorithm, KeyError, KeyType, VerifyingKey, base64url};
use crate::secret::SecretString;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use std::fmt;
use zeroize::Zeroizing;

/// A private key bound to one algorithm, with the matching [`VerifyingKey`].
///
/// `Debug` shows the key id and algorithm only. The private half never leaves
/// except through [`SigningKey::to_pkcs8_pem`], which returns a secret type.
pub struct SigningKey {
    material: Material,
    verifying: VerifyingKey,
}

enum Material {
    Rsa(rsa::KeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Hmac(Box<hmac::Key>, Zeroizing<Vec<u8>>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.verifying.kid())
            .field("alg", &self.verifying.algorithm())
            .finish_non_exhaustive()
    }
}

fn rejected(e: impl fmt::Display) -> KeyError {
    KeyError::Rejected(e.to_string())
}

impl SigningKey {
    /// Generates a fresh key for `alg` (RSA keys are 2048 bits; HMAC secrets 32
    /// bytes). The key id is the RFC 7638 thumbprint of the public key (for HMAC,
    /// a random id).
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let material = match alg.key_type() {
            KeyType::Rsa => {
                Material::Rsa(rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(rejected)?)
            }
            KeyType::EcP256 => Material::Ecdsa(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(rejected)?,
            ),
            KeyType::Ed25519 => Material::Ed25519(Ed25519KeyPair::generate().map_err(rejected)?),
            KeyType::Symmetric => {
                let mut secret = Zeroizing::new(vec![0u8; 32]);
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| KeyError::SigningFailed)?;
                return Self::from_hmac_secret(&secret);
            }
        };
        Self::from_material(alg, material)
    }

    /// A shared HMAC-SHA-256 secret of at least 32 bytes. The key id is random.
    pub fn from_hmac_secret(secret: &[u8]) -> Result<Self, KeyError> {
        let verifying = VerifyingKey::from_hmac_secret(Algorithm::Hs256, secret)?;
        let mut id = [0u8; 12];
        SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| KeyError::SigningFailed)?;
        let material = Material::Hmac(
            Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)),
            Zeroizing::new(secret.to_vec()),
        );
        Ok(Self {
            material,
            verifying: verifying.with_kid(base64url::encode(id)),
        })
    }

    /// Imports a PEM private key: `PRIVATE KEY` (PKCS#8) for every key type,
    /// `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC 1).
    pub fn from_pem(alg: Algorithm, pem_text: &str) -> Result<Self, KeyError> {
        let block = pem::parse(pem_text).map_err(|_| KeyError::Malformed("not a PEM block"))?;
        let der = Zeroizing::new(block.into_contents());
        let material = match (alg.key_type(), ()) {
            (KeyType::Rsa, ()) => Material::Rsa(
                rsa::KeyPair::from_pkcs8(&der)
                    .or_else(|_| rsa::KeyPair::from_der(&der))
                    .map_err(rejected)?,
            ),
            (KeyType::EcP256, ()) => {
                let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
                Material::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(alg, &der)
                        .or_else(|_| EcdsaKeyPair::from_private_key_der(alg, &der))
                        .map_err(rejected)?,
                )
            }
            (KeyType::Ed25519, ()) => Material::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(rejected)?,
            ),
            (KeyType::Symmetric, ()) => {
                return Err(KeyError::AlgorithmMismatch {
                    alg,
                    key_type: "PEM private",
                });
            }
        };
        Self::from_material(alg, material)
    }

    /// Imports a private JWK. The algorithm is the JWK's `alg`, or the key type's
    /// default; the key id is the JWK's `kid`, or the RFC 7638 thumbprint.
    pub fn from_jwk(jwk: &str) -> Result<Self, KeyError> {
        let f = JwkFields::parse(jwk.as_bytes())?;
        let key_type = key_type_of(&f)?;
        let alg = match f.alg.as_deref() {
            Some(name) => Algorithm::from_name(name)
                .ok_or_else(|| KeyError::Unsupported(format!("algorithm {}", truncate(name))))?,
            None => key_type.default_algorithm(),
        };
        if alg.key_type() != key_type {
            return Err(KeyError::AlgorithmMismatch {
                alg,
                key_type: key_type_name(key_type),
            });
        }
        let private = |field: &Option<Zeroizing<String>>, name: &'static str| {
            let text = field.as_ref().ok_or(KeyError::MissingMember(name))?;
            Ok::<_, KeyError>(Zeroizing::new(decode_member(text, name)?))
        };
        let public = |field: &Option<String>, name: &'static str| {
            decode_member(JwkFields::required(field, name)?, name)
        };
        let material = match key_type {
            KeyType::Rsa => {
                let (n, e) = (public(&f.n, "n")?, public(&f.e, "e")?);
                let (d, p, q) = (
                    private(&f.d, "d")?,
                    private(&f.p, "p")?,
                    private(&f.q, "q")?,
                );
                let (dp, dq, qi) = (
                    private(&f.dp, "dp")?,
                    private(&f.dq, "dq")?,
                    private(&f.qi, "qi")?,
                );
                let components = rsa::KeyPairComponents {
                    public_key: rsa::PublicKeyComponents {
                        n: n.as_slice(),
                        e: e.as_slice(),
                    },
                    d: d.as_slice(),
                    p: p.as_slice(),
                    q: q.as_slice(),
                    dP: dp.as_slice(),
                    dQ: dq.as_slice(),
                    qInv: qi.as_slice(),
                };
                Material::Rsa(rsa::KeyPair::from_components(&components).map_err(rejected)?)
            }
            KeyType::EcP256 => {
                let (x, y, d) = (public(&f.x, "x")?, public(&f.y, "y")?, private(&f.d, "d")?);
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Material::Ecdsa(
                    EcdsaKeyPair::from_private_key_and_public_key(
                        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &d,
                        &point,
                    )
                    .map_err(rejected)?,
                )
            }
            KeyType::Ed25519 => {
                let (x, d) = (public(&f.x, "x")?, private(&f.d, "d")?);
                Material::Ed25519(
                    Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(rejected)?,
                )
            }
            KeyType::Symmetric => {
                let key = Self::from_hmac_secret(&private(&f.k, "k")?)?;
                return Ok(match f.kid {
                    Some(kid) => key.with_kid(kid),
                    None => key,
                });
            }
        };
        let key = Self::from_material(alg, material)?;
        Ok(match f.kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        })
    }

    fn from_material(alg: Algorithm, material: Material) -> Result<Self, KeyError> {
        let verifying = match &material {
            Material::Rsa(pair) => {
                let public = pair.public_key();
                VerifyingKey::from_rsa_components(
                    alg,
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                )?
            }
            Material::Ecdsa(pair) => {
                let point = pair.public_key().as_ref();
                let coordinates = point.get(1..65).ok_or(KeyError::Rejected(
                    "unexpected P-256 public key encoding".into(),
                ))?;
                let (x, y) = coordinates.split_at(32);
                VerifyingKey::from_ec_coordinates(alg, x, y)?
            }
            Material::Ed25519(pair) => VerifyingKey::from_ed25519(alg, pair.public_key().as_ref())?,
            Material::Hmac(_, secret) => VerifyingKey::from_hmac_secret(alg, secret)?,
        };
        let kid = verifying.thumbprint().unwrap_or_default();
        Ok(Self {
            material,
            verifying: verifying.with_kid(kid),
        })
    }

    /// Replaces the key id (by default the RFC 7638 thumbprint).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.verifying = self.verifying.with_kid(kid);
        self
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        self.verifying.kid().unwrap_or_default()
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.verifying.algorithm()
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Signs `message` with this key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.material {
            Material::Rsa(pair) => {
                let encoding: &'static dyn signature::RsaEncoding = match self.algorithm() {
                    Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(encoding, &rng, message, &mut out)
                    .map_err(|_| KeyError::SigningFailed)?;
                Ok(out)
            }
            Material::Ecdsa(pair) => Ok(pair
                .sign(&rng, message)
                .map_err(|_| KeyError::SigningFailed)?
                .as_ref()
                .to_vec()),
            Material::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Material::Hmac(key, _) => Ok(hmac::sign(key, message).as_ref().to_vec()),
        }
    }

    /// The private key as a PKCS#8 PEM document, for storage. HMAC secrets have
    /// no PKCS#8 form and give `None`.
    pub fn to_pkcs8_pem(&self) -> Option<SecretString> {
        let der = match &self.material {
            Material::Rsa(pair) => pair.as_der().ok()?.as_ref().to_vec(),
            Material::Ecdsa(pair) => pair.to_pkcs8v1().ok()?.as_ref().to_vec(),
            Material::Ed25519(pair) => pair.to_pkcs8v1().ok()?.as_ref().to_vec(),
            Material::Hmac(..) => return None,
        };
        let der = Zeroizing::new(der);
        let block = pem::Pem::new("PRIVATE KEY", der.to_vec());
        Some(SecretString::new(pem::encode(&block)))
    }
}
