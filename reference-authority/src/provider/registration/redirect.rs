//! Rules for registered redirect URIs.

use crate::provider::clients::absolute_without_fragment;

/// The rules for a redirect URI a client registers itself:
/// - absolute, without fragment (RFC 6749 section 3.1.2);
/// - `https` (RFC 9700 section 4.1.1: no plain-text redirects), or `http` on a
///   loopback host (RFC 8252 section 7.3: `127.0.0.1`, `[::1]`, and `localhost`
///   which section 8.3 discourages but native MCP clients use);
/// - no user information, which would hide the real host from a reader.
pub(crate) fn check_registered(uri: &str) -> Result<(), &'static str> {
    let parsed = absolute_without_fragment(uri)?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("a redirect URI carries user information");
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err("a plain http redirect URI must be on a loopback host"),
        _ => Err("a redirect URI must use https, or http on a loopback host"),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::check_registered;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://app.example/cb",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1:9000/callback",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
        ] {
            assert!(check_registered(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_the_rest() {
        for bad in [
            "/relative",
            "https://app.example/cb#frag",
            "http://app.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "https://user:pw@app.example/cb",
            "javascript:alert(1)",
            "com.example.app:/cb",
            "file:///etc/passwd",
        ] {
            assert!(check_registered(bad).is_err(), "{bad}");
        }
    }
}
