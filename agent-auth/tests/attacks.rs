//! Attacks on token validation (RFC 8725 and known JWT library bugs), each its own test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url, sign_compact};
use agent_auth::validate::{
    AccessToken, Claims, Generic, GlobalTokenRevocation, IdJag, IdToken, LogoutToken,
    SecurityEvent, StaticKeys, TokenKind, ValidationError, Validator,
};
use serde_json::{Value, json};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://idp.example";
const AUD: &str = "https://api.example";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

fn validator<K: TokenKind>(keys: StaticKeys) -> Validator<K> {
    Validator::<K>::builder(keys)
        .issuer(ISS)
        .audience(AUD)
        .clock(clock())
        .build()
}

fn trusted(key: &SigningKey) -> StaticKeys {
    StaticKeys::single(key.verifying_key().clone())
}

fn access_claims() -> Value {
    json!({
        "iss": ISS, "sub": "sarah", "aud": AUD, "client_id": "agent",
        "iat": NOW, "exp": NOW + 300, "jti": "j1", "scope": "crm:read"
    })
}

/// Signs arbitrary header and payload bytes, the way an attacker would.
fn forge(key: &SigningKey, header: &Value, payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string()),
        base64url::encode(payload)
    );
    let sig = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(sig))
}

fn at_header(key: &SigningKey) -> Value {
    json!({"alg": key.algorithm().name(), "typ": "at+jwt", "kid": key.kid()})
}

fn es256() -> SigningKey {
    SigningKey::generate(Algorithm::Es256).unwrap()
}

#[test]
fn a_well_formed_access_token_is_accepted() {
    let key = es256();
    let token = forge(
        &key,
        &at_header(&key),
        access_claims().to_string().as_bytes(),
    );
    let valid = validator::<AccessToken>(trusted(&key))
        .validate_cached(&token)
        .unwrap();
    assert_eq!(valid.sub.as_deref(), Some("sarah"));
    assert_eq!(valid.kid(), Some(key.kid()));
}

#[test]
fn alg_none_in_every_casing_is_refused() {
    let key = es256();
    let v = validator::<AccessToken>(trusted(&key));
    let payload = base64url::encode(access_claims().to_string());
    for alg in ["none", "None", "NONE", "nOnE", "NoNe"] {
        let header = base64url::encode(json!({"alg": alg, "typ": "at+jwt"}).to_string());
        for (sig, expected) in [
            ("", ValidationError::EmptySignature),
            ("c2ln", ValidationError::UnsupportedAlgorithm),
        ] {
            let token = format!("{header}.{payload}.{sig}");
            assert_eq!(v.validate_cached(&token), Err(expected), "{alg} {sig:?}");
        }
    }
}

#[test]
fn rs256_key_used_as_hmac_secret_is_refused() {
    let rsa = SigningKey::generate(Algorithm::Rs256).unwrap();
    let public_jwk = serde_json::to_vec(rsa.verifying_key().to_jwk().unwrap()).unwrap();
    // The classic confusion: HMAC keyed with the bytes of the public key.
    let attacker = SigningKey::from_hmac_secret(&public_jwk).unwrap();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": rsa.kid()});
    let token = forge(&attacker, &header, access_claims().to_string().as_bytes());
    assert_eq!(
        validator::<AccessToken>(trusted(&rsa)).validate_cached(&token),
        Err(ValidationError::AlgorithmNotAllowed(Algorithm::Hs256))
    );
    // Even where a profile allows shared secrets, the RSA key only verifies RS256.
    let generic = Validator::<Generic>::builder(trusted(&rsa))
        .issuer(ISS)
        .audience(AUD)
        .clock(clock())
        .allow_shared_secret()
        .build();
    assert_eq!(
        generic.validate_cached(&token),
        Err(ValidationError::KeyAlgorithmMismatch(Algorithm::Hs256))
    );
}

#[test]
fn keys_embedded_in_the_header_are_never_used() {
    let trusted_key = es256();
    let attacker = es256();
    let attacker_jwk = serde_json::to_value(attacker.verifying_key().to_jwk().unwrap()).unwrap();
    let v = validator::<AccessToken>(trusted(&trusted_key));
    for (member, value) in [
        ("jwk", attacker_jwk.clone()),
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        (
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ),
    ] {
        for kid in [attacker.kid(), trusted_key.kid()] {
            let mut header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
            header[member] = value.clone();
            let token = forge(&attacker, &header, access_claims().to_string().as_bytes());
            let expected = if kid == trusted_key.kid() {
                ValidationError::InvalidSignature
            } else {
                ValidationError::UnknownKey
            };
            assert_eq!(v.validate_cached(&token), Err(expected), "{member}");
        }
    }
}

#[test]
fn kid_is_an_opaque_label_not_a_path_or_query() {
    let key = es256();
    let v = validator::<AccessToken>(trusted(&key));
    for kid in [
        "../../../../dev/null",
        "/etc/passwd",
        "' OR '1'='1",
        "key\u{0}",
        "https://attacker.example/key",
        "*",
        "",
    ] {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
        let token = forge(&key, &header, access_claims().to_string().as_bytes());
        assert_eq!(
            v.validate_cached(&token),
            Err(ValidationError::UnknownKey),
            "{kid:?}"
        );
    }
}

#[test]
fn ecdsa_psychic_signature_is_refused() {
    let key = es256();
    let header = base64url::encode(at_header(&key).to_string());
    let payload = base64url::encode(access_claims().to_string());
    let zeros = base64url::encode([0u8; 64]);
    let token = format!("{header}.{payload}.{zeros}");
    assert_eq!(
        validator::<AccessToken>(trusted(&key)).validate_cached(&token),
        Err(ValidationError::InvalidSignature)
    );
}

#[test]
fn unknown_critical_header_is_refused() {
    let key = es256();
    for crit in [
        json!(["exp"]),
        json!(["b64"]),
        json!(["x-unknown"]),
        json!([]),
    ] {
        let mut header = at_header(&key);
        header["crit"] = crit.clone();
        let token = forge(&key, &header, access_claims().to_string().as_bytes());
        assert_eq!(
            validator::<AccessToken>(trusted(&key)).validate_cached(&token),
            Err(ValidationError::CriticalHeader),
            "{crit}"
        );
    }
}

fn with_claim(name: &str, value: Value) -> Vec<u8> {
    let mut claims = access_claims();
    claims[name] = value;
    claims.to_string().into_bytes()
}

fn check(payload: &[u8]) -> Result<(), ValidationError> {
    let key = es256();
    let token = forge(&key, &at_header(&key), payload);
    validator::<AccessToken>(trusted(&key))
        .validate_cached(&token)
        .map(|_| ())
}

#[test]
fn expired_token_is_refused_after_the_leeway() {
    assert_eq!(
        check(&with_claim("exp", json!(NOW - 61))),
        Err(ValidationError::Expired)
    );
    assert_eq!(
        check(&with_claim("exp", json!(NOW - 60))),
        Err(ValidationError::Expired)
    );
    assert!(
        check(&with_claim("exp", json!(NOW - 59))).is_ok(),
        "inside the leeway"
    );
}

#[test]
fn not_yet_valid_token_is_refused() {
    assert_eq!(
        check(&with_claim("nbf", json!(NOW + 61))),
        Err(ValidationError::NotYetValid)
    );
    assert!(check(&with_claim("nbf", json!(NOW + 60))).is_ok());
}

#[test]
fn token_issued_far_in_the_future_is_refused() {
    assert_eq!(
        check(&with_claim("iat", json!(NOW + 3600))),
        Err(ValidationError::IssuedInFuture)
    );
}

#[test]
fn wrong_issuer_is_refused() {
    assert_eq!(
        check(&with_claim("iss", json!("https://idp.example/"))),
        Err(ValidationError::WrongIssuer),
        "issuers compare exactly"
    );
}

#[test]
fn wrong_or_missing_audience_is_refused() {
    assert_eq!(
        check(&with_claim("aud", json!("https://other.example"))),
        Err(ValidationError::WrongAudience)
    );
    assert_eq!(
        check(&with_claim("aud", json!([]))),
        Err(ValidationError::MissingClaim("aud"))
    );
    let mut claims = access_claims();
    claims.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        check(claims.to_string().as_bytes()),
        Err(ValidationError::MissingClaim("aud"))
    );
    assert!(
        check(&with_claim("aud", json!(["x", AUD]))).is_ok(),
        "containment"
    );
}

#[test]
fn oversized_token_is_refused_before_parsing() {
    let key = es256();
    let token = forge(
        &key,
        &at_header(&key),
        &with_claim("pad", json!("x".repeat(20_000))),
    );
    assert!(matches!(
        validator::<AccessToken>(trusted(&key)).validate_cached(&token),
        Err(ValidationError::TooLarge { max: 16_384, .. })
    ));
    // Not even a well-formed token: the size check comes first.
    let junk = "!".repeat(16_385);
    assert!(matches!(
        validator::<AccessToken>(trusted(&key)).validate_cached(&junk),
        Err(ValidationError::TooLarge { .. })
    ));
}

#[test]
fn deeply_nested_json_is_refused() {
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let payload = format!(r#"{{"iss":"{ISS}","deep":{deep}}}"#);
    assert_eq!(
        check(payload.as_bytes()),
        Err(ValidationError::NestingTooDeep)
    );
    let key = es256();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": key.kid(),
        "x": serde_json::from_str::<Value>(&deep).unwrap()});
    let token = forge(&key, &header, access_claims().to_string().as_bytes());
    assert_eq!(
        validator::<AccessToken>(trusted(&key)).validate_cached(&token),
        Err(ValidationError::NestingTooDeep)
    );
}

#[test]
fn invalid_utf8_is_refused() {
    let mut payload = access_claims().to_string().into_bytes();
    let pos = payload.windows(5).position(|w| w == b"sarah").unwrap();
    payload[pos] = 0xff;
    assert!(matches!(
        check(&payload),
        Err(ValidationError::Malformed(_))
    ));
    let lone_surrogate = access_claims().to_string().replace("sarah", "\\ud800");
    assert!(matches!(
        check(lone_surrogate.as_bytes()),
        Err(ValidationError::Malformed(_))
    ));
}

#[test]
fn trailing_garbage_is_refused() {
    let key = es256();
    let v = validator::<AccessToken>(trusted(&key));
    let token = forge(
        &key,
        &at_header(&key),
        access_claims().to_string().as_bytes(),
    );
    for bad in [
        format!("{token}."),
        format!("{token} "),
        format!("{token}\n"),
        format!("{token}.{token}"),
        format!("{token}=="),
    ] {
        assert!(
            matches!(v.validate_cached(&bad), Err(ValidationError::Malformed(_))),
            "{bad:?}"
        );
    }
    let signed_garbage = format!("{} trailing", access_claims());
    assert!(matches!(
        check(signed_garbage.as_bytes()),
        Err(ValidationError::Malformed(_))
    ));
}

#[test]
fn duplicate_member_names_are_refused() {
    let dup = format!(r#"{{"iss":"{ISS}","iss":"https://evil.example"}}"#);
    assert_eq!(check(dup.as_bytes()), Err(ValidationError::DuplicateMember));
    let key = es256();
    let header = format!(
        r#"{{"alg":"ES256","alg":"none","typ":"at+jwt","kid":"{}"}}"#,
        key.kid()
    );
    let input = format!(
        "{}.{}",
        base64url::encode(&header),
        base64url::encode(access_claims().to_string())
    );
    let token = format!(
        "{input}.{}",
        base64url::encode(key.sign(input.as_bytes()).unwrap())
    );
    assert_eq!(
        validator::<AccessToken>(trusted(&key)).validate_cached(&token),
        Err(ValidationError::DuplicateMember)
    );
}

#[test]
fn key_of_one_type_under_another_types_alg_is_refused() {
    let rsa = SigningKey::generate(Algorithm::Rs256).unwrap();
    let ed = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let keys = StaticKeys::new([rsa.verifying_key().clone(), ed.verifying_key().clone()]).unwrap();
    let v = validator::<AccessToken>(keys);
    // An Ed25519 signature presented as ES256 under the Ed25519 key's kid.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": ed.kid()});
    let token = forge(&ed, &header, access_claims().to_string().as_bytes());
    assert_eq!(
        v.validate_cached(&token),
        Err(ValidationError::KeyAlgorithmMismatch(Algorithm::Es256))
    );
    // PS256 under an RS256 key: the same modulus, another algorithm.
    let header = json!({"alg": "PS256", "typ": "at+jwt", "kid": rsa.kid()});
    let token = forge(&rsa, &header, access_claims().to_string().as_bytes());
    assert_eq!(
        v.validate_cached(&token),
        Err(ValidationError::KeyAlgorithmMismatch(Algorithm::Ps256))
    );
}

#[test]
fn missing_kid_with_several_candidate_keys_is_refused() {
    let a = es256();
    let b = es256();
    let keys = StaticKeys::new([a.verifying_key().clone(), b.verifying_key().clone()]).unwrap();
    let header = json!({"alg": "ES256", "typ": "at+jwt"});
    let token = forge(&a, &header, access_claims().to_string().as_bytes());
    assert_eq!(
        validator::<AccessToken>(keys).validate_cached(&token),
        Err(ValidationError::AmbiguousKey)
    );
    let token = forge(&a, &header, access_claims().to_string().as_bytes());
    assert!(
        validator::<AccessToken>(trusted(&a))
            .validate_cached(&token)
            .is_ok()
    );
}

// ---- every pair of profiles ----

fn claims_for(kind: &str) -> Claims {
    let mut c = Claims::new();
    c.iss = Some(ISS.into());
    c.aud = vec![AUD.into()];
    c.iat = Some(NOW);
    c.jti = Some(format!("{kind}-1"));
    // A SET has neither `exp` nor `sub` (SSF 1.0 sections 4.1.2 and 4.1.7); a
    // global token revocation request names its subject in `sub_id` only.
    if kind != "set" {
        c.exp = Some(NOW + 300);
    }
    if kind != "set" && kind != "gtr" {
        c.sub = Some("sarah".into());
    }
    match kind {
        "id" => c.with("nonce", "n-1"),
        "at" | "idjag" => c.with("client_id", "agent"),
        "set" => c.with(
            "events",
            json!({"https://schemas.openid.net/secevent/caep/event-type/session-revoked": {}}),
        ),
        "gtr" => c.with(
            "sub_id",
            json!({"format": "email", "email": "sarah@example.com"}),
        ),
        "logout" => c
            .with(
                "events",
                json!({"http://schemas.openid.net/event/backchannel-logout": {}}),
            )
            .with("sid", "s-1"),
        _ => c,
    }
}

fn mint<K: TokenKind>(key: &SigningKey, kind: &str) -> String {
    sign_compact(key, K::PROFILE.mint_typ, &claims_for(kind))
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn accepts<K: TokenKind>(key: &SigningKey, token: &str) -> bool {
    validator::<K>(trusted(key)).validate_cached(token).is_ok()
}

#[test]
fn a_token_of_one_kind_is_never_accepted_as_another() {
    let key = es256();
    let tokens = [
        ("id", mint::<IdToken>(&key, "id")),
        ("at", mint::<AccessToken>(&key, "at")),
        ("idjag", mint::<IdJag>(&key, "idjag")),
        ("set", mint::<SecurityEvent>(&key, "set")),
        ("gtr", mint::<GlobalTokenRevocation>(&key, "gtr")),
        ("logout", mint::<LogoutToken>(&key, "logout")),
    ];
    type Accepts = fn(&SigningKey, &str) -> bool;
    let checks: [(&str, Accepts); 6] = [
        ("id", accepts::<IdToken>),
        ("at", accepts::<AccessToken>),
        ("idjag", accepts::<IdJag>),
        ("set", accepts::<SecurityEvent>),
        ("gtr", accepts::<GlobalTokenRevocation>),
        ("logout", accepts::<LogoutToken>),
    ];
    let mut pairs = 0;
    for (minted_as, token) in &tokens {
        for (checked_as, accept) in &checks {
            assert_eq!(
                accept(&key, token),
                minted_as == checked_as,
                "{minted_as} token checked as {checked_as}"
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 36);
}

#[test]
fn an_untyped_jwt_with_the_right_claims_is_only_an_id_token_candidate() {
    let key = es256();
    // An access token with its typ stripped must not pass as an access token.
    let token = sign_compact(&key, None, &claims_for("at")).unwrap();
    assert_eq!(
        validator::<AccessToken>(trusted(&key)).validate_cached(token.expose_secret()),
        Err(ValidationError::WrongType { expected: "at+jwt" })
    );
}

#[test]
fn id_token_audience_rules_follow_openid_core() {
    let key = es256();
    let also = "https://trusted-too.example";
    let v = Validator::<IdToken>::builder(trusted(&key))
        .issuer(ISS)
        .audience(AUD)
        .also_trust_audiences([also])
        .clock(clock())
        .build();
    let mut c = claims_for("id");
    c.aud = vec![AUD.into(), also.into()];
    let token = sign_compact(&key, Some("JWT"), &c).unwrap();
    assert!(matches!(
        v.validate_cached(token.expose_secret()),
        Err(ValidationError::Profile {
            rule: "several audiences without `azp`",
            ..
        })
    ));
    let c = c.with("azp", AUD);
    let token = sign_compact(&key, Some("JWT"), &c).unwrap();
    assert!(v.validate_cached(token.expose_secret()).is_ok());
    // Untrusted extra audiences are refused whatever `azp` says: see
    // `validation_rules::id_token_with_an_untrusted_extra_audience_is_refused_even_when_azp_is_the_client`.
    let c = claims_for("id").with("azp", "someone-else");
    let token = sign_compact(&key, Some("JWT"), &c).unwrap();
    assert!(matches!(
        v.validate_cached(token.expose_secret()),
        Err(ValidationError::Profile {
            rule: "`azp` is not this client",
            ..
        })
    ));
}

#[test]
fn logout_token_must_not_carry_a_nonce() {
    let key = es256();
    let c = claims_for("logout").with("nonce", "n");
    let token = sign_compact(&key, Some("logout+jwt"), &c).unwrap();
    assert!(matches!(
        validator::<LogoutToken>(trusted(&key)).validate_cached(token.expose_secret()),
        Err(ValidationError::Profile { .. })
    ));
}

#[test]
fn id_jag_requires_a_single_audience() {
    let key = es256();
    let mut c = claims_for("idjag");
    c.aud = vec![AUD.into(), "https://other-as.example".into()];
    let token = sign_compact(&key, Some("oauth-id-jag+jwt"), &c).unwrap();
    assert!(matches!(
        validator::<IdJag>(trusted(&key)).validate_cached(token.expose_secret()),
        Err(ValidationError::Profile { .. })
    ));
}

#[test]
fn non_canonical_base64url_in_any_part_is_refused() {
    // ES256 signatures are 64 bytes: the last of 86 characters carries two data
    // bits and four bits that must be zero. Setting those bits changes no
    // decoded byte under a lenient decoder; strict decoding refuses it.
    let key = es256();
    let token = forge(
        &key,
        &at_header(&key),
        access_claims().to_string().as_bytes(),
    );
    let v = validator::<AccessToken>(trusted(&key));
    assert!(v.validate_cached(&token).is_ok());
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (rest, sig) = token.rsplit_once('.').unwrap();
    let last = sig.as_bytes()[sig.len() - 1];
    let value = alphabet.iter().position(|&c| c == last).unwrap();
    let mut refused = 0;
    for low in 1..16 {
        let twin = alphabet[(value & !0xf) | low] as char;
        let forged = format!("{rest}.{}{twin}", &sig[..sig.len() - 1]);
        assert!(
            matches!(
                v.validate_cached(&forged),
                Err(ValidationError::Malformed(_))
            ),
            "trailing bits {low:#x} accepted"
        );
        refused += 1;
    }
    assert_eq!(refused, 15);
}
