//! Arbitrary bytes as a token store file, and arbitrary bytes sealed as its
//! content: typed errors, never panics.
#![no_main]

use agent_auth::mcp_client::{StoreKey, open_sealed, seal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = StoreKey::from_bytes(&[7u8; 32]) else {
        return;
    };
    let _ = open_sealed(&key, data);
    if let Ok(file) = seal(&key, data) {
        let _ = open_sealed(&key, &file);
    }
});
