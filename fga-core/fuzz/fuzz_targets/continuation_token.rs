//! Fuzzes the changes feed's continuation token parser: any input gives a token or a
//! typed error, never a panic; an accepted token prints back to a token equal to it.
#![no_main]

use fga_core::durable::ContinuationToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = text.parse::<ContinuationToken>() {
        let again: ContinuationToken = token.to_string().parse().expect("printed tokens parse");
        assert_eq!(again, token);
    }
});
