//! The loopback redirect listener of a native app (RFC 8252 section 7.3): an
//! ephemeral port on `127.0.0.1` (section 8.3: the IP literal, not
//! `localhost`), waiting for exactly one authorization response carrying the
//! expected `state`, answering the browser with a small page, then closing.

use super::page;
use super::request::{CallbackRequest, MAX_REQUEST_HEAD, parse_callback_request};
use crate::oauth::Sleeper;
use crate::secret::constant_time_eq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Why no authorization response arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// The listener could not be opened or accept failed.
    #[error("loopback listener: {0}")]
    Io(String),
    /// No response with the expected `state` came in time.
    #[error("no authorization response within {0} seconds")]
    Timeout(u64),
}

/// A loopback listener for one authorization response.
///
/// ```no_run
/// # async fn f() -> Result<(), agent_auth::oauth::LoopbackError> {
/// use agent_auth::oauth::{LoopbackRedirect, TokioSleeper};
/// let listener = LoopbackRedirect::bind("/callback").await?;
/// let redirect_uri = listener.redirect_uri().to_owned(); // http://127.0.0.1:<port>/callback
/// // ... send the user to the authorization URL with `redirect_uri` and `state` ...
/// let response = listener.wait("the-state", 300, &TokioSleeper).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LoopbackRedirect {
    listener: TcpListener,
    path: String,
    redirect_uri: String,
}

impl LoopbackRedirect {
    /// Listens on an ephemeral port of `127.0.0.1` for requests to `path`.
    pub async fn bind(path: &str) -> Result<Self, LoopbackError> {
        Self::bind_port(path, 0).await
    }

    /// Listens on `port` of `127.0.0.1` (0: an ephemeral port, as RFC 8252
    /// section 7.3 recommends).
    pub async fn bind_port(path: &str, port: u16) -> Result<Self, LoopbackError> {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| LoopbackError::Io(e.kind().to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| LoopbackError::Io(e.kind().to_string()))?
            .port();
        Ok(Self {
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            listener,
            path,
        })
    }

    /// The redirect URI to register and send: `http://127.0.0.1:<port><path>`.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the request to the path whose `state` equals `state`
    /// (RFC 6749 section 10.12: a response with another or no `state` is
    /// answered 400 and ignored, so a stray or forged request cannot end the
    /// wait), at most `timeout` seconds as `sleeper` counts them. The
    /// listener closes when this returns.
    pub async fn wait(
        self,
        state: &str,
        timeout: u64,
        sleeper: &dyn Sleeper,
    ) -> Result<CallbackRequest, LoopbackError> {
        tokio::select! {
            found = self.accept_until(state) => found,
            () = sleeper.sleep(timeout) => Err(LoopbackError::Timeout(timeout)),
        }
    }

    async fn accept_until(&self, state: &str) -> Result<CallbackRequest, LoopbackError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| LoopbackError::Io(e.kind().to_string()))?;
            let Some(head) = read_head(&mut stream).await else {
                continue;
            };
            let request = match parse_callback_request(&head) {
                Ok(r) if r.path == self.path => r,
                Ok(_) => {
                    answer(&mut stream, 404, page::NOT_FOUND).await;
                    continue;
                }
                Err(_) => {
                    answer(&mut stream, 400, page::BAD_REQUEST).await;
                    continue;
                }
            };
            let matches = request
                .param("state")
                .is_some_and(|s| constant_time_eq(s.as_bytes(), state.as_bytes()));
            if !matches {
                tracing::debug!("loopback redirect: a request without the expected state");
                answer(&mut stream, 400, page::WRONG_STATE).await;
                continue;
            }
            let body = if request.param("error").is_some() {
                page::REFUSED
            } else {
                page::DONE
            };
            answer(&mut stream, 200, body).await;
            return Ok(request);
        }
    }
}

/// Reads up to the end of the head (blank line), at most
/// [`MAX_REQUEST_HEAD`] bytes; `None` when the peer sends nothing usable.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return (!head.is_empty()).then_some(head);
        }
        head.extend_from_slice(buf.get(..n)?);
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() >= MAX_REQUEST_HEAD {
            return Some(head);
        }
    }
}

async fn answer(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\n\
         content-length: {}\r\ncache-control: no-store\r\nreferrer-policy: no-referrer\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
