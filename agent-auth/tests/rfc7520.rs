//! RFC 7520 (JOSE Cookbook) examples, section 3 keys and section 4 signatures.
//!
//! Only the compact serialization is implemented: JSON-serialized examples are
//! checked in their compact equivalent (protected header, payload, signature),
//! with a detached payload re-attached. An example whose header is entirely
//! unprotected has no compact form and must be refused. ES512 and PS384 are
//! not implemented and must be refused as unsupported.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jose::{Algorithm, KeyError, SigningKey, VerifyingKey, base64url};
use agent_auth::validate::{JwsVerifier, StaticKeys, ValidationError};
use serde_json::Value;

const SIGNATURE_FILES: [&str; 9] = [
    "jws_4_1.rsa_v15_signature.json",
    "jws_4_2.rsa-pss_signature.json",
    "jws_4_3.ecdsa_signature.json",
    "jws_4_4.hmac-sha2_integrity_protection.json",
    "jws_4_5.signature_with_detached_content.json",
    "jws_4_6.protecting_specific_header_fields.json",
    "jws_4_7.protecting_content_only.json",
    "jws_4_8.multiple_signatures.json",
    "curve25519_jws.json",
];

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn section_4_signatures() {
    let Some(dir) = conformance::suite("rfc7520") else {
        return;
    };
    let verifier = JwsVerifier::new(&Algorithm::ALL);
    let (mut verified, mut resigned, mut unsupported, mut unprotected) = (0, 0, 0, 0);
    for file in SIGNATURE_FILES {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let payload = doc["input"]["payload"].as_str().unwrap();
        let payload_b64 = base64url::encode(payload);
        let keys = as_list(&doc["input"]["key"]);
        let algs = as_list(&doc["input"]["alg"]);
        let signings = as_list(&doc["signing"]);
        for (i, signing) in signings.iter().enumerate() {
            let alg = algs[i].as_str().unwrap();
            let sig = signing["sig"].as_str().unwrap();
            let Some(protected) = signing["protected_b64u"].as_str() else {
                let compact = format!(".{payload_b64}.{sig}");
                let refused = verifier.verify(&compact, &StaticKeys::default());
                assert!(
                    matches!(refused, Err(ValidationError::Malformed(_))),
                    "{file}"
                );
                unprotected += 1;
                continue;
            };
            let compact = format!("{protected}.{payload_b64}.{sig}");
            let Some(algorithm) = Algorithm::from_name(alg) else {
                let refused = verifier.verify(&compact, &StaticKeys::default());
                assert_eq!(
                    refused,
                    Err(ValidationError::UnsupportedAlgorithm),
                    "{file}"
                );
                unsupported += 1;
                continue;
            };
            let mut jwk = keys[i].clone();
            jwk["alg"] = Value::from(alg);
            let key = SigningKey::from_jwk(&jwk.to_string()).unwrap();
            assert_eq!(key.algorithm(), algorithm);
            let trusted = StaticKeys::single(key.verifying_key().clone());
            let jws = verifier
                .verify(&compact, &trusted)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(jws.payload, payload.as_bytes(), "{file}");
            verified += 1;
            // PKCS#1 v1.5, HMAC and Ed25519 are deterministic: the cookbook's
            // signature must come out of our signer byte for byte.
            if matches!(
                algorithm,
                Algorithm::Rs256 | Algorithm::Hs256 | Algorithm::EdDsa
            ) {
                let ours = key
                    .sign(format!("{protected}.{payload_b64}").as_bytes())
                    .unwrap();
                assert_eq!(base64url::encode(ours), sig, "{file}");
                resigned += 1;
            }
        }
    }
    println!(
        "rfc7520 section 4: {verified} signatures verified ({resigned} re-signed identically), \
         {unsupported} refused as unsupported algorithm, {unprotected} refused as unprotected-only"
    );
    assert_eq!((verified, resigned, unsupported, unprotected), (7, 7, 2, 2));
}

#[test]
fn section_3_keys() {
    let Some(dir) = conformance::suite("rfc7520") else {
        return;
    };
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert!(matches!(
        VerifyingKey::from_jwk(&read("jwk_3_1.ec_public_key.json")),
        Err(KeyError::Unsupported(_))
    ));
    let rsa = VerifyingKey::from_jwk(&read("jwk_3_3.rsa_public_key.json")).unwrap();
    assert_eq!(rsa.kid(), Some("bilbo.baggins@hobbiton.example"));
    assert_eq!(rsa.algorithm(), Algorithm::Rs256);
    let hmac = VerifyingKey::from_jwk(&read("jwk_3_5.symmetric_key_mac_computation.json")).unwrap();
    assert_eq!(hmac.algorithm(), Algorithm::Hs256);
    assert!(
        hmac.to_jwk().is_none(),
        "a shared secret is never published"
    );
}
