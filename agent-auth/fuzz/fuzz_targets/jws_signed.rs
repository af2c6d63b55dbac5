//! Arbitrary header and claims bytes, signed with the trusted key, so that the
//! header parser, the claims parser and every profile's rules see them: each
//! profile must return an error or a result, never panic, and accept only a
//! JSON object of claims under a JSON object header.
#![no_main]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url};
use agent_auth::validate::{
    AccessToken, Generic, GlobalTokenRevocation, IdJag, IdToken, LogoutToken, SecurityEvent,
    StaticKeys, TokenKind, ValidationError, Validator,
};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};

static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate(Algorithm::EdDsa).expect("key").with_kid("k"));

fn check<K: TokenKind>(token: &str) -> Result<(), ValidationError> {
    Validator::<K>::builder(StaticKeys::single(KEY.verifying_key().clone()))
        .issuer("https://idp.example")
        .audience("https://api.example")
        .clock(Arc::new(ManualClock::new(1_800_000_000)))
        .build()
        .validate_cached(token)
        .map(|_| ())
}

fn is_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes).is_ok()
}

fuzz_target!(|data: &[u8]| {
    // The first byte says how many of the following bytes are the header.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (header, claims) = rest.split_at(usize::from(split).min(rest.len()));
    let input = format!("{}.{}", base64url::encode(header), base64url::encode(claims));
    let signature = KEY.sign(input.as_bytes()).expect("sign");
    let token = format!("{input}.{}", base64url::encode(signature));
    let results = [
        check::<IdToken>(&token),
        check::<AccessToken>(&token),
        check::<IdJag>(&token),
        check::<SecurityEvent>(&token),
        check::<GlobalTokenRevocation>(&token),
        check::<LogoutToken>(&token),
        check::<Generic>(&token),
    ];
    if results.iter().any(Result::is_ok) {
        assert!(is_object(header) && is_object(claims));
    }
});
