//! Arbitrary text through the output filter with the built-in rules (keyword
//! windows, exact-case keywords, contexts, edge fallback): findings lie on
//! character boundaries inside the text, redaction never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_vault_client::filter::{FilterMode, OutputFilter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let filter = OutputFilter::new(FilterMode::Redact);
    for finding in filter.scan(text) {
        assert!(finding.start < finding.end && finding.end <= text.len());
        assert!(text.is_char_boundary(finding.start) && text.is_char_boundary(finding.end));
    }
    let _ = filter.filter_text(text);
});
