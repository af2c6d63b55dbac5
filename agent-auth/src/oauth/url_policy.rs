//! The one URL rule of every outgoing OAuth request: `https`, or plain `http`
//! only to a loopback host (tests and local development).
//!
//! RFC 6749 section 3.1.2.1 and section 10.9 (and RFC 8414 section 2, RFC
//! 9700 section 2.6) require TLS for endpoints that carry credentials;
//! loopback is exempt as RFC 8252 section 8.3 exempts it for redirect URIs.

use std::net::IpAddr;

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The text does not parse as an absolute URL.
    #[error("not an absolute URL")]
    NotAUrl,
    /// The scheme is neither `https` nor `http` to a loopback host.
    #[error("URL must be https (http only on loopback)")]
    Insecure,
}

/// Whether `url`'s host is loopback: `127.0.0.0/8`, `[::1]`, or the name
/// `localhost` in any letter case (RFC 6761 section 6.3).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses `text` and applies the rule: `https`, or `http` on loopback
/// (RFC 6749 section 10.9, RFC 8252 section 8.3).
pub fn check_url(text: &str) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(text).map_err(|_| UrlError::NotAUrl)?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(UrlError::Insecure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        for bad in [
            "http://idp.example/token",
            "http://10.0.0.1/token",
            "http://localhost.example/token",
            "ftp://idp.example/",
            "file:///etc/passwd",
        ] {
            assert_eq!(check_url(bad), Err(UrlError::Insecure), "{bad}");
        }
        assert_eq!(check_url("not a url"), Err(UrlError::NotAUrl));
    }

    #[test]
    fn https_and_loopback_http_are_accepted_localhost_in_any_case() {
        for good in [
            "https://idp.example/token",
            "http://127.0.0.1:8080/token",
            "http://127.1.2.3/token",
            "http://[::1]:1/token",
            "http://localhost/token",
            "http://LOCALHOST:9/token",
            "http://LocalHost/token",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
    }
}
