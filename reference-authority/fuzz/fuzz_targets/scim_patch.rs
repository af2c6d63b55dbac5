//! PATCH request bodies from untrusted bytes, applied to a Group: no panic,
//! and a refusal is a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::scim::{patch, resource_types};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let before = serde_json::json!({"displayName": "Sales", "members": [{"value": "a"}, {"value": "b"}]});
    if let Some(attrs) = before.as_object() {
        let _ = patch::apply(&resource_types::group(), attrs, &body);
    }
});
