//! Arbitrary text as a `WWW-Authenticate` value: typed errors, never panics.
#![no_main]

use agent_auth::oauth::{BearerChallenge, parse_www_authenticate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_www_authenticate(text);
        let _ = BearerChallenge::from_header(text);
    }
});
