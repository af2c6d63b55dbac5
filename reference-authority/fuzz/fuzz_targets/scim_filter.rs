//! SCIM filters and PATCH paths from untrusted bytes: parsing never panics,
//! and a parsed filter evaluates against a resource without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::scim::filter::{matches, parse, parse_patch_path};
use reference_authority::scim::resource_types;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_patch_path(text);
    if let Ok(filter) = parse(text) {
        let user = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223", "userName": "bjensen", "active": true,
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "meta": {"created": "2011-08-01T18:29:49Z", "lastModified": "2011-08-01T18:29:49Z"}
        });
        let _ = matches(&filter, &user, &resource_types::user());
    }
});
