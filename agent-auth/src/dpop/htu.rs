//! `htu` comparison (RFC 9449 section 4.3 check 9): the URI without query and
//! fragment, normalised per RFC 3986 sections 6.2.2 (case, percent-encoding,
//! dot segments) and 6.2.3 (default port, empty path).

/// The normal form of an absolute `http`/`https` URI for `htu` comparison:
/// query and fragment dropped, scheme and host lower-cased, the default port
/// and an empty port dropped, an empty path made `/`, percent-encodings
/// upper-cased and those of unreserved characters decoded, dot segments
/// removed. `None` for anything else (no scheme, another scheme, no host,
/// bytes outside printable ASCII).
///
/// ```
/// use agent_auth::dpop::normalize_htu;
/// assert_eq!(
///     normalize_htu("HTTPS://Mcp.Example:443/a/./b/../%7euser?q=1#f").as_deref(),
///     Some("https://mcp.example/a/~user"),
/// );
/// assert_eq!(normalize_htu("ftp://x/"), None);
/// ```
pub fn normalize_htu(uri: &str) -> Option<String> {
    if uri.is_empty() || !uri.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return None;
    }
    let without_fragment = uri.split('#').next()?;
    let without_query = without_fragment.split('?').next()?;
    let (scheme, rest) = without_query.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, ""),
    };
    if authority.contains('@') {
        // Credentials in a request URI are never sent by clients (RFC 9110
        // section 4.2.4); such an `htu` is refused rather than compared.
        return None;
    }
    let (host, port) = split_port(authority)?;
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(uri.len());
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&normalize_percent(&host.to_ascii_lowercase())?);
    if !port.is_empty() && port != default_port {
        out.push(':');
        out.push_str(port.trim_start_matches('0'));
    }
    let path = normalize_percent(path)?;
    let path = remove_dot_segments(&path);
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&path);
    }
    Some(out)
}

/// Splits `host[:port]`, IPv6 literals in brackets included. The port must be digits.
fn split_port(authority: &str) -> Option<(&str, &str)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = authority.get(..=end)?;
        match authority.get(end + 1..)? {
            "" => (host, ""),
            rest => (host, rest.strip_prefix(':')?),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => (authority, ""),
        }
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
        return None;
    }
    let port = if port.bytes().all(|b| b == b'0') && !port.is_empty() {
        "0"
    } else {
        port
    };
    Some((host, port))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Upper-cases the hex digits of percent-encodings and decodes those of
/// unreserved characters (RFC 3986 section 6.2.2.2). A `%` not followed by
/// two hex digits makes the URI invalid.
fn normalize_percent(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex(*bytes.get(i + 1)?)?;
            let lo = hex(*bytes.get(i + 2)?)?;
            let decoded = hi * 16 + lo;
            if is_unreserved(decoded) {
                out.push(char::from(decoded));
            } else {
                out.push('%');
                out.push(upper_hex(hi)?);
                out.push(upper_hex(lo)?);
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

fn upper_hex(digit: u8) -> Option<char> {
    char::from_digit(u32::from(digit), 16).map(|c| c.to_ascii_uppercase())
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 3986 section 5.2.4, on a path that starts with `/` or is empty.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = path.split('/').skip(1).peekable();
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    if path.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(path.len());
    for segment in segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_normalisations_compare_equal() {
        let same = [
            "https://mcp.example/mcp",
            "HTTPS://MCP.EXAMPLE/mcp",
            "https://mcp.example:443/mcp",
            "https://mcp.example/./mcp",
            "https://mcp.example/x/../mcp",
            "https://mcp.example/%6Dcp",
            "https://mcp.example/mcp?x=1",
            "https://mcp.example/mcp#frag",
        ];
        for uri in same {
            assert_eq!(
                normalize_htu(uri).as_deref(),
                Some("https://mcp.example/mcp"),
                "{uri}"
            );
        }
        assert_eq!(
            normalize_htu("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(
            normalize_htu("https://h/a%2fb").as_deref(),
            Some("https://h/a%2Fb")
        );
        assert_eq!(
            normalize_htu("http://[::1]:80/x").as_deref(),
            Some("http://[::1]/x")
        );
    }

    #[test]
    fn different_targets_stay_different() {
        let a = normalize_htu("https://mcp.example/mcp");
        for other in [
            "https://mcp.example/MCP",
            "https://mcp.example:8443/mcp",
            "http://mcp.example/mcp",
            "https://evil.example/mcp",
            "https://mcp.example/mcp/",
        ] {
            assert_ne!(normalize_htu(other), a, "{other}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_http_uri() {
        for bad in [
            "",
            "/relative",
            "mailto:x@y",
            "ftp://h/",
            "https://",
            "https://u:p@h/",
            "https://h:port/",
            "https://h/%zz",
            "https://h/%4",
            "https://h/ space",
            "https://h/\u{e9}",
        ] {
            assert_eq!(normalize_htu(bad), None, "{bad:?}");
        }
    }
}
