//! Arbitrary bytes as a compact token: validation must return an error, never
//! panic, and never accept (the fuzzer cannot forge an Ed25519 signature).
#![no_main]

use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::validate::{AccessToken, JwsVerifier, StaticKeys, Validator};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate(Algorithm::EdDsa).expect("key").with_kid("k"));

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let keys = StaticKeys::single(KEY.verifying_key().clone());
    let validator = Validator::<AccessToken>::builder(keys.clone())
        .issuer("https://idp.example")
        .audience("https://api.example")
        .build();
    assert!(validator.validate_cached(token).is_err());
    assert!(JwsVerifier::new(&Algorithm::ALL).verify(token, &keys).is_err());
});
