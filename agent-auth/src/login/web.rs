//! axum integration of the login client (feature `server`): login, callback
//! and logout routes, a session layer that refreshes tokens ahead of expiry,
//! and an extractor that gives a handler the authenticated user.
//!
//! ```no_run
//! # async fn demo(client: agent_auth::login::LoginClient) {
//! use agent_auth::login::web::{CurrentUser, WebLogin};
//! use axum::{Router, routing::get};
//!
//! let login = WebLogin::new(client);
//! let app: Router = Router::new()
//!     .route("/me", get(|user: CurrentUser| async move { user.subject }))
//!     .merge(login.routes())
//!     .layer(login.layer());
//! # }
//! ```

use super::{AuthOptions, LoginClient, LoginSession, PendingLogin};
use crate::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use crate::jose::base64url;
use crate::secret::constant_time_eq;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use zeroize::Zeroizing;

/// The cookie of the application session.
const COOKIE: &str = "agent_auth_rp";
/// The cookie that binds a pending login to the browser that started it.
const LOGIN_COOKIE: &str = "agent_auth_rp_login";
/// Default bound on pending logins kept at once.
const DEFAULT_MAX_PENDING: usize = 1024;
/// Default lifetime of a pending login, in seconds.
const DEFAULT_PENDING_TTL: i64 = 600;

/// Why the callback route refused a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRefused {
    /// No pending login has this `state`: unknown, used, expired or evicted.
    #[error("unknown or expired login")]
    UnknownLogin,
    /// The login was started by another browser (no or wrong binding cookie).
    #[error("this login was started in another browser")]
    OtherBrowser,
}

/// The authenticated user, as a handler sees it.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The subject identifier at the provider.
    pub subject: String,
    /// The ID token claims.
    pub claims: crate::validate::Claims,
    /// The current access token (refreshed ahead of expiry by the layer).
    pub access_token: crate::secret::Token,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| (StatusCode::UNAUTHORIZED, "login required").into_response())
    }
}

/// A login between the redirect to the provider and the callback.
#[derive(Debug)]
struct Pending {
    login: PendingLogin,
    return_to: String,
    /// SHA-256 (base64url) of the nonce in the browser's binding cookie.
    browser: String,
    started: i64,
    /// Order of arrival, to tell apart logins started in the same second.
    seq: u64,
}

#[derive(Debug, Default)]
struct Stores {
    sessions: HashMap<String, LoginSession>,
    pending: HashMap<String, Pending>,
    next_seq: u64,
}

impl Stores {
    /// Drops pending logins older than `ttl`, then the oldest ones until there
    /// is room for one more under `max`.
    fn make_room(&mut self, now: i64, ttl: i64, max: usize) {
        self.pending.retain(|_, p| now - p.started < ttl);
        while !self.pending.is_empty() && self.pending.len() >= max {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| (p.started, p.seq))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => self.pending.remove(&key),
                None => break,
            };
        }
    }

    /// Takes the pending login of `state` if the browser holds its binding.
    /// A refusal leaves the pending login in place.
    fn take(
        &mut self,
        state: &str,
        browser: Option<&str>,
        now: i64,
        ttl: i64,
    ) -> Result<Pending, CallbackRefused> {
        self.pending.retain(|_, p| now - p.started < ttl);
        let key = self
            .pending
            .keys()
            .find(|k| constant_time_eq(k.as_bytes(), state.as_bytes()))
            .cloned()
            .ok_or(CallbackRefused::UnknownLogin)?;
        let bound = match (self.pending.get(&key), browser) {
            (Some(p), Some(b)) => constant_time_eq(p.browser.as_bytes(), b.as_bytes()),
            _ => false,
        };
        if !bound {
            return Err(CallbackRefused::OtherBrowser);
        }
        self.pending
            .remove(&key)
            .ok_or(CallbackRefused::UnknownLogin)
    }
}

/// Login routes, session store and layer for one provider.
#[derive(Debug, Clone)]
pub struct WebLogin {
    client: Arc<LoginClient>,
    stores: Arc<Mutex<Stores>>,
    options: AuthOptions,
    post_logout_redirect_uri: Option<String>,
    max_pending: usize,
    pending_ttl: i64,
    plain_http: bool,
    audit: SharedSink,
}

impl WebLogin {
    /// Routes `/login`, `/callback` and `/logout` for `client` (whose redirect URI
    /// must point at `/callback` of this app).
    pub fn new(client: LoginClient) -> Self {
        Self {
            client: Arc::new(client),
            stores: Arc::new(Mutex::new(Stores::default())),
            options: AuthOptions::default(),
            post_logout_redirect_uri: None,
            max_pending: DEFAULT_MAX_PENDING,
            pending_ttl: DEFAULT_PENDING_TTL,
            plain_http: false,
            audit: Arc::new(NoopSink),
        }
    }

    /// At most this many logins wait for their callback at once (default 1024);
    /// starting one more evicts the oldest.
    #[must_use]
    pub fn max_pending_logins(mut self, max: usize) -> Self {
        self.max_pending = max.max(1);
        self
    }

    /// A login whose callback does not come within `seconds` (default 600, on
    /// the login client's clock) is forgotten.
    #[must_use]
    pub fn pending_login_ttl(mut self, seconds: i64) -> Self {
        self.pending_ttl = seconds;
        self
    }

    /// Development on `http://localhost`: cookies without the `Secure`
    /// attribute, which browsers would not send back over plain http. Takes
    /// effect only when the redirect URI is `http` on a loopback host; cookies
    /// always carry `Secure` otherwise.
    #[must_use]
    pub fn plain_http_loopback_cookies(mut self) -> Self {
        self.plain_http = true;
        self
    }

    /// Where refused callbacks are audited (default: nowhere).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    /// Options of every authorization request (step-up, `max_age`, resources).
    #[must_use]
    pub fn options(mut self, options: AuthOptions) -> Self {
        self.options = options;
        self
    }

    /// Where the provider sends the browser after logout.
    #[must_use]
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    fn now(&self) -> i64 {
        self.client.clock.now()
    }

    /// The attributes of every cookie set: `HttpOnly`, `SameSite=Lax`, and
    /// `Secure` unless plain http on loopback was configured and is in use.
    fn cookie_attributes(&self) -> &'static str {
        if self.plain_http && is_loopback_http(&self.client.config.redirect_uri) {
            "Path=/; HttpOnly; SameSite=Lax"
        } else {
            "Path=/; HttpOnly; SameSite=Lax; Secure"
        }
    }

    fn set_cookie(&self, response: &mut Response, name: &str, value: &str, max_age: Option<i64>) {
        let mut text = format!("{name}={value}; {}", self.cookie_attributes());
        if let Some(seconds) = max_age {
            text.push_str(&format!("; Max-Age={seconds}"));
        }
        if let Ok(v) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    fn refuse(&self, why: CallbackRefused) -> Response {
        if self.audit.enabled() {
            let event = AuditEvent::new(self.now(), AuditAction::Authentication, Outcome::Denied)
                .agent(self.client.config.client_id.clone())
                .issuer(self.client.config.issuer.clone())
                .reason(why.to_string())
                .detail("step", "login_callback");
            self.audit.record(&event);
        }
        let status = match why {
            CallbackRefused::OtherBrowser => StatusCode::FORBIDDEN,
            CallbackRefused::UnknownLogin => StatusCode::BAD_REQUEST,
        };
        (status, why.to_string()).into_response()
    }

    fn stores(&self) -> std::sync::MutexGuard<'_, Stores> {
        self.stores.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The routes.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/login", get(login))
            .route("/callback", get(callback))
            .route("/logout", get(logout))
            .with_state(self.clone())
    }

    /// Ends every session of `user` at this provider (the user's access
    /// ended elsewhere): the sessions and their tokens are dropped, so the
    /// user's next request is not logged in. Returns how many; audited.
    pub fn end_sessions_of(&self, user: &str) -> usize {
        let ended = {
            let mut stores = self.stores();
            let before = stores.sessions.len();
            stores.sessions.retain(|_, s| s.subject != user);
            before - stores.sessions.len()
        };
        if ended > 0 && self.audit.enabled() {
            let event = AuditEvent::new(self.now(), AuditAction::Logout, Outcome::Success)
                .agent(self.client.config.client_id.clone())
                .issuer(self.client.config.issuer.clone())
                .user(user.to_owned())
                .detail("sessions", ended)
                .detail("op", "sessions_ended");
            self.audit.record(&event);
        }
        ended
    }

    /// The layer that puts [`CurrentUser`] into request extensions.
    pub fn layer(&self) -> SessionLayer {
        SessionLayer { web: self.clone() }
    }

    async fn current(&self, headers: &HeaderMap) -> Option<CurrentUser> {
        let id = cookie(headers)?;
        let mut session = self.stores().sessions.get(&id).cloned()?;
        match self.client.ensure_fresh(&mut session).await {
            Ok(true) => {
                self.stores().sessions.insert(id, session.clone());
            }
            Ok(false) => {}
            Err(_) => {
                self.stores().sessions.remove(&id);
                return None;
            }
        }
        Some(CurrentUser {
            subject: session.subject.clone(),
            claims: session.claims.clone(),
            access_token: session.tokens.access_token.clone(),
        })
    }
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    cookie_named(headers, COOKIE)
}

fn cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// SHA-256 of a binding nonce, base64url: what the server keeps of it.
fn digest(nonce: &str) -> String {
    base64url::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        nonce.as_bytes(),
    ))
}

/// Whether `uri` is `http` on a loopback host (development only).
fn is_loopback_http(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Only local paths, so `/login?return_to=` is no open redirector.
fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(p) if is_local_path(p) => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A path on this site: one `/` then a character other than `/` or `\`, no
/// backslash and no control character anywhere, checked again after each
/// round of percent-decoding, since browsers strip tabs and newlines from
/// URLs and treat `\` as `/` (RFC 3986 section 4.2: `//host` is a
/// network-path reference, and the WHATWG URL standard drops ASCII tab and
/// newline before parsing; OWASP's unvalidated redirects rules).
fn is_local_path(path: &str) -> bool {
    let mut current = path.to_owned();
    for _ in 0..4 {
        if !is_plain_local_path(&current) {
            return false;
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

fn is_plain_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && chars.next().is_none_or(|c| c != '/' && c != '\\')
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

/// One round of percent-decoding; invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn login(State(web): State<WebLogin>, RawQuery(query): RawQuery) -> Response {
    let return_to = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned());
    let req = match web.client.authorization_request(&web.options) {
        Ok(req) => req,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let Some(nonce) = super::tokens::random() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let now = web.now();
    {
        let mut stores = web.stores();
        stores.make_room(now, web.pending_ttl, web.max_pending);
        let seq = stores.next_seq;
        stores.next_seq = seq.wrapping_add(1);
        stores.pending.insert(
            req.pending.state.clone(),
            Pending {
                login: req.pending,
                return_to: safe_return(return_to.as_deref()),
                browser: digest(&nonce),
                started: now,
                seq,
            },
        );
    }
    let mut r = redirect(&req.url);
    web.set_cookie(&mut r, LOGIN_COOKIE, &nonce, Some(web.pending_ttl));
    r
}

/// The redirect back from the provider. The pending login must have been
/// started by this browser (its binding cookie), or the response is refused
/// and nothing changes: otherwise an attacker could start a login, stop at the
/// callback and have a victim's browser finish it, logging the victim into
/// the attacker's account (login CSRF, RFC 6749 section 10.12, RFC 9700
/// section 4.7).
async fn callback(
    State(web): State<WebLogin>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // The query carries the authorization code.
    let query = Zeroizing::new(query.unwrap_or_default());
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let browser = cookie_named(&headers, LOGIN_COOKIE).map(|nonce| digest(&nonce));
    let now = web.now();
    let taken = web
        .stores()
        .take(&state, browser.as_deref(), now, web.pending_ttl);
    let pending = match taken {
        Ok(p) => p,
        Err(why) => return web.refuse(why),
    };
    match web.client.callback(&pending.login, &query).await {
        Ok(session) => {
            let Some(id) = super::tokens::random() else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            web.stores().sessions.insert(id.clone(), session);
            let mut r = redirect(&pending.return_to);
            web.set_cookie(&mut r, COOKIE, &id, None);
            web.set_cookie(&mut r, LOGIN_COOKIE, "", Some(0));
            r
        }
        Err(e) => (StatusCode::UNAUTHORIZED, format!("login failed: {e}")).into_response(),
    }
}

async fn logout(State(web): State<WebLogin>, headers: HeaderMap) -> Response {
    let session = cookie(&headers).and_then(|id| web.stores().sessions.remove(&id));
    let to = match session {
        Some(s) => web
            .client
            .logout(&s, web.post_logout_redirect_uri.as_deref())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let mut r = redirect(to.as_deref().unwrap_or("/"));
    web.set_cookie(&mut r, COOKIE, "", Some(0));
    r
}

/// A tower layer that resolves the session cookie into a [`CurrentUser`].
#[derive(Debug, Clone)]
pub struct SessionLayer {
    web: WebLogin,
}

impl<S> tower::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            web: self.web.clone(),
        }
    }
}

/// The service of [`SessionLayer`].
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    web: WebLogin,
}

impl<S> tower::Service<Request<Body>> for SessionService<S>
where
    S: tower::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let web = self.web.clone();
        Box::pin(async move {
            if let Some(user) = web.current(request.headers()).await {
                request.extensions_mut().insert(user);
            }
            inner.call(request).await
        })
    }
}

/// A signal that ends a user's access ([`Signal::ends_access`](crate::signals::Signal::ends_access))
/// about a user of this provider ends the user's sessions here.
#[cfg(feature = "signals")]
#[async_trait::async_trait]
impl crate::signals::SignalSubscriber for WebLogin {
    async fn on_signal(&self, signal: &crate::signals::Signal) {
        if !signal.ends_access() {
            return;
        }
        if let Some(user) = signal.user_at(&self.client.config.issuer) {
            self.end_sessions_of(user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_redirect_bypasses_of_return_to_fall_back_to_root() {
        for bypass in [
            "//evil.example",
            "/\\evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/%2f/evil.example",
            "/%2F/evil.example",
            "/%5cevil.example",
            "/%5Cevil.example",
            "/%0a/evil.example",
            "/%0d/evil.example",
            "/%00/evil.example",
            "/%252f/evil.example",
            "https://evil.example",
            " /evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_return(Some(bypass)), "/", "{bypass:?} must be refused");
        }
    }

    #[test]
    fn local_paths_are_kept_as_given() {
        for path in ["/", "/me", "/a/b?x=1#y", "/caf%C3%A9", "/search?q=a%20b"] {
            assert_eq!(safe_return(Some(path)), path);
        }
        assert_eq!(safe_return(None), "/");
    }

    #[test]
    fn plain_http_cookies_only_on_loopback() {
        assert!(is_loopback_http("http://127.0.0.1:8080/callback"));
        assert!(is_loopback_http("http://localhost/callback"));
        assert!(is_loopback_http("http://[::1]:1/callback"));
        assert!(!is_loopback_http("https://127.0.0.1/callback"));
        assert!(!is_loopback_http("http://app.example/callback"));
        assert!(!is_loopback_http("not a url"));
    }
}
