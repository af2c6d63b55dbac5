//! Property tests over untrusted input: whatever the bytes, validation returns
//! a typed error (never a panic, never an acceptance of a forged token), and
//! every single-byte change of a valid token is refused. The same entry points
//! have `cargo fuzz` targets in `agent-auth/fuzz`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, VerifyingKey, sign_compact};
use agent_auth::validate::{AccessToken, Claims, StaticKeys, Validator, parse_jwks};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

const NOW: i64 = 1_800_000_000;

static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate(Algorithm::Es256).unwrap());

static VALIDATOR: LazyLock<Validator<AccessToken>> = LazyLock::new(|| {
    Validator::<AccessToken>::builder(StaticKeys::single(KEY.verifying_key().clone()))
        .issuer("https://idp.example")
        .audience("https://api.example")
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
});

static TOKEN: LazyLock<String> = LazyLock::new(|| {
    let mut c = Claims::new()
        .with("client_id", "agent")
        .with("scope", "a b");
    c.iss = Some("https://idp.example".into());
    c.sub = Some("sarah".into());
    c.aud = vec!["https://api.example".into()];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 60);
    c.jti = Some("j".into());
    sign_compact(&KEY, Some("at+jwt"), &c)
        .unwrap()
        .expose_secret()
        .to_owned()
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_are_refused(s in "\\PC{0,400}") {
        prop_assert!(VALIDATOR.validate_cached(&s).is_err());
    }

    #[test]
    fn arbitrary_three_part_tokens_are_refused(
        a in "[A-Za-z0-9_-]{0,120}", b in "[A-Za-z0-9_-]{0,200}", c in "[A-Za-z0-9_-]{0,120}"
    ) {
        let token = format!("{a}.{b}.{c}");
        prop_assert!(VALIDATOR.validate_cached(&token).is_err());
    }

    #[test]
    fn every_byte_change_of_a_valid_token_is_refused(pos in 0usize..10_000, byte in any::<u8>()) {
        let mut bytes = TOKEN.clone().into_bytes();
        let pos = pos % bytes.len();
        prop_assume!(bytes[pos] != byte);
        bytes[pos] = byte;
        if let Ok(token) = String::from_utf8(bytes) {
            // A change in the last character may only touch base64 padding bits,
            // which strict decoding refuses: no change is ever accepted.
            prop_assert!(VALIDATOR.validate_cached(&token).is_err());
        }
    }

    #[test]
    fn arbitrary_jwks_and_jwk_documents_give_errors_not_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_jwks(&data);
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = VerifyingKey::from_jwk(text);
            let _ = SigningKey::from_jwk(text);
        }
    }

    #[test]
    fn json_shaped_jwks_give_errors_not_panics(
        kty in prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "x"]),
        crv in prop::sample::select(vec!["P-256", "Ed25519", "P-384", ""]),
        x in "[A-Za-z0-9_-]{0,60}", y in "[A-Za-z0-9_-]{0,60}", n in "[A-Za-z0-9_-]{0,400}",
    ) {
        let doc = serde_json::json!({"keys": [{"kty": kty, "crv": crv, "x": x, "y": y, "n": n, "e": "AQAB"}]});
        let _ = parse_jwks(doc.to_string().as_bytes());
    }
}

#[test]
fn the_valid_token_itself_is_accepted() {
    assert!(VALIDATOR.validate_cached(&TOKEN).is_ok());
}
