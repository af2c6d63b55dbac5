//! Key generation, import, export, thumbprints, key sets and JWKS publication.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::jose::{Algorithm, KeyError, KeySet, SigningKey, VerifyingKey, sign_compact};
use agent_auth::validate::{
    AccessToken, Claims, KeySource, StaticKeys, ValidationError, Validator, parse_jwks,
};
use std::sync::Arc;

#[test]
fn generated_keys_sign_and_verify_with_their_one_algorithm() {
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let sig = key.sign(b"message").unwrap();
        assert!(key.verifying_key().verify(b"message", &sig), "{alg}");
        assert!(!key.verifying_key().verify(b"messagE", &sig), "{alg}");
        if alg.is_symmetric() {
            assert!(key.verifying_key().to_jwk().is_none());
        } else {
            // The default kid is the RFC 7638 thumbprint.
            assert_eq!(Some(key.kid().to_owned()), key.verifying_key().thumbprint());
        }
    }
}

#[test]
fn public_jwk_round_trips_and_keeps_kid_and_algorithm() {
    for alg in Algorithm::ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap().with_kid("k-2026");
        let text = serde_json::to_string(key.verifying_key().to_jwk().unwrap()).unwrap();
        assert!(!text.contains("\"d\""), "public JWK only");
        let imported = VerifyingKey::from_jwk(&text).unwrap();
        assert_eq!(imported.kid(), Some("k-2026"));
        assert_eq!(imported.algorithm(), alg);
        let sig = key.sign(b"x").unwrap();
        assert!(imported.verify(b"x", &sig));
    }
}

#[test]
fn pkcs8_pem_export_and_import_give_the_same_key() {
    for alg in Algorithm::ASYMMETRIC {
        let key = SigningKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert_eq!(format!("{pem:?}"), "SecretString([redacted])");
        let again = SigningKey::from_pem(alg, pem.expose_secret()).unwrap();
        assert_eq!(again.kid(), key.kid(), "{alg}");
        let sig = again.sign(b"y").unwrap();
        assert!(key.verifying_key().verify(b"y", &sig), "{alg}");
    }
    assert!(
        SigningKey::generate(Algorithm::Hs256)
            .unwrap()
            .to_pkcs8_pem()
            .is_none()
    );
}

#[test]
fn public_pem_import_matches_the_jwk() {
    // SubjectPublicKeyInfo built from the PKCS#8 export's public half is what
    // servers publish; here it comes from a JWK round trip through aws-lc-rs DER.
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwk = key.verifying_key().to_jwk().unwrap();
    let x = agent_auth::jose::base64url::decode(jwk.x.as_ref().unwrap()).unwrap();
    let y = agent_auth::jose::base64url::decode(jwk.y.as_ref().unwrap()).unwrap();
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];
    spki.extend_from_slice(&x);
    spki.extend_from_slice(&y);
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki));
    let imported = VerifyingKey::from_pem(Algorithm::Es256, &pem).unwrap();
    assert_eq!(imported.thumbprint(), key.verifying_key().thumbprint());
    assert!(matches!(
        VerifyingKey::from_pem(Algorithm::EdDsa, &pem),
        Err(KeyError::Unsupported(_))
    ));
}

#[test]
fn keys_are_bound_to_one_algorithm_at_import() {
    let rsa = SigningKey::generate(Algorithm::Rs256).unwrap();
    let mut jwk = serde_json::to_value(rsa.verifying_key().to_jwk().unwrap()).unwrap();
    jwk["alg"] = "ES256".into();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk.to_string()),
        Err(KeyError::AlgorithmMismatch { .. })
    ));
    jwk["alg"] = "none".into();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk.to_string()),
        Err(KeyError::Unsupported(_))
    ));
    jwk.as_object_mut().unwrap().remove("alg");
    assert_eq!(
        VerifyingKey::from_jwk(&jwk.to_string())
            .unwrap()
            .algorithm(),
        Algorithm::Rs256,
        "RSA without alg defaults to RS256"
    );
    assert_eq!(
        VerifyingKey::from_hmac_secret(Algorithm::Hs256, &[7; 31]).err(),
        Some(KeyError::SecretTooShort)
    );
    assert!(matches!(
        VerifyingKey::from_hmac_secret(Algorithm::Rs256, &[7; 32]),
        Err(KeyError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn signing_key_debug_shows_no_key_material() {
    let key = SigningKey::generate(Algorithm::Hs256).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.starts_with("SigningKey {"));
    assert!(debug.contains(key.kid()));
    assert!(!debug.to_lowercase().contains("secret"));
}

#[test]
fn published_jwks_refuses_private_or_secret_members_and_skips_foreign_keys() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let public = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
    let doc = serde_json::json!({"keys": [
        public,
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "use": "enc", "n": "AA", "e": "AQAB"},
    ]});
    let keys = parse_jwks(doc.to_string().as_bytes()).unwrap();
    assert_eq!(keys.len(), 1);
    let secret = serde_json::json!({"keys": [{"kty": "oct", "k": "AAAA"}]});
    assert!(parse_jwks(secret.to_string().as_bytes()).is_err());
    assert!(parse_jwks(b"{\"keys\": 5}").is_err());
    assert!(parse_jwks(b"[]").is_err());
    assert!(parse_jwks(&vec![b' '; 300 * 1024]).is_err(), "size cap");
}

#[test]
fn static_keys_refuse_mixing_secrets_with_public_keys() {
    let hmac = SigningKey::generate(Algorithm::Hs256).unwrap();
    let ec = SigningKey::generate(Algorithm::Es256).unwrap();
    assert!(matches!(
        StaticKeys::new([hmac.verifying_key().clone(), ec.verifying_key().clone()]),
        Err(KeyError::AmbiguousKeySet(_))
    ));
}

fn token(key: &SigningKey, now: i64) -> String {
    let mut c = Claims::new().with("client_id", "agent");
    c.iss = Some("https://idp.example".into());
    c.sub = Some("sarah".into());
    c.aud = vec!["https://api.example".into()];
    c.iat = Some(now);
    c.exp = Some(now + 3600);
    c.jti = Some(format!("{now}"));
    sign_compact(key, Some("at+jwt"), &c)
        .unwrap()
        .expose_secret()
        .to_owned()
}

#[test]
fn key_set_rotation_keeps_old_keys_for_the_overlap_window_only() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let first = SigningKey::generate(Algorithm::Es256).unwrap();
    let first_kid = first.kid().to_owned();
    let set = Arc::new(KeySet::new(first, clock.clone()));
    let old_token = token(&set.active(), clock.now());
    set.rotate(SigningKey::generate(Algorithm::Es256).unwrap(), 600);
    assert_ne!(set.active().kid(), first_kid);
    let new_token = token(&set.active(), clock.now());

    let validator = Validator::<AccessToken>::builder_shared(set.clone())
        .issuer("https://idp.example")
        .audience("https://api.example")
        .clock(clock.clone())
        .build();
    assert!(
        validator.validate_cached(&old_token).is_ok(),
        "inside overlap"
    );
    assert!(validator.validate_cached(&new_token).is_ok());
    assert_eq!(set.jwks().keys.len(), 2);

    clock.advance(601);
    assert_eq!(
        validator.validate_cached(&old_token),
        Err(ValidationError::UnknownKey),
        "overlap ended"
    );
    assert!(validator.validate_cached(&new_token).is_ok());
    let jwks = set.jwks();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].kid.as_deref(), Some(set.active().kid()));
    assert!(set.find(Some(&first_kid), Algorithm::Es256).is_err());
}
