//! Arbitrary text through the output filter with the built-in rules (keyword
//! windows, exact-case keywords, contexts, edge fallback): findings lie on
//! character boundaries inside the text, redaction never panics.
//! The filter is built once: compiling the built-in rules costs far more than
//! one scan, and the scan is what sees untrusted text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use token_vault_client::filter::{FilterMode, OutputFilter};

static FILTER: LazyLock<OutputFilter> = LazyLock::new(|| OutputFilter::new(FilterMode::Redact));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let filter = &*FILTER;
    for finding in filter.scan(text) {
        assert!(finding.start < finding.end && finding.end <= text.len());
        assert!(text.is_char_boundary(finding.start) && text.is_char_boundary(finding.end));
    }
    let _ = filter.filter_text(text);
});
