//! Arbitrary bytes as a client ID metadata document, and arbitrary text as a
//! URL client id and a `Cache-Control` value: typed errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::cimd::{
    CimdPolicy, check_client_id_url, freshness, parse_client_metadata_document,
};

fuzz_target!(|data: &[u8]| {
    let policy = CimdPolicy::new().scopes(["a", "b"]);
    let _ = parse_client_metadata_document("https://app.example/client.json", data, &policy);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_client_id_url(text, &policy);
        let _ = freshness(Some(text), 3600);
    }
});
