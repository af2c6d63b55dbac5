//! What the authority accepts as a client ID metadata document, and how it
//! fetches and caches them.

use std::time::Duration;

/// The rules for URL client ids (OAuth Client ID Metadata Documents).
///
/// ```
/// use reference_authority::cimd::CimdPolicy;
/// let policy = CimdPolicy::new()
///     .scopes(["mcp:read"])
///     .resources(["https://mcp.example/mcp"]);
/// # let _ = policy;
/// ```
#[derive(Debug, Clone)]
pub struct CimdPolicy {
    pub(crate) allow_http_loopback: bool,
    pub(crate) allow_private_addresses: bool,
    pub(crate) max_bytes: usize,
    pub(crate) timeout: Duration,
    pub(crate) max_cache_secs: i64,
    pub(crate) max_entries: usize,
    pub(crate) scopes: Vec<String>,
    pub(crate) resources: Vec<String>,
}

impl Default for CimdPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl CimdPolicy {
    /// https documents on public addresses only; 5 KiB, 5 seconds, cached at
    /// most one hour, at most 1000 documents cached; no scope, no resource.
    pub fn new() -> Self {
        Self {
            allow_http_loopback: false,
            allow_private_addresses: false,
            max_bytes: 5 * 1024,
            timeout: Duration::from_secs(5),
            max_cache_secs: 3600,
            max_entries: 1000,
            scopes: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// Local development: `http` client ids on a loopback host
    /// (`127.0.0.1`, `[::1]`, `localhost`), and loopback addresses.
    #[must_use]
    pub fn local_development(mut self) -> Self {
        self.allow_http_loopback = true;
        self
    }

    /// Accepts hosts on private, loopback and link-local addresses (an
    /// intranet deployment). Without it they are refused, so that a client
    /// id cannot make the authority reach inside its own network.
    #[must_use]
    pub fn allow_private_addresses(mut self) -> Self {
        self.allow_private_addresses = true;
        self
    }

    /// The largest document accepted, in bytes.
    #[must_use]
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The longest a fetch may take.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest a document is cached, whatever its `Cache-Control` says.
    #[must_use]
    pub fn max_cache_secs(mut self, seconds: i64) -> Self {
        self.max_cache_secs = seconds.max(0);
        self
    }

    /// The most documents cached at once.
    #[must_use]
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// The scopes such a client may ask for (the document's `scope` is
    /// narrowed to them).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The resources (RFC 8707) such a client may ask tokens for.
    #[must_use]
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resources = resources.into_iter().map(Into::into).collect();
        self
    }
}
