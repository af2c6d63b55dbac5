//! The one DPoP proof builder (RFC 9449 section 4.2): a per-agent key that
//! signs a fresh proof for each request.

use super::{DpopError, htu};
use crate::jose::{Algorithm, KeyError, PublicJwk, SigningKey, base64url};
use crate::secret::Token;
use crate::validate::{DpopProof, TokenKind};
use serde::Serialize;

/// An agent's DPoP key: the private key that signs its proofs and whose RFC
/// 7638 thumbprint its tokens are bound to (`cnf.jkt`, RFC 9449 section 6.1).
/// `Debug` shows the algorithm and thumbprint only.
///
/// ```
/// use agent_auth::dpop::DpopKey;
/// let key = DpopKey::generate()?;
/// let proof = key.proof("GET", "https://mcp.example/mcp", Some("at-123"), None, 1_700_000_000)?;
/// assert_eq!(proof.expose_secret().split('.').count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DpopKey {
    key: SigningKey,
    jwk: PublicJwk,
    thumbprint: String,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.key.algorithm())
            .field("jkt", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct ProofHeaderOut<'a> {
    typ: &'a str,
    alg: &'a str,
    jwk: &'a PublicJwk,
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DpopKey {
    /// A fresh ES256 key.
    pub fn generate() -> Result<Self, KeyError> {
        Self::from_signing_key(SigningKey::generate(Algorithm::Es256)?)
    }

    /// Uses `key` (RS256, PS256, ES256 or EdDSA; a shared secret cannot prove
    /// possession to anyone else and is refused).
    pub fn from_signing_key(key: SigningKey) -> Result<Self, KeyError> {
        if key.algorithm().is_symmetric() {
            return Err(KeyError::Unsupported(
                "a shared secret cannot be a DPoP key".into(),
            ));
        }
        let mut jwk = key
            .verifying_key()
            .to_jwk()
            .cloned()
            .ok_or(KeyError::Unsupported("a key without a public JWK".into()))?;
        // The proof names the key by value; a `kid` would say nothing more.
        jwk.kid = None;
        let thumbprint = jwk.thumbprint();
        Ok(Self {
            key,
            jwk,
            thumbprint,
        })
    }

    /// The RFC 7638 thumbprint tokens are bound to (`cnf.jkt`, `dpop_jkt`).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The algorithm the proofs are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// A proof for one request: `method` and `uri` of the request (query and
    /// fragment are left out of `htu`, RFC 9449 section 4.2), `access_token`
    /// when one goes with the request (its hash becomes `ath`), `nonce` when
    /// the server provided one, `now` as `iat`. Every proof has a fresh
    /// random `jti`.
    pub fn proof(
        &self,
        method: &str,
        uri: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: i64,
    ) -> Result<Token, DpopError> {
        let target = uri.split('#').next().unwrap_or(uri);
        let target = target.split('?').next().unwrap_or(target);
        if htu::normalize_htu(target).is_none() {
            return Err(DpopError::WrongUri);
        }
        let mut random = [0u8; 16];
        aws_lc_rs::rand::fill(&mut random).map_err(|_| DpopError::Signing)?;
        let jti = base64url::encode(random);
        let header = ProofHeaderOut {
            typ: DpopProof::PROFILE.mint_typ.unwrap_or("dpop+jwt"),
            alg: self.key.algorithm().name(),
            jwk: &self.jwk,
        };
        let claims = ProofClaims {
            jti: &jti,
            htm: method,
            htu: target,
            iat: now,
            ath: access_token.map(access_token_hash),
            nonce,
        };
        let header = serde_json::to_vec(&header).map_err(|_| DpopError::Signing)?;
        let claims = serde_json::to_vec(&claims).map_err(|_| DpopError::Signing)?;
        let mut out = String::with_capacity((header.len() + claims.len()) * 4 / 3 + 200);
        base64url::encode_into(&header, &mut out);
        out.push('.');
        base64url::encode_into(&claims, &mut out);
        let signature = self
            .key
            .sign(out.as_bytes())
            .map_err(|_| DpopError::Signing)?;
        out.push('.');
        base64url::encode_into(&signature, &mut out);
        Ok(Token::new(out))
    }
}

/// `ath` (RFC 9449 section 4.2): the base64url SHA-256 of the ASCII access token.
///
/// ```
/// // RFC 9449 section 7.1's example access token and its `ath`.
/// assert_eq!(
///     agent_auth::dpop::access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
///     "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo",
/// );
/// ```
pub fn access_token_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    base64url::encode(digest.as_ref())
}
