//! Arbitrary bytes as a JWK Set and as a single JWK: errors, never panics.
#![no_main]

use agent_auth::jose::{SigningKey, VerifyingKey};
use agent_auth::validate::parse_jwks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_jwks(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = VerifyingKey::from_jwk(text);
        let _ = SigningKey::from_jwk(text);
    }
});
