//! [`HttpClient`]: the transport every OAuth client of this crate sends
//! through, with the policy that no transport can skip: the URL rule (checked
//! when a request is built), a timeout over the whole exchange, a cap on the
//! response body and no redirects.

use super::reqwest_transport::ReqwestTransport;
use super::transport::{HttpError, HttpRequest, HttpResponse, HttpTransport};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The limits of every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpPolicy {
    /// Time limit of one request, from sending to the last body byte
    /// (default 10 s).
    pub timeout: Duration,
    /// Largest response body read (default 256 KiB).
    pub max_body: usize,
}

impl HttpPolicy {
    /// Default body cap.
    pub const DEFAULT_MAX_BODY: usize = 256 * 1024;

    /// A policy with this timeout and body cap.
    pub fn new(timeout: Duration, max_body: usize) -> Self {
        Self { timeout, max_body }
    }
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_body: Self::DEFAULT_MAX_BODY,
        }
    }
}

/// Sends requests through a [`HttpTransport`] (reqwest by default) under an
/// [`HttpPolicy`]. Cheap to clone; clones share the transport.
#[derive(Clone)]
pub struct HttpClient {
    transport: Arc<dyn HttpTransport>,
    policy: HttpPolicy,
}

impl HttpClient {
    /// The default: reqwest with rustls, no redirects, the default policy.
    pub fn new() -> Result<Self, HttpError> {
        let policy = HttpPolicy::default();
        Ok(Self::with_transport(ReqwestTransport::new(policy.timeout)?))
    }

    /// Your own `reqwest::Client` (proxy, corporate CA, client certificate for
    /// mTLS): the policy still applies, and a redirect the client followed is
    /// refused.
    pub fn with_reqwest(client: reqwest::Client) -> Self {
        Self::with_transport(ReqwestTransport::from_client(client))
    }

    /// Your own transport (or a closure, in tests).
    pub fn with_transport(transport: impl HttpTransport + 'static) -> Self {
        Self {
            transport: Arc::new(transport),
            policy: HttpPolicy::default(),
        }
    }

    /// Replaces the policy.
    #[must_use]
    pub fn policy(mut self, policy: HttpPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy in force.
    pub fn current_policy(&self) -> HttpPolicy {
        self.policy
    }

    /// Sends `request` under the policy. Any status comes back as a response,
    /// except a 3xx, which is [`HttpError::RedirectRefused`] unless the
    /// request [expects one](HttpRequest::expect_redirect).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        // The span names the method and host only: paths, queries, headers
        // and bodies may carry codes, tokens or secrets.
        let span =
            tracing::debug_span!("oauth.http", method = ?request.method(), host = %request.host());
        let outcome = self.send_unlogged(request).instrument(span.clone()).await;
        span.in_scope(|| match &outcome {
            Ok(response) => tracing::debug!(status = response.status(), "answered"),
            Err(error) => tracing::debug!(%error, "failed"),
        });
        outcome
    }

    async fn send_unlogged(&self, mut request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = request.host();
        let max = self.policy.max_body.min(request.max_response_bytes());
        request.set_max_body(max);
        let redirect_expected = request.redirect_expected();
        let response = tokio::time::timeout(self.policy.timeout, self.transport.send(request))
            .await
            .map_err(|_| HttpError::Timeout { host: host.clone() })??;
        if response.body().len() > max {
            return Err(HttpError::BodyTooLarge { host, limit: max });
        }
        if (300..400).contains(&response.status()) && !redirect_expected {
            return Err(HttpError::RedirectRefused {
                host,
                status: response.status(),
            });
        }
        Ok(response)
    }

    /// Sends `request` and requires a 2xx answer.
    pub async fn send_ok(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = request.host();
        let response = self.send(request).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(HttpError::Status {
                host,
                status: response.status(),
            })
        }
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::UrlError;

    fn answering(response: HttpResponse) -> HttpClient {
        HttpClient::with_transport(move |_req: HttpRequest| {
            let response = response.clone();
            async move { Ok(response) }
        })
    }

    #[tokio::test]
    async fn redirect_is_refused() {
        let http =
            answering(HttpResponse::new(302).with_header("location", "https://evil.example/"));
        let err = http
            .send(HttpRequest::get("https://as.example/.well-known/x", "application/json").unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            HttpError::RedirectRefused {
                host: "as.example".into(),
                status: 302
            }
        );
        // Only a request that expects one reads it.
        let ok = http
            .send(
                HttpRequest::get("https://as.example/authorize", "text/html")
                    .unwrap()
                    .expect_redirect(),
            )
            .await
            .unwrap();
        assert_eq!(ok.header("Location"), Some("https://evil.example/"));
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_before_sending() {
        assert_eq!(
            HttpRequest::get("http://as.example/jwks", "application/json").unwrap_err(),
            HttpError::Url(UrlError::Insecure)
        );
        assert!(HttpRequest::get("http://LOCALHOST:8080/jwks", "application/json").is_ok());
    }

    #[tokio::test]
    async fn body_over_the_cap_is_refused() {
        let http = answering(HttpResponse::new(200).with_body(vec![b'a'; 101]))
            .policy(HttpPolicy::new(Duration::from_secs(1), 100));
        let err = http
            .send(HttpRequest::get("https://as.example/jwks", "application/json").unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            HttpError::BodyTooLarge {
                host: "as.example".into(),
                limit: 100
            }
        );
        let http = answering(HttpResponse::new(200).with_body(vec![b'a'; 100]))
            .policy(HttpPolicy::new(Duration::from_secs(1), 100));
        let ok = http
            .send(HttpRequest::get("https://as.example/jwks", "application/json").unwrap())
            .await
            .unwrap();
        assert_eq!(ok.body().len(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_never_answers_times_out() {
        let http = HttpClient::with_transport(|_req: HttpRequest| {
            std::future::pending::<Result<HttpResponse, HttpError>>()
        })
        .policy(HttpPolicy::new(Duration::from_secs(5), 1024));
        let err = http
            .send(HttpRequest::get("https://as.example/token", "application/json").unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            HttpError::Timeout {
                host: "as.example".into()
            }
        );
    }

    #[tokio::test]
    async fn send_ok_reports_the_status() {
        let http = answering(HttpResponse::new(503));
        let err = http
            .send_ok(HttpRequest::get("https://as.example/jwks", "application/json").unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert_eq!(err.to_string(), "as.example answered HTTP 503");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let form = crate::oauth::Form::new().with("client_secret", "s3cr3t-value");
        let req = HttpRequest::post_form("https://as.example/token", &form)
            .unwrap()
            .secret_header(
                "authorization",
                crate::secret::SecretString::new("Basic c2VjcmV0"),
            );
        let text = format!("{req:?}");
        assert!(
            !text.contains("s3cr3t") && !text.contains("c2VjcmV0"),
            "{text}"
        );
        let resp = HttpResponse::new(200).with_body(r#"{"access_token":"tok-123"}"#);
        assert!(!format!("{resp:?}").contains("tok-123"));
    }
}
