//! Arbitrary bytes as an RFC 9493 / SSF subject identifier: an error, never a
//! panic; what parses renders back to the same subject and matches itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::signals::SubjectId;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(subject) = SubjectId::from_json(&value) {
        let again = SubjectId::from_json(&subject.to_json());
        assert_eq!(again.as_ref(), Ok(&subject));
        assert!(subject.matches(&subject));
    }
});
