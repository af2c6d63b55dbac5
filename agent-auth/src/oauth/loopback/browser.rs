//! How the authorization URL reaches the user's browser (RFC 8252 section
//! 4.1: a native app opens the system browser, never an embedded one).

/// Opens the authorization URL in the user's browser.
pub trait BrowserHook: Send + Sync + std::fmt::Debug {
    /// Shows `url` to the user; an error ends the login.
    fn open(&self, url: &str) -> std::io::Result<()>;
}

/// The default hook: prints the URL on standard error for the user to open.
///
/// ```
/// use agent_auth::oauth::{BrowserHook, PrintUrl};
/// PrintUrl.open("https://idp.example/authorize?client_id=cli").unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PrintUrl;

impl BrowserHook for PrintUrl {
    fn open(&self, url: &str) -> std::io::Result<()> {
        use std::io::Write;
        writeln!(
            std::io::stderr(),
            "To sign in, open this address in your browser:\n  {url}"
        )
    }
}
