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

const COOKIE: &str = "agent_auth_rp";

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

#[derive(Debug, Default)]
struct Stores {
    sessions: HashMap<String, LoginSession>,
    pending: HashMap<String, (PendingLogin, String)>,
}

/// Login routes, session store and layer for one provider.
#[derive(Debug, Clone)]
pub struct WebLogin {
    client: Arc<LoginClient>,
    stores: Arc<Mutex<Stores>>,
    options: AuthOptions,
    post_logout_redirect_uri: Option<String>,
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
        }
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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
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
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

async fn login(State(web): State<WebLogin>, RawQuery(query): RawQuery) -> Response {
    let return_to = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned());
    match web.client.authorization_request(&web.options) {
        Ok(req) => {
            web.stores().pending.insert(
                req.pending.state.clone(),
                (req.pending, safe_return(return_to.as_deref())),
            );
            redirect(&req.url)
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn callback(State(web): State<WebLogin>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let pending = {
        let mut stores = web.stores();
        let key = stores
            .pending
            .keys()
            .find(|k| constant_time_eq(k.as_bytes(), state.as_bytes()))
            .cloned();
        key.and_then(|k| stores.pending.remove(&k))
    };
    let Some((pending, return_to)) = pending else {
        return (StatusCode::BAD_REQUEST, "unknown or expired login").into_response();
    };
    match web.client.callback(&pending, &query).await {
        Ok(session) => {
            let Some(id) = super::tokens::random() else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            web.stores().sessions.insert(id.clone(), session);
            let mut r = redirect(&return_to);
            if let Ok(v) =
                HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"))
            {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
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
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
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
