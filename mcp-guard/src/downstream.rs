//! No token passthrough: tokens for the APIs an MCP server calls on behalf of
//! its caller come from RFC 8693 token exchange at the authorization server,
//! never from forwarding the token the server received (MCP specification,
//! security best practices, "Token Passthrough"; RFC 8707 audiences).
//!
//! The guard keeps the verified inbound token only when asked
//! ([`GuardBuilder::keep_inbound_token`](crate::GuardBuilder::keep_inbound_token)),
//! as an [`InboundToken`] whose bytes no public method reveals: the only place
//! they go is the subject token of an exchange.

use crate::principal::Principal;
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::exchange::{ExchangeClient, ExchangeError, TokenExchangeRequest, token_types};
use agent_auth::secret::Token;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The verified bearer token of the current request, kept for token exchange.
/// Its bytes are not reachable from outside this crate; `Debug` is redacted.
#[derive(Clone)]
pub struct InboundToken(Token);

impl InboundToken {
    pub(crate) fn new(token: Token) -> Self {
        Self(token)
    }
}

impl fmt::Debug for InboundToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InboundToken([redacted])")
    }
}

/// Why no downstream token could be had. Messages never contain a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DownstreamError {
    /// The request carries no verified token: the guard was not configured
    /// with `keep_inbound_token`, or the request did not pass the guard.
    #[error("the request carries no verified token to exchange")]
    NoInboundToken,
    /// The inbound token names no subject (`sub`).
    #[error("the inbound token names no subject")]
    NoSubject,
    /// A scope asked for was not granted to the inbound token; an exchange
    /// only narrows (RFC 8693 section 2.1), so it is not attempted.
    #[error("scope `{0}` was not granted to the inbound token")]
    ScopeNotGranted(String),
    /// The authorization server refused (RFC 8693 section 2.2.2).
    #[error("the authorization server refused the exchange ({status}): {error}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code (`invalid_target`, `invalid_scope`, ...).
        error: String,
    },
    /// The token endpoint could not be reached.
    #[error("the authorization server is unreachable")]
    Unavailable,
    /// The answer was not a usable token response.
    #[error("invalid token exchange response: {0}")]
    InvalidResponse(&'static str),
}

impl From<ExchangeError> for DownstreamError {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Refused { status, error, .. } => Self::Refused { status, error },
            ExchangeError::Transport(_) => Self::Unavailable,
            ExchangeError::InvalidResponse(why) | ExchangeError::Config(why) => {
                Self::InvalidResponse(why)
            }
            _ => Self::InvalidResponse("unexpected exchange failure"),
        }
    }
}

struct Cached {
    token: Token,
    usable_until: i64,
}

/// Largest number of cached downstream tokens.
const CAPACITY: usize = 10_000;

/// Obtains and caches downstream tokens by token exchange at one token
/// endpoint, as the MCP server's own client there. Clones share the cache.
#[derive(Clone)]
pub struct Downstream {
    exchange: ExchangeClient,
    clock: SharedClock,
    refresh_ahead: i64,
    cache: Arc<Mutex<HashMap<[u8; 32], Cached>>>,
}

impl fmt::Debug for Downstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Downstream")
            .field("token_endpoint", &self.exchange.token_endpoint())
            .field("client_id", &self.exchange.client_id())
            .finish_non_exhaustive()
    }
}

impl Downstream {
    /// Exchanges through `exchange` (the authorization server's token endpoint,
    /// with the MCP server's client credentials).
    pub fn new(exchange: ExchangeClient) -> Self {
        Self {
            exchange,
            clock: system_clock(),
            refresh_ahead: 30,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The clock deciding expiry (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// How long before expiry a cached token is replaced (default 30 s).
    #[must_use]
    pub fn refresh_ahead(mut self, seconds: i64) -> Self {
        self.refresh_ahead = seconds.max(0);
        self
    }

    /// A token for `audience` with `scope`, for the caller of the request whose
    /// extensions are `extensions` (as the guard left them).
    pub async fn for_request(
        &self,
        extensions: &axum::http::Extensions,
        audience: &str,
        scope: &[&str],
    ) -> Result<Token, DownstreamError> {
        let principal = crate::principal(extensions).ok_or(DownstreamError::NoInboundToken)?;
        let inbound = extensions
            .get::<InboundToken>()
            .ok_or(DownstreamError::NoInboundToken)?;
        self.token(principal, inbound, audience, scope).await
    }

    /// A token for `audience` (sent as RFC 8707 `resource` when it is an
    /// absolute URI, else as `audience`) with `scope`, on behalf of
    /// `principal`: from the cache, keyed by the caller (issuer, subject,
    /// client, actor chain), the audience and the scope, while it is valid
    /// and the inbound token is too; else by exchanging `inbound`.
    pub async fn token(
        &self,
        principal: &Principal,
        inbound: &InboundToken,
        audience: &str,
        scope: &[&str],
    ) -> Result<Token, DownstreamError> {
        let subject = principal
            .subject
            .as_deref()
            .ok_or(DownstreamError::NoSubject)?;
        if let Some(missing) = scope.iter().find(|s| !principal.has_scope(s)) {
            return Err(DownstreamError::ScopeNotGranted((*missing).to_owned()));
        }
        let key = cache_key(principal, subject, audience, scope);
        let now = self.clock.now();
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .filter(|c| c.usable_until > now)
        {
            return Ok(hit.token.clone());
        }
        let mut request = TokenExchangeRequest::new(inbound.0.clone(), token_types::ACCESS_TOKEN)
            .requested_token_type(token_types::ACCESS_TOKEN)
            .scope(scope.iter().copied());
        request = if url::Url::parse(audience).is_ok() {
            request.resource(audience)
        } else {
            request.audience(audience)
        };
        let response = self.exchange.exchange(&request).await?;
        // RFC 8693 section 2.2.1: issued_token_type is required.
        if response.issued_token_type.as_deref() != Some(token_types::ACCESS_TOKEN) {
            return Err(DownstreamError::InvalidResponse(
                "the issued token is not an access token",
            ));
        }
        if !response.token_type.eq_ignore_ascii_case("bearer") {
            return Err(DownstreamError::InvalidResponse(
                "the issued token is not a bearer token",
            ));
        }
        if response.access_token == inbound.0 {
            return Err(DownstreamError::InvalidResponse(
                "the authorization server returned the inbound token",
            ));
        }
        let token = response.access_token;
        if let Some(expires_in) = response.expires_in {
            let mut until = self.clock.now().saturating_add(expires_in);
            if let Some(exp) = principal.expires_at {
                until = until.min(exp);
            }
            self.put(key, token.clone(), until - self.refresh_ahead, now);
        }
        Ok(token)
    }

    fn put(&self, key: [u8; 32], token: Token, usable_until: i64, now: i64) {
        if usable_until <= now {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CAPACITY {
            cache.retain(|_, c| c.usable_until > now);
            if cache.len() >= CAPACITY {
                cache.clear();
            }
        }
        cache.insert(
            key,
            Cached {
                token,
                usable_until,
            },
        );
    }

    /// Drops every cached token (after a logout or revocation event).
    pub fn clear(&self) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// SHA-256 of the caller, the audience and the sorted scope, each part
/// length-prefixed; no token bytes.
fn cache_key(principal: &Principal, subject: &str, audience: &str, scope: &[&str]) -> [u8; 32] {
    let mut scope: Vec<&str> = scope.to_vec();
    scope.sort_unstable();
    scope.dedup();
    let act = principal
        .claims
        .extra
        .get("act")
        .map(ToString::to_string)
        .unwrap_or_default();
    let client = principal.client_id.as_deref().unwrap_or_default();
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let parts = [
        principal.issuer.as_str(),
        subject,
        client,
        act.as_str(),
        audience,
    ];
    for part in parts.into_iter().chain(scope) {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}
