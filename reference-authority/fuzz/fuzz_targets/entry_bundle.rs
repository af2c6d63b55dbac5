//! Arbitrary bytes as an entry bundle and as log entries: errors, never
//! panics; a bundle that parses re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::audit_log::{LogEntry, entry, entry_bundle, parse_entry_bundle};

fuzz_target!(|data: &[u8]| {
    if let Some(entries) = parse_entry_bundle(data) {
        let owned: Vec<Vec<u8>> = entries.iter().map(|e| e.to_vec()).collect();
        assert_eq!(entry_bundle(&owned).ok().as_deref(), Some(data));
    }
    let _ = LogEntry::decode(data);
    let _ = entry::claimed_index(data);
});
