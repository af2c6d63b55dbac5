//! The canonical resource URI (RFC 8707 section 2, MCP authorization "Canonical
//! Server URI"): the identifier an access token's `aud` must carry.

use url::Url;

/// Why a resource URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// The text is not an absolute URI.
    #[error("the resource is not an absolute URI")]
    NotAbsolute,
    /// RFC 8707 section 2: the resource must not carry a fragment.
    #[error("the resource URI must not have a fragment")]
    Fragment,
    /// Only `https` (or `http` for local development) identifies an MCP server.
    #[error("the resource URI must use https or http")]
    Scheme,
}

/// A resource server's canonical URI.
///
/// Scheme and host are lower case (RFC 3986 section 6.2.2.1), a default port is
/// dropped, a trailing slash after a non-empty path is removed and a bare origin
/// has no path, as the MCP specification writes it (`https://mcp.example.com`,
/// `https://mcp.example.com/mcp`). Query is kept, fragment refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceUri {
    canonical: String,
    origin: String,
    path: String,
}

impl ResourceUri {
    /// Parses and canonicalizes a resource URI.
    pub fn parse(text: &str) -> Result<Self, ResourceError> {
        let url = Url::parse(text).map_err(|_| ResourceError::NotAbsolute)?;
        if url.fragment().is_some() {
            return Err(ResourceError::Fragment);
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ResourceError::Scheme);
        }
        let host = url.host_str().ok_or(ResourceError::NotAbsolute)?;
        let mut origin = format!("{}://{}", url.scheme(), host.to_ascii_lowercase());
        if let Some(port) = url.port() {
            origin.push(':');
            origin.push_str(&port.to_string());
        }
        let path = url.path().trim_end_matches('/').to_owned();
        let mut canonical = format!("{origin}{path}");
        if let Some(q) = url.query() {
            canonical.push('?');
            canonical.push_str(q);
        }
        Ok(Self {
            canonical,
            origin,
            path,
        })
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The path without a trailing slash (empty for a bare origin).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The spellings of this URI an `aud` may use and still name this resource:
    /// the canonical form and the same with a trailing slash. Case differences
    /// in scheme and host are handled by [`ResourceUri::matches`].
    pub fn audience_spellings(&self) -> Vec<String> {
        let mut v = vec![self.canonical.clone()];
        if !self.canonical.contains('?') {
            v.push(format!("{}/", self.canonical));
        }
        v
    }

    /// Whether an `aud` value names this resource (after canonicalization).
    pub fn matches(&self, aud: &str) -> bool {
        aud == self.canonical
            || ResourceUri::parse(aud).is_ok_and(|other| other.canonical == self.canonical)
    }

    /// RFC 9728 section 3.1: the metadata URL with the well-known segment
    /// inserted between host and path.
    pub fn metadata_url(&self) -> String {
        format!(
            "{}{}{}",
            self.origin,
            crate::metadata::WELL_KNOWN,
            self.path
        )
    }
}

impl std::fmt::Display for ResourceUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let cases = [
            (
                "https://MCP.Example.com/mcp/",
                "https://mcp.example.com/mcp",
            ),
            ("HTTPS://mcp.example.com", "https://mcp.example.com"),
            ("https://mcp.example.com/", "https://mcp.example.com"),
            ("https://mcp.example.com:443/x", "https://mcp.example.com/x"),
            ("http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/mcp"),
            (
                "https://mcp.example.com/Path",
                "https://mcp.example.com/Path",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                ResourceUri::parse(input).map(|r| r.canonical),
                Ok(want.to_owned()),
                "{input}"
            );
        }
        assert_eq!(
            ResourceUri::parse("https://a.example/#f"),
            Err(ResourceError::Fragment)
        );
        assert_eq!(
            ResourceUri::parse("mcp.example.com"),
            Err(ResourceError::NotAbsolute)
        );
        assert_eq!(
            ResourceUri::parse("ftp://a.example"),
            Err(ResourceError::Scheme)
        );
    }

    #[test]
    fn audience_matching_and_metadata_url() -> Result<(), ResourceError> {
        let r = ResourceUri::parse("https://mcp.example.com/mcp")?;
        assert!(r.matches("https://mcp.example.com/mcp"));
        assert!(r.matches("https://MCP.example.com/mcp/"));
        assert!(!r.matches("https://mcp.example.com/other"));
        assert!(!r.matches("https://mcp.example.com"));
        assert!(!r.matches("https://evil.example/mcp"));
        assert_eq!(
            r.metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let root = ResourceUri::parse("https://mcp.example.com/")?;
        assert_eq!(
            root.metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource"
        );
        Ok(())
    }
}
