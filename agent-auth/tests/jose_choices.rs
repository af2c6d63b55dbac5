//! The choices the JOSE and JWT standards leave open, as `docs/jose.md` writes
//! them down: each statement there has its test here (or names the test
//! elsewhere that proves it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod forge;

use agent_auth::jose::{Algorithm, KeyError, SigningKey, VerifyingKey};
use agent_auth::validate::{ValidationError, parse_jwks};
use forge::{Kind, NOW, es256, forge, forge_raw};
use serde_json::{Value, json};

fn access_with(name: &str, value: Value) -> Result<(), ValidationError> {
    let key = es256();
    let mut claims = Kind::Access.claims();
    claims[name] = value;
    Kind::Access.check(&key, &claims)
}

// ---- leeway boundaries (default 60 s) ----

#[test]
fn exp_is_exclusive_at_the_end_of_the_leeway() {
    assert_eq!(access_with("exp", json!(NOW - 59)), Ok(()));
    assert_eq!(
        access_with("exp", json!(NOW - 60)),
        Err(ValidationError::Expired)
    );
}

#[test]
fn nbf_is_inclusive_at_the_start_of_the_leeway() {
    assert_eq!(access_with("nbf", json!(NOW + 60)), Ok(()));
    assert_eq!(
        access_with("nbf", json!(NOW + 61)),
        Err(ValidationError::NotYetValid)
    );
}

#[test]
fn iat_is_inclusive_at_the_end_of_the_leeway() {
    assert_eq!(access_with("iat", json!(NOW + 60)), Ok(()));
    assert_eq!(
        access_with("iat", json!(NOW + 61)),
        Err(ValidationError::IssuedInFuture)
    );
}

// ---- NumericDate values ----

#[test]
fn fractional_dates_round_toward_the_stricter_side() {
    // exp rounds down: NOW - 59.5 becomes NOW - 60, the first refused second.
    assert_eq!(
        access_with("exp", json!(NOW as f64 - 59.5)),
        Err(ValidationError::Expired)
    );
    assert_eq!(access_with("exp", json!(NOW as f64 - 58.5)), Ok(()));
    // nbf rounds up: NOW + 60.5 becomes NOW + 61, refused.
    assert_eq!(
        access_with("nbf", json!(NOW as f64 + 60.5)),
        Err(ValidationError::NotYetValid)
    );
    assert_eq!(access_with("nbf", json!(NOW as f64 + 59.5)), Ok(()));
    // iat rounds up too.
    assert_eq!(
        access_with("iat", json!(NOW as f64 + 60.5)),
        Err(ValidationError::IssuedInFuture)
    );
    assert_eq!(access_with("iat", json!(NOW as f64 + 59.5)), Ok(()));
    // Exponent notation is a number like any other.
    let key = es256();
    let claims = Kind::Access.claims().to_string();
    let claims = format!(r#"{},"nbf":1.7e9}}"#, claims.trim_end_matches('}'));
    let header = Kind::Access.header(&key).to_string();
    let token = forge_raw(&key, header.as_bytes(), claims.as_bytes());
    assert_eq!(Kind::Access.validate(&key, &token), Ok(()));
    let claims = claims.replace("1.7e9", "1.9e9");
    let token = forge_raw(&key, header.as_bytes(), claims.as_bytes());
    assert_eq!(
        Kind::Access.validate(&key, &token),
        Err(ValidationError::NotYetValid)
    );
}

#[test]
fn huge_dates_are_refused_as_malformed_not_saturated() {
    let limit: i64 = 1_000_000_000_000_000;
    assert_eq!(access_with("exp", json!(limit)), Ok(()));
    for (claim, value) in [
        ("exp", json!(limit + 1)),
        ("exp", json!(i64::MAX)),
        ("exp", json!(u64::MAX)),
        ("exp", json!(1e300)),
        ("nbf", json!(-limit - 1)),
        ("iat", json!(i64::MIN)),
    ] {
        assert_eq!(
            access_with(claim, value.clone()),
            Err(ValidationError::InvalidClaim(claim)),
            "{claim} {value}"
        );
    }
    // Far in the past but within the limit: an expired token, not a bad one.
    assert_eq!(
        access_with("exp", json!(-limit)),
        Err(ValidationError::Expired)
    );
}

#[test]
fn dates_that_are_not_numbers_are_refused() {
    for value in [json!("1800000000"), json!(true), json!([NOW]), json!(null)] {
        assert_eq!(
            access_with("exp", value.clone()),
            Err(ValidationError::InvalidClaim("exp")),
            "{value}"
        );
    }
}

// ---- bytes before the JSON ----

#[test]
fn a_utf8_byte_order_mark_before_the_json_is_refused() {
    let key = es256();
    let bom = b"\xEF\xBB\xBF";
    let header = Kind::Access.header(&key).to_string();
    let claims = Kind::Access.claims().to_string();
    let bom_header = [&bom[..], header.as_bytes()].concat();
    let bom_claims = [&bom[..], claims.as_bytes()].concat();
    assert_eq!(
        Kind::Access.validate(&key, &forge_raw(&key, &bom_header, claims.as_bytes())),
        Err(ValidationError::Malformed("header is not a JSON object"))
    );
    assert_eq!(
        Kind::Access.validate(&key, &forge_raw(&key, header.as_bytes(), &bom_claims)),
        Err(ValidationError::Malformed("claims are not a JSON object"))
    );
    // White space around the JSON is JSON (RFC 8259 section 2).
    let spaced = format!(" {claims}\n");
    assert_eq!(
        Kind::Access.validate(&key, &forge_raw(&key, header.as_bytes(), spaced.as_bytes())),
        Ok(())
    );
}

// ---- algorithm names ----

#[test]
fn ed25519_as_an_alg_name_is_refused_only_eddsa_is_understood() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let claims = Kind::Access.claims();
    let mut header = Kind::Access.header(&key);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(
        Kind::Access.validate(&key, &forge(&key, &header, &claims)),
        Ok(())
    );
    header["alg"] = json!("Ed25519");
    assert_eq!(
        Kind::Access.validate(&key, &forge(&key, &header, &claims)),
        Err(ValidationError::UnsupportedAlgorithm)
    );
    // A JWK naming `Ed25519` is refused alone and skipped in a set.
    let mut jwk = serde_json::to_value(key.verifying_key().to_jwk().unwrap()).unwrap();
    jwk["alg"] = json!("Ed25519");
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk.to_string()),
        Err(KeyError::Unsupported(_))
    ));
    let set = json!({"keys": [jwk]}).to_string();
    assert_eq!(parse_jwks(set.as_bytes()).unwrap().len(), 0);
}

// ---- certificate and key URL headers ----

#[test]
fn x5t_and_x5t_s256_are_ignored_when_they_are_strings() {
    let key = es256();
    let mut header = Kind::Access.header(&key);
    header["x5t"] = json!("bm90LWEtdGh1bWJwcmludA");
    header["x5t#S256"] = json!("bm90LWEtdGh1bWJwcmludA");
    assert_eq!(
        Kind::Access.validate(&key, &forge(&key, &header, &Kind::Access.claims())),
        Ok(())
    );
    // A thumbprint naming another key does not make an untrusted signer trusted.
    let attacker = es256();
    let mut header = Kind::Access.header(&attacker);
    header["x5t#S256"] = json!(key.kid());
    assert_eq!(
        Kind::Access.validate(&key, &forge(&attacker, &header, &Kind::Access.claims())),
        Err(ValidationError::UnknownKey)
    );
}

#[test]
fn key_url_and_certificate_headers_are_accepted_and_never_fetched() {
    // `attacks::keys_embedded_in_the_header_are_never_used` shows they never
    // choose the key; here: well-typed, they do not stop a valid token.
    let key = es256();
    let mut header = Kind::Access.header(&key);
    header["jku"] = json!("https://attacker.example/jwks.json");
    header["x5u"] = json!("https://attacker.example/cert.pem");
    header["x5c"] = json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]);
    header["jwk"] = serde_json::to_value(es256().verifying_key().to_jwk().unwrap()).unwrap();
    assert_eq!(
        Kind::Access.validate(&key, &forge(&key, &header, &Kind::Access.claims())),
        Ok(())
    );
}

#[test]
fn crit_is_refused_even_empty_or_malformed() {
    let key = es256();
    for crit in [json!([]), json!(["exp"]), json!("b64"), json!(null)] {
        let mut header = Kind::Access.header(&key);
        header["crit"] = crit.clone();
        assert_eq!(
            Kind::Access.validate(&key, &forge(&key, &header, &Kind::Access.claims())),
            Err(ValidationError::CriticalHeader),
            "{crit}"
        );
    }
}

#[test]
fn unknown_header_members_are_parsed_strictly_then_ignored() {
    let key = es256();
    let mut header = Kind::Access.header(&key);
    header["x-vendor"] = json!({"nested": [1, 2, {"ok": true}]});
    assert_eq!(
        Kind::Access.validate(&key, &forge(&key, &header, &Kind::Access.claims())),
        Ok(())
    );
}
