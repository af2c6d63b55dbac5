//! Which requests go to the MCP service, read from their path. The guard fails
//! closed: a request is treated as MCP when any spelling of its path a router,
//! a proxy or a nested service could resolve lies at or under an MCP path, so a
//! request the MCP service answers always has its body inspected.

use axum::extract::OriginalUri;
use axum::http::request::Parts;

/// Rounds of percent-decoding applied (`%252F` is `%2F` after one, `/` after two).
const DECODE_ROUNDS: usize = 3;

/// Whether the request may reach an MCP service mounted at one of `mcp_paths`.
///
/// Considered: the path as sent and, when an outer axum router stripped a
/// `nest_service` prefix before the guard, the path as the client sent it
/// ([`OriginalUri`]); each both as written and normalized. Normalized means
/// percent-decoded (repeatedly), `\` read as `/`, empty and `.` segments dropped,
/// `..` resolved, `;parameters` and trailing dots or spaces of a segment removed;
/// comparisons ignore ASCII case. A path matches when it equals an MCP path or
/// continues it after a `/` (axum `nest_service("/mcp", ..)` answers `/mcp/x`).
pub(crate) fn is_mcp_request(mcp_paths: &[String], parts: &Parts) -> bool {
    if mcp_paths.iter().any(|p| p == "/") {
        return true;
    }
    let original = parts.extensions.get::<OriginalUri>().map(|u| u.0.path());
    let sent = std::iter::once(parts.uri.path()).chain(original);
    let views: Vec<String> = sent
        .flat_map(|p| [p.to_ascii_lowercase(), normalize(p)])
        .collect();
    mcp_paths.iter().any(|mcp| {
        let mcp = normalize(mcp);
        views.iter().any(|v| is_at_or_under(v, &mcp))
    })
}

fn is_at_or_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The path as the most lenient server would resolve it, lower-cased.
pub(crate) fn normalize(path: &str) -> String {
    let mut decoded = path.to_owned();
    for _ in 0..DECODE_ROUNDS {
        let next = percent_decode(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    let decoded = decoded.replace('\\', "/").to_ascii_lowercase();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        let segment = segment.split(';').next().unwrap_or("");
        if segment.trim_end_matches(' ') == ".." {
            segments.pop();
            continue;
        }
        let segment = segment.trim_end_matches(['.', ' ']);
        if !segment.is_empty() {
            segments.push(segment);
        }
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for s in segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Decodes `%XX` escapes; an invalid escape stays as written, invalid UTF-8
/// becomes U+FFFD (which matches no MCP path).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|c| hex(*c)),
                bytes.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_every_spelling_of_the_mcp_path() {
        for p in [
            "/mcp",
            "/mcp/",
            "//mcp",
            "/MCP",
            "/mcp.",
            "/m%63p",
            "/mcp/../mcp",
            "/x/../mcp",
            "/./mcp",
            "/mcp;a=b",
            "\\mcp",
            "/%252e%252e/mcp",
            "/mcp%2F",
        ] {
            assert_eq!(normalize(p), "/mcp", "{p}");
        }
        assert_eq!(normalize("/mcp%2Fx"), "/mcp/x");
        assert_eq!(normalize("/../.."), "/");
        assert_eq!(normalize("/mcpx"), "/mcpx");
    }

    #[test]
    fn prefix_match_stops_at_a_segment() {
        assert!(is_at_or_under("/mcp", "/mcp"));
        assert!(is_at_or_under("/mcp/x", "/mcp"));
        assert!(is_at_or_under("/mcp/x", "/mcp/"));
        assert!(!is_at_or_under("/mcpx", "/mcp"));
        assert!(!is_at_or_under("/other", "/mcp"));
    }
}
