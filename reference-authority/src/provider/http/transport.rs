//! [`RouterTransport`]: the authority's router as an [`HttpTransport`], so
//! that every OAuth client of `agent-auth` (token exchange, login, remote
//! JWKS, MCP client authorization) talks to an in-process authority through
//! its ordinary HTTP code path, with no socket opened.

use super::router;
use crate::provider::Authority;
use agent_auth::oauth::{
    Cause, HttpError, HttpRequest, HttpResponse, HttpTransport, Method, check_url,
};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request};
use futures::StreamExt;
use std::fmt;
use tower::ServiceExt;
use zeroize::Zeroizing;

/// Why a request was not handed to the router, or its answer not read. The
/// messages name the host or a header name, never a header value or a body.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("{host} is not the origin of the in-process authority {issuer}")]
    OtherOrigin { host: String, issuer: String },
    #[error("the in-process transport sends GET and POST only")]
    UnsupportedMethod,
    #[error("request header {name} cannot be sent")]
    RequestHeader { name: String },
    #[error("the router answered with a header {name} that is not text")]
    ResponseHeader { name: String },
    #[error("the request could not be built")]
    Request(#[source] axum::http::Error),
    #[error("reading the router's answer failed")]
    Body(#[source] axum::Error),
}

/// Headers whose values are credentials or session state: marked sensitive,
/// so that no layer of the router logs them.
const SENSITIVE: [&str; 3] = ["authorization", "cookie", "dpop"];

/// An [`HttpTransport`] answering from one authority's [`router`] in
/// process: each request is turned into an `http::Request`, sent to a clone
/// of the router with `oneshot`, and its status, headers and body (at most
/// [`HttpRequest::max_response_bytes`]) come back as an [`HttpResponse`].
///
/// Only URLs of the issuer's origin are served, under the issuer's path as
/// the router expects when mounted there (a path outside it is answered 404,
/// as such a server would). Any other origin is [`HttpError::Connect`]
/// naming the host: a client that strays from the authority fails, it is
/// never answered by it. Requests carry no peer address, so login
/// throttling counts accounts only (see [`AuthorityConfig::trusted_proxies`]).
///
/// ```
/// use agent_auth::oauth::{HttpClient, HttpRequest};
/// use reference_authority::http::RouterTransport;
/// use reference_authority::{Authority, AuthorityConfig};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let authority = Authority::builder("https://idp.example")
///     .config(AuthorityConfig::for_tests())
///     .build()?;
/// let http = HttpClient::with_transport(RouterTransport::new(authority)?);
/// let request = HttpRequest::get("https://idp.example/jwks", "application/json")?;
/// let response = http.send_ok(request).await?;
/// assert!(response.json_body().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`AuthorityConfig::trusted_proxies`]: crate::AuthorityConfig
#[derive(Clone)]
pub struct RouterTransport {
    router: Router,
    issuer: url::Url,
}

impl RouterTransport {
    /// The transport of `authority`, serving its issuer's origin. The issuer
    /// must pass the core's URL rule (https, or http on loopback), as every
    /// URL a client sends to does; otherwise [`HttpError::Url`].
    pub fn new(authority: Authority) -> Result<Self, HttpError> {
        let issuer = check_url(authority.issuer()).map_err(HttpError::Url)?;
        Ok(Self {
            router: router(authority),
            issuer,
        })
    }

    /// The issuer whose origin this transport serves.
    pub fn issuer(&self) -> &url::Url {
        &self.issuer
    }

    /// The router-relative path and query of `request`, or `None` when its
    /// path lies outside the issuer's. Refuses any other origin.
    fn route_of(&self, request: &HttpRequest) -> Result<Option<String>, HttpError> {
        let url = request.url();
        if url.origin() != self.issuer.origin() {
            return Err(HttpError::Connect {
                host: request.host(),
                source: Cause::new(Refusal::OtherOrigin {
                    host: request.host(),
                    issuer: self.issuer.origin().ascii_serialization(),
                }),
            });
        }
        let base = self.issuer.path().trim_end_matches('/');
        let Some(rest) = url.path().strip_prefix(base) else {
            return Ok(None);
        };
        let path = match rest {
            "" => "/",
            rest if rest.starts_with('/') => rest,
            _ => return Ok(None),
        };
        Ok(Some(match url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }))
    }
}

/// `request` as an `http::Request` for `path_and_query`, with a `Host`
/// header as a client on the wire would send.
fn to_http(request: &HttpRequest, path_and_query: &str) -> Result<Request<Body>, Refusal> {
    let method = match request.method() {
        Method::Get => axum::http::Method::GET,
        Method::Post => axum::http::Method::POST,
        Method::Put => axum::http::Method::PUT,
        Method::Patch => axum::http::Method::PATCH,
        Method::Delete => axum::http::Method::DELETE,
        _ => return Err(Refusal::UnsupportedMethod),
    };
    let mut builder = Request::builder().method(method).uri(path_and_query);
    if let Some(host) = request.url().host_str() {
        let authority = match request.url().port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        builder = builder.header(axum::http::header::HOST, authority);
    }
    for (name, value) in request.headers() {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Refusal::RequestHeader { name: name.clone() })?;
        let mut header_value = HeaderValue::from_str(value.expose_secret())
            .map_err(|_| Refusal::RequestHeader { name: name.clone() })?;
        header_value.set_sensitive(SENSITIVE.contains(&name.as_str()));
        builder = builder.header(header_name, header_value);
    }
    builder
        .body(Body::from(request.body().to_vec()))
        .map_err(Refusal::Request)
}

/// The router's answer as an [`HttpResponse`], reading at most `max` bytes
/// of body: more is [`HttpError::BodyTooLarge`], the rest left unread.
async fn from_http(
    response: axum::response::Response,
    host: &str,
    max: usize,
) -> Result<HttpResponse, HttpError> {
    let failed = |refusal| HttpError::Request {
        host: host.to_owned(),
        source: Cause::new(refusal),
    };
    let (parts, body) = response.into_parts();
    let mut out = HttpResponse::new(parts.status.as_u16());
    for (name, value) in &parts.headers {
        let text = value.to_str().map_err(|_| {
            failed(Refusal::ResponseHeader {
                name: name.as_str().to_owned(),
            })
        })?;
        out = out.with_header(name.as_str(), text);
    }
    let mut bytes = Zeroizing::new(Vec::new());
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| failed(Refusal::Body(e)))?;
        if chunk.len() > max.saturating_sub(bytes.len()) {
            return Err(HttpError::BodyTooLarge {
                host: host.to_owned(),
                limit: max,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(out.with_body(std::mem::take(&mut *bytes)))
}

#[async_trait::async_trait]
impl HttpTransport for RouterTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = request.host();
        let Some(path_and_query) = self.route_of(&request)? else {
            return Ok(HttpResponse::new(404));
        };
        let http_request = to_http(&request, &path_and_query).map_err(|e| HttpError::Request {
            host: host.clone(),
            source: Cause::new(e),
        })?;
        let Ok(response) = self.router.clone().oneshot(http_request).await;
        from_http(response, &host, request.max_response_bytes()).await
    }
}

impl fmt::Debug for RouterTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterTransport")
            .field("issuer", &self.issuer.as_str())
            .finish_non_exhaustive()
    }
}
