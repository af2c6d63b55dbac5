//! The tower [`Layer`] and [`Service`]: every request passes Host/Origin checks,
//! gets the metadata document if it asks for it, and otherwise must carry a
//! bearer token that verifies and holds the scopes the request needs.

use crate::audit::Note;
use crate::guard::Guard;
use crate::header::{AuthorizationError, Challenge, ErrorCode, access_token_from_headers};
use crate::jsonrpc::{self, Call};
use crate::principal::Principal;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Wraps a service with the guard.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: Guard,
}

impl GuardLayer {
    /// A layer for `guard`.
    pub fn new(guard: Guard) -> Self {
        Self { guard }
    }
}

impl Guard {
    /// The tower layer.
    pub fn layer(&self) -> GuardLayer {
        GuardLayer::new(self.clone())
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;
    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            guard: self.guard.clone(),
            inner,
        }
    }
}

/// A service behind the guard.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    guard: Guard,
    inner: S,
}

impl<S, B, ResB> Service<Request<B>> for GuardService<S>
where
    S: Service<Request<Body>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    ResB: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            match admit(&guard, request.map(Body::new)).await {
                Ok(request) => inner.call(request).await.map(|r| r.map(Body::new)),
                Err(refusal) => Ok(refusal),
            }
        })
    }
}

/// Decides on one request: `Ok` with the request to forward (claims in its
/// extensions), or `Err` with the answer to send instead.
/// With an audit sink on the guard, every decision is recorded.
#[tracing::instrument(name = "mcp_guard.admit", skip_all, fields(method = %request.method(), path = %request.uri().path()))]
pub async fn admit(guard: &Guard, request: Request<Body>) -> Result<Request<Body>, Response<Body>> {
    let path = request.uri().path().to_owned();
    let mut note = Note::default();
    let result = decide(guard, request, &mut note).await;
    crate::audit::record(guard, &path, note, &result);
    result
}

async fn decide(
    guard: &Guard,
    request: Request<Body>,
    note: &mut Note,
) -> Result<Request<Body>, Response<Body>> {
    let g = &*guard.inner;
    let (mut parts, body) = request.into_parts();
    if let Some(hosts) = &g.hosts
        && let Err(e) = hosts.check_host(&parts.headers)
    {
        return Err(plain(StatusCode::FORBIDDEN, &e.to_string()));
    }
    let path = parts.uri.path().to_owned();
    if g.metadata_paths.contains(&path) {
        note.skip = true;
        return Err(metadata_response(guard, &parts.method));
    }
    if let Some(hosts) = &g.hosts
        && let Err(e) = hosts.check_origin(&parts.headers)
    {
        return Err(plain(StatusCode::FORBIDDEN, &e.to_string()));
    }
    // RFC 6750 section 2.3 is not supported: a token in the query string leaks
    // into logs and history, so such a request is refused outright.
    if parts.uri.query().is_some_and(has_access_token_param) {
        return Err(challenge(
            guard,
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            "access tokens are accepted in the Authorization header only",
            Vec::new(),
        ));
    }
    let token = match access_token_from_headers(&parts.headers) {
        Ok(t) => t.map(|(scheme, t)| (scheme, agent_auth::secret::Token::new(t))),
        Err(AuthorizationError::OtherScheme) => None,
        Err(AuthorizationError::TooLarge) => {
            return Err(challenge(
                guard,
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "token too large",
                g.policy.required(&path, &[]),
            ));
        }
        Err(e) => {
            return Err(challenge(
                guard,
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                &e.to_string(),
                Vec::new(),
            ));
        }
    };
    let is_mcp = crate::path::is_mcp_request(&g.mcp_paths, &parts);
    if is_mcp && without_body(&parts.method) && !is_empty(&body) {
        // Fail closed: a body the guard does not read never reaches the MCP service.
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "this method carries no body on the MCP endpoint",
        ));
    }
    let is_mcp = is_mcp && !without_body(&parts.method);
    if token.is_none() && !(is_mcp && g.policy.has_public_methods()) {
        return Err(no_token(guard, g.policy.required(&path, &[])));
    }
    let (body, calls) = if is_mcp {
        let bytes = match axum::body::to_bytes(body, g.max_body).await {
            Ok(b) => b,
            Err(_) => {
                return Err(plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request body too large",
                ));
            }
        };
        match jsonrpc::parse(&bytes) {
            Ok(calls) => (Body::from(bytes), calls),
            Err(_) if token.is_none() => {
                return Err(no_token(guard, g.policy.required(&path, &[])));
            }
            Err(_) => return Err(parse_error()),
        }
    } else {
        (body, Vec::new())
    };
    note.calls(&calls);
    let required = g.policy.required(&path, &calls);
    let Some((scheme, token)) = token else {
        if g.policy.all_public(&calls) {
            return Ok(Request::from_parts(parts, body));
        }
        return Err(no_token(guard, required));
    };
    let principal =
        match crate::dpop::authenticate(guard, &parts, scheme, token.expose_secret()).await {
            Ok(p) => p,
            Err(refusal) => return Err(crate::dpop::refusal_response(guard, &refusal, required)),
        };
    note.principal(&principal);
    if !principal.missing(&required).is_empty() {
        // Every scope the request needs, plus those already held that the
        // resource knows, so a re-authorization keeps what worked before.
        let supported = &g.metadata.scopes_supported;
        let mut scope = required;
        for s in &principal.scopes {
            if supported.contains(s) && !scope.contains(s) {
                scope.push(s.clone());
            }
        }
        return Err(challenge(
            guard,
            StatusCode::FORBIDDEN,
            ErrorCode::InsufficientScope,
            "the token lacks scopes this request needs",
            scope,
        ));
    }
    check_calls(guard, &principal, &calls, note).await?;
    if g.keep_inbound_token {
        parts
            .extensions
            .insert(crate::downstream::InboundToken::new(token));
    }
    parts.extensions.insert(principal);
    parts.extensions.insert(guard.clone());
    Ok(Request::from_parts(parts, body))
}

/// FGA on `resources/read`, and the tool-call hook.
async fn check_calls(
    guard: &Guard,
    principal: &Principal,
    calls: &[Call],
    note: &mut Note,
) -> Result<(), Response<Body>> {
    let g = &*guard.inner;
    for call in calls {
        match call.method.as_deref() {
            Some("resources/read" | "resources/subscribe") => {
                if let (Some(fga), Some(uri)) = (&g.resources, &call.uri)
                    && !fga.can_read(principal, uri).await
                {
                    // -32002 (resource not found): existence is not revealed.
                    note.reason = Some("fga_denied".into());
                    note.refused_target = Some(uri.clone());
                    return Err(rpc_error(call, -32002, "Resource not found", Some(uri)));
                }
            }
            Some("tools/call") => {
                if let (Some(hook), Some(name)) = (&g.tool_hook, &call.name) {
                    let args = call.arguments.clone().unwrap_or(serde_json::Value::Null);
                    match hook.authorize(principal, name, &args).await {
                        crate::fga::ToolDecision::Deny { reason } => {
                            note.refused_target = Some(name.clone());
                            let err = rpc_error(call, -32001, &reason, None);
                            note.reason = Some(reason);
                            return Err(err);
                        }
                        crate::fga::ToolDecision::Error { code, reason } => {
                            note.refused_target = Some(name.clone());
                            let err = rpc_error(call, code, &reason, None);
                            note.reason = Some(reason);
                            return Err(err);
                        }
                        crate::fga::ToolDecision::Allow => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Methods whose requests to the MCP endpoint carry no JSON-RPC body (the SSE
/// stream, session end, preflight).
fn without_body(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::DELETE, Method::OPTIONS].contains(method)
}

fn is_empty(body: &Body) -> bool {
    axum::body::HttpBody::size_hint(body).exact() == Some(0)
}

fn has_access_token_param(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        name == "access_token" || name.eq_ignore_ascii_case("access%5Ftoken")
    })
}

pub(crate) fn no_token(guard: &Guard, scope: Vec<String>) -> Response<Body> {
    // RFC 6750 section 3.1: no error code when the request had no credentials.
    let c = Challenge {
        error: None,
        description: None,
        scope,
        resource_metadata: Some(guard.metadata_url().to_owned()),
    };
    let mut r = with_challenge(
        StatusCode::UNAUTHORIZED,
        &c,
        serde_json::json!({"error": "unauthorized", "error_description": "a bearer token is required"}),
    );
    crate::dpop::append_challenge(guard, &mut r);
    r
}

pub(crate) fn challenge(
    guard: &Guard,
    status: StatusCode,
    code: ErrorCode,
    description: &str,
    scope: Vec<String>,
) -> Response<Body> {
    let c = Challenge {
        error: Some(code),
        description: Some(description.to_owned()),
        scope,
        resource_metadata: Some(guard.metadata_url().to_owned()),
    };
    let body = serde_json::json!({"error": code.as_str(), "error_description": description});
    let mut r = with_challenge(status, &c, body);
    crate::dpop::append_challenge(guard, &mut r);
    r
}

fn with_challenge(status: StatusCode, c: &Challenge, body: serde_json::Value) -> Response<Body> {
    let mut r = json_response(status, &body);
    if let Ok(v) = HeaderValue::from_str(&c.to_header_value()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) fn plain(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &serde_json::json!({"error": message}))
}

fn parse_error() -> Response<Body> {
    json_response(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}}),
    )
}

fn rpc_error(call: &Call, code: i64, message: &str, uri: Option<&String>) -> Response<Body> {
    let mut error = serde_json::json!({"code": code, "message": message});
    if let (Some(uri), Some(obj)) = (uri, error.as_object_mut()) {
        obj.insert("data".into(), serde_json::json!({"uri": uri}));
    }
    json_response(
        StatusCode::OK,
        &serde_json::json!({"jsonrpc": "2.0", "id": call.id.clone().unwrap_or(serde_json::Value::Null), "error": error}),
    )
}

fn metadata_response(guard: &Guard, method: &Method) -> Response<Body> {
    let mut r = if *method == Method::GET || *method == Method::HEAD {
        let mut r = Response::new(Body::from(guard.inner.metadata_json.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        r
    } else if *method == Method::OPTIONS {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        r
    };
    // Browser-based clients read metadata cross-origin; it is public.
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    r
}

/// Reads the principal in an axum handler behind the guard.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Arc<Principal>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Authenticated {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Principal>>()
            .cloned()
            .map(Authenticated)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

impl std::ops::Deref for Authenticated {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}
