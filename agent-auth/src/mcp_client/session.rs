//! The bearer token of one connection to a protected MCP server, and when to
//! obtain a new one: transport-agnostic, so any MCP client (rmcp's streamable
//! HTTP transport, a hand-written one) puts [`McpAuthSession::valid_bearer`]
//! on its requests and hands each 401 or 403 it receives to
//! [`McpAuthSession::on_rejection`]. A refresh token is used before a new
//! authorization.

use super::authorize::{McpAuthError, McpAuthorizer, McpToken};
use super::store::TokenStore;
use crate::clock::{SharedClock, system_clock};
use crate::oauth::BearerChallenge;
use crate::secret::Token;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// What one request has already done about rejections: the MCP authorization
/// specification allows one authorization after a 401 and one step-up after a
/// 403 `insufficient_scope`, so a server that keeps refusing cannot loop the
/// client. A refresh after a 401 comes before that authorization, once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestAttempt {
    refreshed: bool,
    authorized: bool,
    stepped_up: bool,
}

impl RequestAttempt {
    /// A request not yet rejected.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What the caller does after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// A new token was obtained: send the request again with
    /// [`McpAuthSession::bearer`].
    WithNewToken,
    /// Give up: the rejection stands (return it to the application).
    No,
}

/// The current token, when it stops being usable, and a counter of
/// replacements (a caller that waited for a renewal sees it happened).
#[derive(Debug, Default)]
struct State {
    token: Option<McpToken>,
    usable_until: Option<i64>,
    generation: u64,
}

/// How a refresh ended, when it did not fail outright.
enum Refreshed {
    /// A new access token (and the next refresh token) is stored.
    Yes,
    /// No refresh token, or the grant is over (`invalid_grant`; the refresh
    /// token is dropped, the access token kept): a new authorization is needed.
    No,
}

/// The token of one agent at one MCP server (the `resource`), obtained and
/// replaced by an [`McpAuthorizer`].
#[derive(Debug)]
pub struct McpAuthSession {
    authorizer: McpAuthorizer,
    resource: String,
    state: RwLock<State>,
    /// Held while a token is being obtained or refreshed: a rotating refresh
    /// token is never presented twice (RFC 9700 section 4.14.2 would revoke
    /// the grant), and concurrent rejections authorize once.
    renewal: tokio::sync::Mutex<()>,
    clock: SharedClock,
    refresh_ahead: i64,
    store: Option<Arc<dyn TokenStore>>,
    loaded: AtomicBool,
}

impl McpAuthSession {
    /// A session for the MCP server at `resource` (its URL, which is also the
    /// RFC 8707 resource indicator), with no token until the first 401.
    pub fn new(authorizer: McpAuthorizer, resource: impl Into<String>) -> Self {
        Self {
            authorizer,
            resource: resource.into(),
            state: RwLock::new(State::default()),
            renewal: tokio::sync::Mutex::new(()),
            clock: system_clock(),
            refresh_ahead: 30,
            store: None,
            loaded: AtomicBool::new(false),
        }
    }

    /// Keeps the tokens in `store` under the resource URL: a token found
    /// there is used (and refreshed) before any login, and every new or
    /// refreshed token is saved. A store that cannot be read or written is
    /// logged and otherwise ignored (the user logs in again).
    #[must_use]
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Takes the stored token, once, when none is held yet.
    fn load_stored(&self) {
        let Some(store) = &self.store else { return };
        if self.loaded.swap(true, Ordering::AcqRel) || self.read(|s| s.token.is_some()) {
            return;
        }
        let stored = match store.load(&self.resource) {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "the MCP token store could not be read");
                return;
            }
        };
        match self.authorizer.restore(&stored, self.clock.now()) {
            Ok(token) => self.keep(token),
            Err(e) => tracing::warn!(error = %e, "a stored MCP token could not be used"),
        }
    }

    /// Saves the current token in the store.
    fn save(&self) {
        let Some(store) = &self.store else { return };
        let now = self.clock.now();
        let Some(stored) = self.read(|s| s.token.as_ref().and_then(|t| t.to_stored(now))) else {
            return;
        };
        if let Err(e) = store.save(&self.resource, &stored) {
            tracing::warn!(error = %e, "the MCP token store could not be written");
        }
    }

    /// Uses `clock` to tell when a token expires.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Refreshes a token this many seconds before it expires (default 30).
    pub fn refresh_ahead(mut self, seconds: i64) -> Self {
        self.refresh_ahead = seconds.max(0);
        self
    }

    /// The MCP server URL.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn write<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// The access token to send (RFC 6750 section 2.1), if one was obtained,
    /// expired or not.
    pub fn bearer(&self) -> Option<Token> {
        self.read(|s| s.token.as_ref().map(|t| t.access_token.clone()))
    }

    /// The access token to send, refreshed first when it has expired (or
    /// expires within [`refresh_ahead`](Self::refresh_ahead)) and a refresh
    /// token is held. `None` when there is no token, or when the refresh was
    /// refused as `invalid_grant`: the request then goes without one, and its
    /// 401 leads to a new authorization. Any other refresh failure keeps the
    /// expired token (the server's 401 then tries the refresh again).
    pub async fn valid_bearer(&self) -> Option<Token> {
        self.load_stored();
        let now = self.clock.now();
        let (expired, seen) = self.read(|s| {
            let expired = s.usable_until.is_some_and(|u| u <= now)
                && s.token
                    .as_ref()
                    .is_some_and(|t| t.refresh_token().is_some());
            (expired, s.generation)
        });
        if !expired {
            return self.bearer();
        }
        let _renewing = self.renewal.lock().await;
        if self.read(|s| s.generation) != seen {
            return self.bearer();
        }
        match self.refresh_locked().await {
            Ok(Refreshed::Yes) => self.bearer(),
            Ok(Refreshed::No) => None,
            Err(e) => {
                tracing::debug!(error = %e, "refreshing the MCP access token failed");
                self.bearer()
            }
        }
    }

    /// The `Authorization` value and, for a DPoP-bound token, the `DPoP`
    /// proof for a request with `method` to `url` (RFC 9449 section 7.1:
    /// `ath` is the token's hash; the last nonce the server sent is included).
    /// `None` when there is no token. Refreshes first, as
    /// [`valid_bearer`](Self::valid_bearer).
    pub async fn request_credentials(
        &self,
        method: &str,
        url: &str,
    ) -> Result<Option<(String, Option<Token>)>, McpAuthError> {
        let Some(token) = self.valid_bearer().await else {
            return Ok(None);
        };
        let bound = self.read(|s| s.token.as_ref().is_some_and(McpToken::is_dpop));
        match (bound, self.authorizer.dpop_signer()) {
            (true, Some(signer)) => {
                let proof = signer
                    .proof(method, url, Some(token.expose_secret()), self.clock.now())
                    .map_err(|e| McpAuthError::Transport(e.to_string()))?;
                Ok(Some((
                    format!("DPoP {}", token.expose_secret()),
                    Some(proof),
                )))
            }
            (true, None) => Err(McpAuthError::Unsupported(
                "a DPoP-bound token without the agent's DPoP key",
            )),
            (false, _) => Ok(Some((format!("Bearer {}", token.expose_secret()), None))),
        }
    }

    /// Reads a resource server's answer for DPoP (RFC 9449 section 9): keeps
    /// its `DPoP-Nonce`, and says whether to send the request once more
    /// because it asked for that nonce (`use_dpop_nonce`).
    pub fn on_dpop_answer(&self, www_authenticate: Option<&str>, dpop_nonce: Option<&str>) -> bool {
        let Some(signer) = self.authorizer.dpop_signer() else {
            return false;
        };
        let asked = www_authenticate
            .and_then(|h| crate::oauth::parse_www_authenticate(h).ok())
            .is_some_and(|challenges| {
                challenges.iter().any(|c| {
                    c.scheme.eq_ignore_ascii_case("dpop")
                        && c.param("error") == Some(crate::dpop::USE_DPOP_NONCE)
                })
            });
        signer.wants_retry(asked.then_some(crate::dpop::USE_DPOP_NONCE), dpop_nonce)
    }

    /// The scope the current token was asked for.
    pub fn scope(&self) -> Vec<String> {
        self.read(|s| s.token.as_ref().map(|t| t.scope.clone()))
            .unwrap_or_default()
    }

    /// Whether the current token came with a refresh token.
    pub fn has_refresh_token(&self) -> bool {
        self.read(|s| {
            s.token
                .as_ref()
                .is_some_and(|t| t.refresh_token().is_some())
        })
    }

    /// Reacts to an HTTP `status` with its `WWW-Authenticate` header:
    /// - 401 (RFC 6750 section 3.1 `invalid_token`, or no token): first, once
    ///   per request, the refresh token if one is held (RFC 6749 section 6);
    ///   if there is none or it is refused as `invalid_grant`, obtain a token,
    ///   once per request, with the challenge's `resource_metadata` and
    ///   `scope` (MCP authorization, "Authorization Server Discovery");
    /// - 403 `insufficient_scope` (RFC 6750 section 3.1): step up once per
    ///   request with the challenge's scope (MCP "Scope Challenge Handling");
    /// - anything else, or a repeated rejection: [`Retry::No`].
    ///
    /// An unparsable header counts as a challenge without parameters. On
    /// error the current token is kept (a refresh token refused as
    /// `invalid_grant` is dropped).
    pub async fn on_rejection(
        &self,
        attempt: &mut RequestAttempt,
        status: u16,
        www_authenticate: Option<&str>,
    ) -> Result<Retry, McpAuthError> {
        self.load_stored();
        let challenge =
            www_authenticate.and_then(|h| BearerChallenge::from_header(h).ok().flatten());
        let step_up = status == 403
            && challenge
                .as_ref()
                .is_some_and(BearerChallenge::is_insufficient_scope);
        if status != 401 && !step_up {
            return Ok(Retry::No);
        }
        let seen = self.read(|s| s.generation);
        let _renewing = self.renewal.lock().await;
        if status == 401 {
            if !attempt.refreshed {
                attempt.refreshed = true;
                // Another request renewed the token while this one waited.
                if self.read(|s| s.generation) != seen {
                    return Ok(Retry::WithNewToken);
                }
                if let Refreshed::Yes = self.refresh_locked().await? {
                    return Ok(Retry::WithNewToken);
                }
            }
            if attempt.authorized {
                return Ok(Retry::No);
            }
            attempt.authorized = true;
        } else {
            if attempt.stepped_up {
                return Ok(Retry::No);
            }
            attempt.stepped_up = true;
        }
        let token = self
            .authorizer
            .authorize(&self.resource, challenge.as_ref())
            .await?;
        self.store(token);
        Ok(Retry::WithNewToken)
    }

    /// Refreshes the current token; the caller holds `renewal`.
    async fn refresh_locked(&self) -> Result<Refreshed, McpAuthError> {
        let Some(current) = self.read(|s| s.token.clone()) else {
            return Ok(Refreshed::No);
        };
        if current.refresh_token().is_none() {
            return Ok(Refreshed::No);
        }
        match self.authorizer.refresh(&self.resource, &current).await {
            Ok(token) => {
                self.store(token);
                Ok(Refreshed::Yes)
            }
            Err(e) if e.is_invalid_grant() => {
                tracing::debug!(error = %e, "the refresh token was refused; authorizing again");
                self.write(|s| s.token.as_mut().map(McpToken::forget_refresh_token));
                self.save();
                Ok(Refreshed::No)
            }
            Err(e) => Err(e),
        }
    }

    /// Holds `token` and saves it in the store.
    fn store(&self, token: McpToken) {
        self.keep(token);
        self.save();
    }

    /// Holds `token`.
    fn keep(&self, token: McpToken) {
        let usable_until = token
            .expires_in
            .map(|e| self.clock.now().saturating_add(e) - self.refresh_ahead);
        self.write(|s| {
            s.token = Some(token);
            s.usable_until = usable_until;
            s.generation += 1;
        });
    }
}
