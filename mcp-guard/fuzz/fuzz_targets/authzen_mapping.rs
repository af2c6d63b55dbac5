//! Arbitrary JSON as a declared `x-authzen-mapping` (written by the MCP
//! server, so untrusted by a gateway): typed errors, never panics, including
//! in the CEL compiler its expressions go through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_guard::authzen::{IdentityClaims, Mapping};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = Mapping::declared(value, &IdentityClaims::default());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let mapping = serde_json::json!({"evaluation": {"resource": {"type": "t", "id": format!("${text}")}}});
        let _ = Mapping::declared(mapping, &IdentityClaims::default());
    }
});
