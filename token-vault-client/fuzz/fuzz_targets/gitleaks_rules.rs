//! Arbitrary bytes as a gitleaks rule file: a typed error or a rule set that
//! scans its own input without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_vault_client::filter::{FilterMode, OutputFilter, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = RuleSet::from_gitleaks_toml(text) {
        let _ = OutputFilter::with_only(FilterMode::Block, rules).scan(text);
    }
});
