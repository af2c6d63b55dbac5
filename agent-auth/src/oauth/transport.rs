//! The HTTP seam: a request description, a response with a capped body, the
//! [`HttpTransport`] trait (any `Fn(HttpRequest) -> Future` is one, so a test
//! double is a closure) and the typed [`HttpError`].

use super::form::Form;
use super::url_policy::{UrlError, check_url};
use crate::secret::SecretString;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

/// One request. Its URL passed [`check_url`] when it was built; header values
/// and the body are kept secret (`Debug` prints header names and the body
/// length only).
#[derive(Clone)]
pub struct HttpRequest {
    method: Method,
    url: url::Url,
    headers: Vec<(String, SecretString)>,
    body: Zeroizing<Vec<u8>>,
    redirect_expected: bool,
    max_body: usize,
}

impl HttpRequest {
    fn new(method: Method, url: &str) -> Result<Self, HttpError> {
        Ok(Self {
            method,
            url: check_url(url).map_err(HttpError::Url)?,
            headers: Vec::new(),
            body: Zeroizing::new(Vec::new()),
            redirect_expected: false,
            max_body: usize::MAX,
        })
    }

    /// A `GET` of `url` accepting `accept`.
    pub fn get(url: &str, accept: &str) -> Result<Self, HttpError> {
        Ok(Self::new(Method::Get, url)?.header("accept", accept))
    }

    /// A `POST` of `form` to `url`, accepting JSON.
    pub fn post_form(url: &str, form: &Form) -> Result<Self, HttpError> {
        let mut request = Self::new(Method::Post, url)?
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        request.body = Zeroizing::new(form.encode().as_bytes().to_vec());
        Ok(request)
    }

    /// A `POST` of a JSON document to `url`, accepting JSON.
    pub fn post_json(url: &str, body: &serde_json::Value) -> Result<Self, HttpError> {
        Self::json(Method::Post, url, body)
    }

    /// A request sending a JSON document (`POST`, `PUT`, `PATCH`) to `url`,
    /// accepting JSON.
    pub fn json(method: Method, url: &str, body: &serde_json::Value) -> Result<Self, HttpError> {
        let mut request = Self::new(method, url)?
            .header("content-type", "application/json")
            .header("accept", "application/json");
        request.body = Zeroizing::new(body.to_string().into_bytes());
        Ok(request)
    }

    /// A `DELETE` of `url`.
    pub fn delete(url: &str) -> Result<Self, HttpError> {
        Self::new(Method::Delete, url)
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), SecretString::new(value)));
        self
    }

    /// Adds a header whose value is a credential (`Authorization`).
    #[must_use]
    pub fn secret_header(mut self, name: &str, value: SecretString) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value));
        self
    }

    /// Lowers the response body cap for this request below the policy's.
    #[must_use]
    pub fn limit_body(mut self, max: usize) -> Self {
        self.max_body = self.max_body.min(max);
        self
    }

    /// Marks a request whose answer is a redirect to read, not follow (an
    /// authorization request run headlessly). Other requests refuse any 3xx.
    #[must_use]
    pub fn expect_redirect(mut self) -> Self {
        self.redirect_expected = true;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL (https, or http on loopback).
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The headers, names lower-cased.
    pub fn headers(&self) -> &[(String, SecretString)] {
        &self.headers
    }

    /// A header's value by (case-insensitive) name.
    pub fn header_value(&self, name: &str) -> Option<&SecretString> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body (empty for `GET`).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The largest response body the transport may read; more is
    /// [`HttpError::BodyTooLarge`].
    pub fn max_response_bytes(&self) -> usize {
        self.max_body
    }

    pub(super) fn set_max_body(&mut self, max: usize) {
        self.max_body = max;
    }

    pub(super) fn redirect_expected(&self) -> bool {
        self.redirect_expected
    }

    /// The host, for error messages (never the path or query).
    pub fn host(&self) -> String {
        self.url.host_str().unwrap_or_default().to_owned()
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A response: status, headers and a body of at most the request's cap.
/// `Debug` prints the status, header names and the body length (a token
/// response body holds tokens).
#[derive(Clone, Default)]
pub struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Zeroizing<Vec<u8>>,
}

impl HttpResponse {
    /// A response with `status` and no headers or body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Zeroizing::new(body.into());
        self
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::new(status)
            .with_header("content-type", "application/json")
            .with_body(body.to_string())
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON, `None` when empty or not JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The underlying error of a failed request, shared so that errors stay
/// `Clone`. Its text never holds the URL.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// Wraps an error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why a request failed. Messages name the host, never the path, query,
/// headers or body; the underlying error is kept as the `source`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL breaks the https-or-loopback rule or does not parse.
    #[error("URL refused: {0}")]
    Url(#[source] UrlError),
    /// The host name did not resolve.
    #[error("DNS lookup of {host} failed")]
    Dns {
        /// The host.
        host: String,
        /// The cause.
        #[source]
        source: Cause,
    },
    /// No connection could be made.
    #[error("connecting to {host} failed")]
    Connect {
        /// The host.
        host: String,
        /// The cause.
        #[source]
        source: Cause,
    },
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS with {host} failed")]
    Tls {
        /// The host.
        host: String,
        /// The cause.
        #[source]
        source: Cause,
    },
    /// No complete answer within the policy's timeout.
    #[error("request to {host} timed out")]
    Timeout {
        /// The host.
        host: String,
    },
    /// The server answered with a redirect, which is never followed
    /// (RFC 9700 section 4.11, RFC 8414 section 3.2 expects 200).
    #[error("{host} answered with a redirect ({status}), which is not followed")]
    RedirectRefused {
        /// The host.
        host: String,
        /// The 3xx status (302 when a caller's own client followed the
        /// redirect, whose first status is then unknown).
        status: u16,
    },
    /// The response body exceeds the policy's cap.
    #[error("response from {host} exceeds {limit} bytes")]
    BodyTooLarge {
        /// The host.
        host: String,
        /// The cap.
        limit: usize,
    },
    /// The server answered with an unexpected status.
    #[error("{host} answered HTTP {status}")]
    Status {
        /// The host.
        host: String,
        /// The status.
        status: u16,
    },
    /// The request failed otherwise.
    #[error("request to {host} failed")]
    Request {
        /// The host.
        host: String,
        /// The cause.
        #[source]
        source: Cause,
    },
}

impl HttpError {
    /// The HTTP status, for [`HttpError::Status`] and
    /// [`HttpError::RedirectRefused`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::RedirectRefused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Equal when of the same kind with the same host, status or limit (the
/// causes are not compared).
impl PartialEq for HttpError {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

impl Eq for HttpError {}

/// Sends one request. Implementations return every status as a response
/// (3xx included: the [`HttpClient`](super::HttpClient) refuses redirects),
/// read at most [`HttpRequest::max_response_bytes`] of body and never follow
/// redirects.
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request`.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

#[async_trait::async_trait]
impl<F, Fut> HttpTransport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, HttpError>> + Send,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        (self)(request).await
    }
}
