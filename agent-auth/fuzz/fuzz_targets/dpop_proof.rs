//! Arbitrary bytes as a DPoP proof, and as an `htu`: errors, never panics.
#![no_main]

use agent_auth::dpop::{ProofRequest, ProofVerifier, normalize_htu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let verifier = ProofVerifier::new();
        let request = ProofRequest::new("POST", "https://as.example/token")
            .with_access_token("token", "jkt");
        let _ = verifier.verify(text, &request);
        let _ = normalize_htu(text);
    }
});
