#![no_main]
//! Authorization and WWW-Authenticate parsing, plus the JSON-RPC body reader:
//! no panic on any input, and a challenge we write parses back to itself.

use libfuzzer_sys::fuzz_target;
use mcp_guard::header::{Challenge, ErrorCode, parse_bearer, parse_www_authenticate};

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = parse_bearer(data) {
        assert!(mcp_guard::header::is_b64token(token));
    }
    let _ = mcp_guard::jsonrpc::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_www_authenticate(text);
        let c = Challenge {
            error: Some(ErrorCode::InvalidToken),
            description: Some(text.to_owned()),
            scope: text.split(' ').map(str::to_owned).filter(|s| !s.is_empty()).take(4).collect(),
            resource_metadata: Some("https://mcp.example/.well-known/oauth-protected-resource".into()),
        };
        let value = c.to_header_value();
        let parsed = parse_www_authenticate(&value).expect("our own challenge parses");
        assert_eq!(parsed.len(), 1);
    }
});
