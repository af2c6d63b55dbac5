//! Arbitrary bytes as the request a browser sends to the loopback redirect
//! listener: typed errors, never panics.
#![no_main]

use agent_auth::oauth::parse_callback_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = parse_callback_request(data) {
        let _ = request.param("state");
    }
});
