//! Arbitrary tile paths: refused or parsed to the one canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::audit_log::TilePath;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(path) = TilePath::parse(text)
    {
        assert_eq!(path.to_string().strip_prefix("tile/"), Some(text));
    }
});
