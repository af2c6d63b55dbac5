//! The `jwt` group: validation of a ten-claim access token with a cached key,
//! against the raw signature floor and against `jsonwebtoken::decode`.

use crate::measure::{compare, keep};
use agent_auth::jose::{Algorithm, SigningKey, VerifyingKey, base64url, sign_compact};
use agent_auth::validate::{AccessToken, Claims, StaticKeys, Validator};
use aws_lc_rs::signature::{self, ParsedPublicKey};
use serde::Deserialize;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "https://mcp.example.com";

/// One algorithm's fixture: a signed token, our validator, the baselines' keys.
#[allow(missing_debug_implementations)]
pub struct Fixture {
    /// The algorithm.
    pub alg: Algorithm,
    /// The compact token.
    pub token: String,
    /// Our validator, key cached.
    pub validator: Validator<AccessToken>,
    verifying_key: VerifyingKey,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    floor_key: ParsedPublicKey,
    jwt_key: jsonwebtoken::DecodingKey,
    jwt_validation: jsonwebtoken::Validation,
}

/// The claims as `jsonwebtoken` users declare them.
#[derive(Debug, Deserialize)]
pub struct TypedClaims {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `aud`.
    pub aud: String,
    /// `exp`.
    pub exp: i64,
    /// `nbf`.
    pub nbf: i64,
    /// `iat`.
    pub iat: i64,
    /// `jti`.
    pub jti: String,
    /// `client_id`.
    pub client_id: String,
    /// `scope`.
    pub scope: String,
    /// `tenant`.
    pub tenant: String,
}

fn claims(now: i64) -> Claims {
    let mut c = Claims::new()
        .with("client_id", "sales-agent-prod-001")
        .with("scope", "mcp:crm:read mcp:docs:read")
        .with("tenant", "acme-corp");
    c.iss = Some(ISS.into());
    c.sub = Some("sarah@acme.example".into());
    c.aud = vec![AUD.into()];
    c.iat = Some(now);
    c.nbf = Some(now);
    c.exp = Some(now + 3600);
    c.jti = Some("8f14e45f-ceea-467f-a8d5-6f9d1b3c0e21".into());
    c
}

fn now() -> i64 {
    use agent_auth::clock::Clock;
    agent_auth::clock::SystemClock.now()
}

impl Fixture {
    /// Builds the fixture for `alg` (RS256, ES256 or EdDSA).
    pub fn new(alg: Algorithm) -> Self {
        let key = SigningKey::generate(alg).unwrap_or_else(|e| fail(&e));
        let token = sign_compact(&key, Some("at+jwt"), &claims(now()))
            .unwrap_or_else(|e| fail(&e))
            .expose_secret()
            .to_owned();
        let (signing_input, signature) = match token.rsplit_once('.') {
            Some((input, sig)) => (
                input.as_bytes().to_vec(),
                base64url::decode(sig).unwrap_or_default(),
            ),
            None => fail(&"token without signature"),
        };
        let jwk = key
            .verifying_key()
            .to_jwk()
            .cloned()
            .unwrap_or_else(|| fail(&"jwk"));
        let part = |v: &Option<String>| v.clone().unwrap_or_default();
        let (floor_alg, jwt_key, jwt_alg): (&'static dyn signature::VerificationAlgorithm, _, _) =
            match alg {
                Algorithm::Rs256 => (
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    jsonwebtoken::DecodingKey::from_rsa_components(&part(&jwk.n), &part(&jwk.e)),
                    jsonwebtoken::Algorithm::RS256,
                ),
                Algorithm::Es256 => (
                    &signature::ECDSA_P256_SHA256_FIXED,
                    jsonwebtoken::DecodingKey::from_ec_components(&part(&jwk.x), &part(&jwk.y)),
                    jsonwebtoken::Algorithm::ES256,
                ),
                _ => (
                    &signature::ED25519,
                    jsonwebtoken::DecodingKey::from_ed_components(&part(&jwk.x)),
                    jsonwebtoken::Algorithm::EdDSA,
                ),
            };
        let floor_key =
            ParsedPublicKey::new(floor_alg, raw_public_key(&jwk)).unwrap_or_else(|e| fail(&e));
        let mut jwt_validation = jsonwebtoken::Validation::new(jwt_alg);
        jwt_validation.set_issuer(&[ISS]);
        jwt_validation.set_audience(&[AUD]);
        jwt_validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jwt_validation.validate_nbf = true;
        jwt_validation.leeway = 60;
        let validator =
            Validator::<AccessToken>::builder(StaticKeys::single(key.verifying_key().clone()))
                .issuer(ISS)
                .audience(AUD)
                .algorithms(&[alg])
                .build();
        Self {
            alg,
            token,
            validator,
            verifying_key: key.verifying_key().clone(),
            signing_input,
            signature,
            floor_key,
            jwt_key: jwt_key.unwrap_or_else(|e| fail(&e)),
            jwt_validation,
        }
    }

    /// The issuer of the token.
    pub const ISSUER: &'static str = ISS;
    /// The audience of the token.
    pub const AUDIENCE: &'static str = AUD;

    /// The key that verifies the token.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// Our full validation.
    pub fn ours(&self) -> bool {
        self.validator.validate_cached(&self.token).is_ok()
    }

    /// The floor: signature verification alone, key parsed, signature decoded.
    pub fn floor(&self) -> bool {
        self.floor_key
            .verify_sig(&self.signing_input, &self.signature)
            .is_ok()
    }

    /// `jsonwebtoken::decode` with the same checks.
    pub fn jsonwebtoken(&self) -> bool {
        jsonwebtoken::decode::<TypedClaims>(&self.token, &self.jwt_key, &self.jwt_validation)
            .is_ok()
    }
}

/// The public key bytes aws-lc-rs parses: RSA as PKCS#1 from the JWK
/// components, EC as the uncompressed point, Ed25519 raw.
fn raw_public_key(jwk: &agent_auth::jose::PublicJwk) -> Vec<u8> {
    let get = |v: &Option<String>| {
        base64url::decode(v.as_deref().unwrap_or_default()).unwrap_or_default()
    };
    match jwk.kty.as_str() {
        "RSA" => {
            let key = aws_lc_rs::rsa::PublicKeyComponents {
                n: get(&jwk.n),
                e: get(&jwk.e),
            };
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der<'_>>::as_der(&key)
                .map(|der| der.as_ref().to_vec())
                .unwrap_or_default()
        }
        "EC" => [vec![4u8], get(&jwk.x), get(&jwk.y)].concat(),
        _ => get(&jwk.x),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("benchmark fixture failed: {e}");
    std::process::exit(2)
}

/// Runs the group: six `RATIO` lines.
pub fn run() {
    for (alg, name) in [
        (Algorithm::Rs256, "rs256"),
        (Algorithm::Es256, "es256"),
        (Algorithm::EdDsa, "eddsa"),
    ] {
        let f = Fixture::new(alg);
        assert_valid(&f);
        compare(
            &format!("jwt.{name}.vs_floor"),
            || keep(f.ours()),
            || keep(f.floor()),
        );
        compare(
            &format!("jwt.{name}.vs_jsonwebtoken"),
            || keep(f.ours()),
            || keep(f.jsonwebtoken()),
        );
    }
}

fn assert_valid(f: &Fixture) {
    if !(f.ours() && f.floor() && f.jsonwebtoken()) {
        fail(&format!(
            "{}: every path must accept the token (ours {}, floor {}, jsonwebtoken {})",
            f.alg,
            f.ours(),
            f.floor(),
            f.jsonwebtoken()
        ));
    }
}
