//! The settings of an interactive login (RFC 8252): the user signs in in
//! their browser, which comes back to a loopback listener of the agent.

use super::Registration;
use crate::oauth::{BrowserHook, PrintUrl, Sleeper, TokioSleeper};
use std::sync::Arc;

/// How long the listener waits for the browser by default, in seconds.
const DEFAULT_TIMEOUT: u64 = 300;

/// An interactive login: opens the authorization URL with a [`BrowserHook`]
/// and receives the response on a loopback redirect URI
/// (`http://127.0.0.1:<port><path>`, RFC 8252 section 7.3).
///
/// ```
/// use agent_auth::mcp_client::{InteractiveLogin, McpGrant, Registration};
/// let grant = McpGrant::Interactive(
///     InteractiveLogin::new(Registration::Dynamic { client_name: "my-agent".into() })
///         .timeout(120),
/// );
/// # let _ = grant;
/// ```
#[derive(Debug, Clone)]
pub struct InteractiveLogin {
    pub(super) registration: Registration,
    pub(super) browser: Arc<dyn BrowserHook>,
    pub(super) sleeper: Arc<dyn Sleeper>,
    pub(super) timeout: u64,
    pub(super) path: String,
    pub(super) port: u16,
}

impl InteractiveLogin {
    /// A login as `registration`, printing the URL ([`PrintUrl`]), waiting
    /// 5 minutes on an ephemeral port for `/callback`.
    pub fn new(registration: Registration) -> Self {
        Self {
            registration,
            browser: Arc::new(PrintUrl),
            sleeper: Arc::new(TokioSleeper),
            timeout: DEFAULT_TIMEOUT,
            path: "/callback".into(),
            port: 0,
        }
    }

    /// Opens the authorization URL with `browser`.
    #[must_use]
    pub fn browser(mut self, browser: Arc<dyn BrowserHook>) -> Self {
        self.browser = browser;
        self
    }

    /// Gives up after `seconds` without a response.
    #[must_use]
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout = seconds;
        self
    }

    /// Counts the timeout with `sleeper` (tests inject one).
    #[must_use]
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Listens on a fixed `port` and `path` (for a pre-registered client
    /// whose authorization server matches loopback ports exactly).
    #[must_use]
    pub fn redirect(mut self, port: u16, path: impl Into<String>) -> Self {
        self.port = port;
        self.path = path.into();
        self
    }
}
