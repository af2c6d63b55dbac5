//! RFC 9449 section 4.3: every numbered check of a DPoP proof, each refused
//! on its own, plus the `jti` replay rule of section 11.1. Proofs are forged
//! by hand (header and claims as JSON) so each test breaks exactly one rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::dpop::{
    DpopError, DpopKey, NonceSource, ProofRequest, ProofVerifier, access_token_hash,
};
use agent_auth::jose::{Algorithm, SigningKey, base64url};
use serde_json::{Value, json};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;
const URI: &str = "https://as.example/token";

fn verifier() -> ProofVerifier {
    ProofVerifier::new().clock(Arc::new(ManualClock::new(NOW)))
}

fn public_jwk(key: &SigningKey) -> Value {
    let mut jwk = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
    jwk.as_object_mut().unwrap().remove("kid");
    jwk
}

fn header(key: &SigningKey) -> Value {
    json!({"typ": "dpop+jwt", "alg": key.algorithm().name(), "jwk": public_jwk(key)})
}

fn claims() -> Value {
    json!({"jti": "j-1", "htm": "POST", "htu": URI, "iat": NOW})
}

/// Signs `header.claims` with `key`, whatever they say.
fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let mut out = base64url::encode(header.to_string());
    out.push('.');
    out.push_str(&base64url::encode(claims.to_string()));
    let sig = key.sign(out.as_bytes()).unwrap();
    out.push('.');
    out.push_str(&base64url::encode(sig));
    out
}

fn es256() -> SigningKey {
    SigningKey::generate(Algorithm::Es256).unwrap()
}

fn check(proof: &str) -> Result<(), DpopError> {
    verifier()
        .verify(proof, &ProofRequest::new("POST", URI))
        .map(|_| ())
}

#[test]
fn a_well_formed_proof_passes_and_names_its_key() {
    let key = es256();
    let proof = forge(&key, &header(&key), &claims());
    let ok = verifier()
        .verify(&proof, &ProofRequest::new("POST", URI))
        .unwrap();
    assert_eq!(ok.jkt(), key.verifying_key().thumbprint().unwrap());
    assert_eq!(ok.algorithm(), Algorithm::Es256);
}

#[test]
fn check_2_not_a_single_well_formed_jwt() {
    let key = es256();
    let good = forge(&key, &header(&key), &claims());
    let (head, _) = good.rsplit_once('.').unwrap();
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        &format!("{head}."),
        &format!("{good} "),
        &format!("{good},{good}"),
        &"a".repeat(9000),
    ] {
        assert!(
            matches!(
                check(bad),
                Err(DpopError::Malformed(_) | DpopError::TooLarge)
            ),
            "{:?}",
            bad.get(..20)
        );
    }
    // Duplicate member names in the claims.
    let mut raw = base64url::encode(header(&key).to_string());
    raw.push('.');
    raw.push_str(&base64url::encode(
        r#"{"jti":"a","jti":"b","htm":"POST","htu":"https://as.example/token","iat":1800000000}"#,
    ));
    let sig = key.sign(raw.as_bytes()).unwrap();
    raw.push('.');
    raw.push_str(&base64url::encode(sig));
    assert!(matches!(check(&raw), Err(DpopError::Malformed(_))));
}

#[test]
fn check_3_every_required_claim_is_present() {
    let key = es256();
    for name in ["jti", "htm", "htu", "iat"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(name);
        assert!(
            matches!(check(&forge(&key, &header(&key), &c)), Err(DpopError::Claim(n)) if n == name),
            "{name}"
        );
    }
    let mut c = claims();
    c["iat"] = json!("1800000000");
    assert_eq!(
        check(&forge(&key, &header(&key), &c)),
        Err(DpopError::Claim("iat"))
    );
}

#[test]
fn check_4_typ_is_dpop_jwt() {
    let key = es256();
    for typ in [json!("JWT"), json!("at+jwt"), json!(null), json!(5)] {
        let mut h = header(&key);
        if typ.is_null() {
            h.as_object_mut().unwrap().remove("typ");
        } else {
            h["typ"] = typ;
        }
        assert_eq!(
            check(&forge(&key, &h, &claims())),
            Err(DpopError::WrongType)
        );
    }
    // RFC 7515 section 4.1.9: the `application/` prefix may be written.
    let mut h = header(&key);
    h["typ"] = json!("application/dpop+jwt");
    assert_eq!(check(&forge(&key, &h, &claims())), Ok(()));
}

#[test]
fn check_5_alg_is_an_allowed_asymmetric_algorithm() {
    let key = es256();
    for alg in ["none", "HS256", "ES384", ""] {
        let mut h = header(&key);
        h["alg"] = json!(alg);
        assert_eq!(
            check(&forge(&key, &h, &claims())),
            Err(DpopError::Algorithm),
            "{alg}"
        );
    }
    // A symmetric key with HS256: refused as an algorithm before any key use.
    let secret = SigningKey::from_hmac_secret(&[7u8; 32]).unwrap();
    let h = json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": base64url::encode([7u8; 32])}});
    assert_eq!(
        check(&forge(&secret, &h, &claims())),
        Err(DpopError::Algorithm)
    );
    // Local policy: ES256 only refuses EdDSA.
    let ed = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let proof = forge(&ed, &header(&ed), &claims());
    assert!(check(&proof).is_ok());
    let es_only = verifier().algorithms(&[Algorithm::Es256]);
    assert_eq!(
        es_only
            .verify(
                &forge(&ed, &header(&ed), &claims()),
                &ProofRequest::new("POST", URI)
            )
            .err(),
        Some(DpopError::Algorithm)
    );
}

#[test]
fn check_6_signature_verifies_with_the_header_key() {
    let key = es256();
    let other = es256();
    // Signed by `other`, naming `key`.
    let proof = forge(&other, &header(&key), &claims());
    assert_eq!(check(&proof), Err(DpopError::InvalidSignature));
    // The header key must be of the header `alg`'s type.
    let mut h = header(&key);
    h["alg"] = json!("EdDSA");
    assert!(matches!(
        check(&forge(&key, &h, &claims())),
        Err(DpopError::Key(_))
    ));
    // No `jwk` at all.
    let mut h = header(&key);
    h.as_object_mut().unwrap().remove("jwk");
    assert!(matches!(
        check(&forge(&key, &h, &claims())),
        Err(DpopError::Key(_))
    ));
}

#[test]
fn check_7_jwk_holds_no_private_key() {
    let key = es256();
    let mut h = header(&key);
    h["jwk"]["d"] = json!("c2VjcmV0");
    assert_eq!(
        check(&forge(&key, &h, &claims())),
        Err(DpopError::Key("`jwk` contains a private key"))
    );
}

#[test]
fn check_8_htm_is_the_request_method() {
    let key = es256();
    let mut c = claims();
    c["htm"] = json!("GET");
    assert_eq!(
        check(&forge(&key, &header(&key), &c)),
        Err(DpopError::WrongMethod)
    );
    c["htm"] = json!("post");
    assert_eq!(
        check(&forge(&key, &header(&key), &c)),
        Err(DpopError::WrongMethod)
    );
}

#[test]
fn check_9_htu_is_the_request_uri_normalised_without_query() {
    let key = es256();
    for (htu, ok) in [
        ("https://AS.example:443/./token", true),
        ("https://as.example/token?ignored=1#frag", true),
        ("https://as.example/%74oken", true),
        ("https://as.example/token/", false),
        ("https://as.example/other", false),
        ("http://as.example/token", false),
        ("https://evil.example/token", false),
        ("/token", false),
    ] {
        let mut c = claims();
        c["htu"] = json!(htu);
        let outcome = check(&forge(&key, &header(&key), &c));
        if ok {
            assert_eq!(outcome, Ok(()), "{htu}");
        } else {
            assert_eq!(outcome, Err(DpopError::WrongUri), "{htu}");
        }
    }
}

#[test]
fn check_10_the_server_nonce_is_required_when_provided() {
    let key = es256();
    let clock = Arc::new(ManualClock::new(NOW));
    let nonces = Arc::new(NonceSource::new(300).unwrap());
    let v = ProofVerifier::new()
        .clock(clock.clone())
        .require_nonce(nonces.clone());
    let request = ProofRequest::new("POST", URI);
    // No nonce: use_dpop_nonce.
    let err = v
        .verify(&forge(&key, &header(&key), &claims()), &request)
        .unwrap_err();
    assert!(err.is_use_nonce());
    // A foreign nonce: use_dpop_nonce.
    let mut c = claims();
    c["nonce"] = json!("not-ours");
    assert!(
        v.verify(&forge(&key, &header(&key), &c), &request)
            .unwrap_err()
            .is_use_nonce()
    );
    // The current one passes.
    let current = v.current_nonce().unwrap();
    let mut c = claims();
    c["nonce"] = json!(current);
    assert!(v.verify(&forge(&key, &header(&key), &c), &request).is_ok());
    // Once it is two windows old, it asks for a new one.
    clock.advance(700);
    let mut c = claims();
    c["jti"] = json!("j-2");
    c["iat"] = json!(NOW + 700);
    c["nonce"] = json!(current);
    assert!(
        v.verify(&forge(&key, &header(&key), &c), &request)
            .unwrap_err()
            .is_use_nonce()
    );
}

#[test]
fn check_11_iat_is_within_the_window() {
    let key = es256();
    for (iat, ok) in [
        (NOW - 61, false),
        (NOW - 60, true),
        (NOW + 5, true),
        (NOW + 6, false),
    ] {
        let mut c = claims();
        c["iat"] = json!(iat);
        c["jti"] = json!(format!("j-{iat}"));
        let outcome = check(&forge(&key, &header(&key), &c));
        assert_eq!(outcome.is_ok(), ok, "iat {iat}: {outcome:?}");
        if !ok {
            assert_eq!(outcome, Err(DpopError::Stale));
        }
    }
}

#[test]
fn check_12_ath_matches_the_presented_access_token() {
    let key = es256();
    let jkt = key.verifying_key().thumbprint().unwrap();
    let request = ProofRequest::new("POST", URI).with_access_token("the-token", &jkt);
    // No `ath`.
    let proof = forge(&key, &header(&key), &claims());
    assert_eq!(
        verifier().verify(&proof, &request).err(),
        Some(DpopError::WrongAccessTokenHash)
    );
    // The hash of another token.
    let mut c = claims();
    c["ath"] = json!(access_token_hash("another-token"));
    assert_eq!(
        verifier()
            .verify(&forge(&key, &header(&key), &c), &request)
            .err(),
        Some(DpopError::WrongAccessTokenHash)
    );
    c["ath"] = json!(access_token_hash("the-token"));
    assert!(
        verifier()
            .verify(&forge(&key, &header(&key), &c), &request)
            .is_ok()
    );
}

#[test]
fn check_12_the_proof_key_is_the_key_the_token_is_bound_to() {
    let key = es256();
    let thief = es256();
    let jkt = key.verifying_key().thumbprint().unwrap();
    let request = ProofRequest::new("POST", URI).with_access_token("the-token", &jkt);
    let mut c = claims();
    c["ath"] = json!(access_token_hash("the-token"));
    assert_eq!(
        verifier()
            .verify(&forge(&thief, &header(&thief), &c), &request)
            .err(),
        Some(DpopError::KeyMismatch)
    );
}

#[test]
fn section_11_1_a_proof_is_accepted_once() {
    let key = es256();
    let v = verifier();
    let request = ProofRequest::new("POST", URI);
    let proof = forge(&key, &header(&key), &claims());
    assert!(v.verify(&proof, &request).is_ok());
    assert_eq!(v.verify(&proof, &request).err(), Some(DpopError::Replayed));
}

#[test]
fn a_refused_proof_does_not_use_up_its_jti() {
    let key = es256();
    let v = verifier();
    let proof = forge(&key, &header(&key), &claims());
    assert_eq!(
        v.verify(&proof, &ProofRequest::new("GET", URI)).err(),
        Some(DpopError::WrongMethod)
    );
    assert!(v.verify(&proof, &ProofRequest::new("POST", URI)).is_ok());
}

#[test]
fn the_builder_signs_proofs_the_verifier_accepts() {
    let key = DpopKey::generate().unwrap();
    let proof = key
        .proof(
            "GET",
            "https://mcp.example/mcp?session=1",
            Some("tok"),
            Some("n-1"),
            NOW,
        )
        .unwrap();
    let request = ProofRequest::new("GET", "https://mcp.example/mcp")
        .with_access_token("tok", key.thumbprint());
    let ok = verifier().verify(proof.expose_secret(), &request).unwrap();
    assert_eq!(ok.jkt(), key.thumbprint());
    // The builder leaves the query out of `htu` (RFC 9449 section 4.2).
    let payload = proof.expose_secret().split('.').nth(1).unwrap();
    let c: Value = serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap();
    assert_eq!(c["htu"], "https://mcp.example/mcp");
    assert_eq!(c["nonce"], "n-1");
    assert!(!format!("{key:?}").contains(&c["jti"].to_string()));
}

#[test]
fn a_shared_secret_cannot_be_a_dpop_key() {
    let secret = SigningKey::from_hmac_secret(&[1u8; 32]).unwrap();
    assert!(DpopKey::from_signing_key(secret).is_err());
}

#[test]
fn a_validator_of_the_proof_kind_never_accepts_a_proof() {
    use agent_auth::validate::{DpopProof, StaticKeys, ValidationError, Validator};
    let key = es256();
    let mut c = claims();
    c["iss"] = json!("https://as.example");
    c["aud"] = json!("https://rs.example");
    c["exp"] = json!(NOW + 60);
    let mut h = header(&key);
    h["kid"] = json!(key.kid());
    let proof = forge(&key, &h, &c);
    let validator =
        Validator::<DpopProof>::builder(StaticKeys::single(key.verifying_key().clone()))
            .issuer("https://as.example")
            .audience("https://rs.example")
            .clock(Arc::new(ManualClock::new(NOW)))
            .build();
    assert!(matches!(
        validator.validate_cached(&proof),
        Err(ValidationError::Profile {
            kind: "DPoP proof",
            ..
        })
    ));
}
