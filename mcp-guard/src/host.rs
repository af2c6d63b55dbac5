//! `Host` and `Origin` validation against DNS rebinding (MCP transports,
//! "Security Warning"; MCP security best practices, local server compromise).

use axum::http::{HeaderMap, header};

/// Which `Host` and `Origin` values are accepted.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    hosts: Vec<String>,
    origins: Vec<String>,
    any_host: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// `Host` is missing or not allowed.
    #[error("Host not allowed")]
    Host,
    /// `Origin` is present and not allowed.
    #[error("Origin not allowed")]
    Origin,
}

impl HostPolicy {
    /// Loopback names only (`localhost`, `127.0.0.1`, `[::1]`, any port) and
    /// their `http`/`https` origins: the right default for a local server.
    pub fn loopback() -> Self {
        Self {
            hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            origins: Vec::new(),
            any_host: false,
        }
    }

    /// Accepts any `Host` (a server behind a proxy that checks it) while still
    /// checking `Origin` against the allowed hosts and origins.
    pub fn any_host() -> Self {
        Self {
            any_host: true,
            ..Self::default()
        }
    }

    /// Also accepts `host` (a name without port; any port is allowed).
    #[must_use]
    pub fn allow_host(mut self, host: &str) -> Self {
        self.hosts.push(host.to_ascii_lowercase());
        self
    }

    /// Also accepts the browser origin `origin` (`https://app.example`).
    #[must_use]
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.origins
            .push(origin.trim_end_matches('/').to_ascii_lowercase());
        self
    }

    fn host_allowed(&self, host_port: &str) -> bool {
        let host = strip_port(host_port).to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Checks a request's `Host` and `Origin`.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), HostError> {
        self.check_host(headers)?;
        self.check_origin(headers)
    }

    /// Checks `Host` only.
    pub fn check_host(&self, headers: &HeaderMap) -> Result<(), HostError> {
        if !self.any_host {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .ok_or(HostError::Host)?;
            if !self.host_allowed(host) {
                return Err(HostError::Host);
            }
        }
        Ok(())
    }

    /// Checks `Origin` only (absent is fine: not a browser).
    pub fn check_origin(&self, headers: &HeaderMap) -> Result<(), HostError> {
        let mut origins = headers.get_all(header::ORIGIN).iter();
        if let Some(origin) = origins.next() {
            if origins.next().is_some() {
                return Err(HostError::Origin);
            }
            let origin = origin.to_str().map_err(|_| HostError::Origin)?;
            let lower = origin.trim_end_matches('/').to_ascii_lowercase();
            if self.origins.contains(&lower) {
                return Ok(());
            }
            let authority = lower
                .strip_prefix("http://")
                .or_else(|| lower.strip_prefix("https://"))
                .ok_or(HostError::Origin)?;
            if authority.contains('/') || !self.host_allowed(authority) {
                return Err(HostError::Origin);
            }
        }
        Ok(())
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(i) => host.get(..=i).unwrap_or(host),
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(
                header::HOST,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("x")),
            );
        }
        if let Some(v) = origin {
            h.insert(
                header::ORIGIN,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("x")),
            );
        }
        h
    }

    #[test]
    fn loopback_policy() {
        let p = HostPolicy::loopback();
        assert_eq!(p.check(&headers(Some("localhost:3000"), None)), Ok(()));
        assert_eq!(
            p.check(&headers(Some("127.0.0.1"), Some("http://127.0.0.1:3000"))),
            Ok(())
        );
        assert_eq!(p.check(&headers(Some("[::1]:80"), None)), Ok(()));
        assert_eq!(
            p.check(&headers(Some("evil.example.com"), None)),
            Err(HostError::Host)
        );
        assert_eq!(p.check(&headers(None, None)), Err(HostError::Host));
        assert_eq!(
            p.check(&headers(Some("localhost"), Some("http://evil.example.com"))),
            Err(HostError::Origin)
        );
        assert_eq!(
            p.check(&headers(Some("localhost"), Some("null"))),
            Err(HostError::Origin)
        );
        assert_eq!(
            p.check(&headers(Some("localhost.evil.com"), None)),
            Err(HostError::Host)
        );
        let app = HostPolicy::any_host().allow_origin("https://app.example");
        assert_eq!(
            app.check(&headers(Some("mcp.example"), Some("https://app.example"))),
            Ok(())
        );
        assert_eq!(
            app.check(&headers(Some("mcp.example"), Some("https://x.example"))),
            Err(HostError::Origin)
        );
    }
}
