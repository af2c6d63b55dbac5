#![no_main]
//! Authorization parsing and the JSON-RPC body reader: no panic on any
//! input; and a challenge we write parses back, with the OAuth core's
//! WWW-Authenticate parser, to one challenge.

use libfuzzer_sys::fuzz_target;
use agent_auth::oauth::parse_www_authenticate;
use mcp_guard::header::{Challenge, ErrorCode, parse_bearer};

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = parse_bearer(data) {
        assert!(mcp_guard::header::is_b64token(token));
    }
    let _ = mcp_guard::jsonrpc::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
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
