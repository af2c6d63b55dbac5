//! Wycheproof vectors (C2SP/wycheproof, Apache-2.0) through the public API.
//!
//! Policy for vectors Wycheproof marks valid or acceptable that we refuse (also in
//! `docs/jose.md`):
//! - algorithms outside RS256, PS256, ES256, EdDSA and HS256 (RS384, RS512,
//!   PS384, PS512, ES512, HS384, HS512) are not implemented;
//! - two JWS cases carry a `?` inside a base64url part: strict base64url (RFC 7515
//!   section 2) refuses any character outside the alphabet;
//! - HMAC keys shorter than 32 bytes and truncated tags are refused (RFC 7518
//!   section 3.2);
//! - RSA PKCS#1 v1.5 "Missing NULL" (acceptable) is refused, as aws-lc-rs does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jose::{Algorithm, VerifyingKey};
use agent_auth::validate::{JwsVerifier, StaticKeys, ValidationError};
use serde_json::Value;

fn load(file: &str) -> Option<Value> {
    let text = conformance::read("wycheproof", file)?;
    Some(serde_json::from_str(&text).expect("wycheproof JSON"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn groups(doc: &Value) -> impl Iterator<Item = &Value> {
    doc["testGroups"].as_array().unwrap().iter()
}

fn tests(group: &Value) -> impl Iterator<Item = &Value> {
    group["tests"].as_array().unwrap().iter()
}

/// Keys of a group: a single JWK or a JWK Set, public half preferred.
fn group_keys(group: &Value) -> Vec<Value> {
    let key = if group["public"].is_object() {
        &group["public"]
    } else {
        &group["private"]
    };
    match key.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        _ => vec![key.clone()],
    }
}

fn unsupported_alg_in_header(jws: &str) -> bool {
    let header = jws.split('.').next().unwrap_or_default();
    let Some(decoded) = agent_auth::jose::base64url::decode(header) else {
        return false;
    };
    let Ok(header) = serde_json::from_slice::<Value>(&decoded) else {
        return false;
    };
    header["alg"]
        .as_str()
        .is_some_and(|alg| Algorithm::from_name(alg).is_none())
}

#[derive(Default)]
struct Tally {
    total: usize,
    agree: usize,
    unsupported_alg: usize,
    strict_base64: usize,
    same_as_valid: usize,
}

fn run_jws_file(file: &str) -> Option<Tally> {
    let doc = load(file)?;
    let verifier = JwsVerifier::new(&Algorithm::ALL);
    let mut tally = Tally::default();
    let valid_texts: Vec<&str> = groups(&doc)
        .flat_map(tests)
        .filter(|case| case["result"] == "valid")
        .filter_map(|case| case["jws"].as_str())
        .collect();
    for group in groups(&doc) {
        let keys: Result<Vec<VerifyingKey>, _> = group_keys(group)
            .iter()
            .map(|k| VerifyingKey::from_jwk(&k.to_string()))
            .collect();
        let source = keys.ok().and_then(|keys| StaticKeys::new(keys).ok());
        for case in tests(group) {
            tally.total += 1;
            let jws = case["jws"].as_str().unwrap();
            let id = case["tcId"].as_u64().unwrap();
            let ours = source.as_ref().map(|s| verifier.verify(jws, s));
            let accepted = matches!(ours, Some(Ok(_)));
            let expected = case["result"] == "valid";
            if accepted == expected {
                tally.agree += 1;
            } else if !expected && valid_texts.contains(&jws) {
                // The vector's text is byte for byte a case marked valid.
                tally.same_as_valid += 1;
            } else if expected && unsupported_alg_in_header(jws) {
                tally.unsupported_alg += 1;
            } else if expected && jws.contains('?') {
                assert!(matches!(ours, Some(Err(ValidationError::Malformed(_)))));
                tally.strict_base64 += 1;
            } else if expected && source.is_none() && group["comment"] != "base64" {
                // The key names an algorithm we do not implement (HS384, HS512).
                let alg = group_keys(group)[0]["alg"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                assert!(Algorithm::from_name(&alg).is_none(), "tc {id}: key refused");
                tally.unsupported_alg += 1;
            } else {
                panic!(
                    "{file} tc {id} ({}): expected {}, got {ours:?}",
                    case["comment"], case["result"]
                );
            }
        }
    }
    println!(
        "wycheproof {file}: {} cases, {} agree, refused by policy: {} unsupported algorithm, \
         {} non-base64url; accepted: {} marked invalid but identical to a valid case",
        tally.total, tally.agree, tally.unsupported_alg, tally.strict_base64, tally.same_as_valid
    );
    Some(tally)
}

#[test]
fn json_web_signature_vectors() {
    let Some(t) = run_jws_file("json_web_signature_test.json") else {
        return;
    };
    assert_eq!(t.total, 401);
    assert_eq!(t.strict_base64, 2, "the two `?` cases");
    assert_eq!(t.same_as_valid, 2, "tc 367 and 370 repeat tc 357");
    assert_eq!(
        t.agree + t.unsupported_alg + t.strict_base64 + t.same_as_valid,
        t.total
    );
}

#[test]
fn json_web_key_vectors() {
    let Some(t) = run_jws_file("json_web_key_test.json") else {
        return;
    };
    assert_eq!(t.total, 26);
    assert_eq!(t.agree + t.unsupported_alg, t.total);
}

/// Runs a raw signature file: `key_for` builds the key of a group (None when the
/// group's parameters are outside our policy), cases give `msg` and `sig` in hex.
fn run_signature_file(
    file: &str,
    key_for: impl Fn(&Value) -> Option<VerifyingKey>,
    sig_field: &str,
) -> Option<(usize, usize, usize)> {
    let doc = load(file)?;
    let (mut total, mut agree, mut policy) = (0, 0, 0);
    for group in groups(&doc) {
        let key = key_for(group);
        for case in tests(group) {
            total += 1;
            let msg = hex(case["msg"].as_str().unwrap());
            let sig = hex(case[sig_field].as_str().unwrap());
            let ours = key.as_ref().is_some_and(|k| k.verify(&msg, &sig));
            let result = case["result"].as_str().unwrap();
            match (result, ours) {
                ("valid", true) | ("invalid", false) => agree += 1,
                ("acceptable", false) => policy += 1,
                ("valid", false) if key.is_none() => policy += 1,
                _ => panic!(
                    "{file} tc {} ({}): expected {result}, got {ours}",
                    case["tcId"], case["comment"]
                ),
            }
        }
    }
    println!("wycheproof {file}: {total} cases, {agree} agree, {policy} refused by policy");
    Some((total, agree, policy))
}

fn jwk_key(group: &Value, field: &str) -> Option<VerifyingKey> {
    let jwk = group[field].to_string();
    Some(VerifyingKey::from_jwk(&jwk).expect("group key imports"))
}

#[test]
fn ecdsa_p256_p1363_vectors() {
    let Some((total, agree, policy)) = run_signature_file(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        |g| {
            let point = hex(g["publicKey"]["uncompressed"].as_str().unwrap());
            Some(
                VerifyingKey::from_ec_coordinates(Algorithm::Es256, &point[1..33], &point[33..65])
                    .unwrap(),
            )
        },
        "sig",
    ) else {
        return;
    };
    assert_eq!((agree, policy), (total, 0));
}

#[test]
fn ed25519_vectors() {
    let Some((total, agree, policy)) =
        run_signature_file("ed25519_test.json", |g| jwk_key(g, "publicKeyJwk"), "sig")
    else {
        return;
    };
    assert_eq!((agree, policy), (total, 0));
}

#[test]
fn rsa_pkcs1_sha256_vectors() {
    let Some((total, agree, policy)) = run_signature_file(
        "rsa_signature_2048_sha256_test.json",
        |g| {
            let pem = g["publicKeyPem"].as_str().unwrap();
            Some(VerifyingKey::from_pem(Algorithm::Rs256, pem).expect("RSA key imports"))
        },
        "sig",
    ) else {
        return;
    };
    assert_eq!(policy, 1, "only the Missing NULL case");
    assert_eq!(agree + policy, total);
}

#[test]
fn rsa_pss_sha256_vectors() {
    let Some((total, agree, policy)) = run_signature_file(
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        |g| {
            let pem = g["publicKeyPem"].as_str().unwrap();
            Some(VerifyingKey::from_pem(Algorithm::Ps256, pem).expect("RSA key imports"))
        },
        "sig",
    ) else {
        return;
    };
    assert_eq!((agree, policy), (total, 0));
}

#[test]
fn hmac_sha256_vectors() {
    let Some(doc) = load("hmac_sha256_test.json") else {
        return;
    };
    let (mut total, mut agree, mut policy) = (0, 0, 0);
    for group in groups(&doc) {
        for case in tests(group) {
            total += 1;
            let key = hex(case["key"].as_str().unwrap());
            let msg = hex(case["msg"].as_str().unwrap());
            let tag = hex(case["tag"].as_str().unwrap());
            let ours = VerifyingKey::from_hmac_secret(Algorithm::Hs256, &key)
                .map(|k| k.verify(&msg, &tag));
            match (case["result"].as_str().unwrap(), ours) {
                ("valid", Ok(true)) | ("invalid", Ok(false)) => agree += 1,
                // RFC 7518 section 3.2: keys under 32 bytes and truncated tags are refused.
                ("valid", Err(_)) if key.len() < 32 => policy += 1,
                ("valid", Ok(false)) if tag.len() < 32 => policy += 1,
                ("invalid", Err(_)) if key.len() < 32 => agree += 1,
                (result, ours) => panic!("tc {}: expected {result}, got {ours:?}", case["tcId"]),
            }
        }
    }
    println!(
        "wycheproof hmac_sha256_test.json: {total} cases, {agree} agree, {policy} refused by policy"
    );
    assert_eq!(agree + policy, total);
    assert!(agree > 100);
}
