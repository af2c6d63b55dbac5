//! The default [`HttpTransport`]: reqwest with rustls, redirects off.

use super::transport::{Cause, HttpError, HttpRequest, HttpResponse, HttpTransport, Method};
use std::time::Duration;

/// reqwest as a [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A fresh reqwest client: no redirects, `timeout` per request.
    pub fn new(timeout: Duration) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| HttpError::Request {
                host: String::new(),
                source: Cause::new(e),
            })?;
        Ok(Self { client })
    }

    /// A client you built (proxy, CA roots, client certificate). Should it
    /// follow a redirect, the answer is refused.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

/// Sorts a reqwest failure into the kinds of [`HttpError`]. reqwest names
/// timeouts and connection failures; DNS and TLS are told apart by the text
/// of the underlying errors (hyper-util and rustls have no public types for them).
fn classify(error: reqwest::Error, host: String) -> HttpError {
    let error = error.without_url();
    let connect = error.is_connect();
    if error.is_timeout() {
        return HttpError::Timeout { host };
    }
    let mut chain = String::new();
    let mut next: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = next {
        chain.push_str(&e.to_string().to_ascii_lowercase());
        chain.push('\n');
        next = e.source();
    }
    let source = Cause::new(error);
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        HttpError::Dns { host, source }
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        HttpError::Tls { host, source }
    } else if connect {
        HttpError::Connect { host, source }
    } else {
        HttpError::Request { host, source }
    }
}

#[async_trait::async_trait]
impl HttpTransport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = request.host();
        let method = match request.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, request.url().clone());
        for (name, value) in request.headers() {
            let mut value =
                reqwest::header::HeaderValue::from_str(value.expose_secret()).map_err(|e| {
                    HttpError::Request {
                        host: host.clone(),
                        source: Cause::new(e),
                    }
                })?;
            value.set_sensitive(name == "authorization");
            builder = builder.header(name.as_str(), value);
        }
        if matches!(request.method(), Method::Post | Method::Put | Method::Patch) {
            builder = builder.body(request.body().to_vec());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| classify(e, host.clone()))?;
        let status = response.status().as_u16();
        if response.url() != request.url() {
            // A client built elsewhere followed a redirect.
            return Err(HttpError::RedirectRefused { host, status: 302 });
        }
        let mut out = HttpResponse::new(status);
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                out = out.with_header(name.as_str(), value);
            }
        }
        let limit = request.max_response_bytes();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| classify(e, host.clone()))?
        {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::BodyTooLarge { host, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(out.with_body(body))
    }
}
