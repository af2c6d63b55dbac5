//! A JWKS fetched over HTTPS and kept parsed.
//!
//! - Keys are parsed once per fetch and shared; validation of a known key does no I/O.
//! - `Cache-Control: max-age` sets freshness (clamped to [cooldown, one day];
//!   five minutes without the header). Stale keys keep serving while one
//!   background refetch runs, so a failing endpoint never stalls known keys.
//! - An unknown `kid` triggers a refetch, at most one per cooldown (default 30 s)
//!   and single flight: a storm of unknown `kid`s causes at most one fetch. A `kid`
//!   still unknown afterwards is cached as unknown until the cooldown ends.
//! - Fetched through the OAuth core's [`HttpClient`]: only `https` URLs, or
//!   `http` to a loopback address; no redirects; the configured timeout and
//!   size cap.

use super::cache_control;
use crate::clock::{SharedClock, system_clock};
use crate::jose::{Algorithm, KeyError, VerifyingKey};
use crate::oauth::{HttpClient, HttpError, HttpPolicy, HttpRequest, check_url};
use crate::validate::{KeySource, ValidationError, parse_jwks, select_key};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// Settings of a [`RemoteJwks`].
#[derive(Debug, Clone)]
pub struct RemoteJwksConfig {
    /// Least time between two fetches (default 30 s).
    pub cooldown_secs: i64,
    /// Freshness when the response has no `Cache-Control` (default 300 s).
    pub default_max_age_secs: i64,
    /// Longest freshness honoured (default one day).
    pub max_max_age_secs: i64,
    /// Time limit of one fetch (default 10 s).
    pub timeout: Duration,
    /// Largest JWKS document accepted (default 256 KiB).
    pub max_bytes: usize,
}

impl Default for RemoteJwksConfig {
    fn default() -> Self {
        Self {
            cooldown_secs: 30,
            default_max_age_secs: 300,
            max_max_age_secs: 86_400,
            timeout: Duration::from_secs(10),
            max_bytes: crate::jose::MAX_JWKS_BYTES,
        }
    }
}

/// Why a JWKS source could not be created or fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The URL is not `https` (nor `http` to loopback) or does not parse.
    #[error("JWKS URL must be https (http only for loopback)")]
    InsecureUrl,
    /// The HTTP client could not be built.
    #[error("HTTP client unavailable")]
    Client,
    /// The request failed (connect, DNS, TLS, timeout, redirect).
    #[error("JWKS request failed: {0}")]
    Request(#[source] HttpError),
    /// The server answered with a non-success status.
    #[error("JWKS endpoint answered {0}")]
    Status(u16),
    /// The document exceeds the size limit.
    #[error("JWKS document too large")]
    TooLarge,
    /// The document is not a valid JWK Set.
    #[error("invalid JWKS: {0}")]
    Invalid(#[from] KeyError),
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<Arc<VerifyingKey>>,
    fresh_until: i64,
    last_attempt: Option<i64>,
    unknown: HashMap<String, i64>,
}

impl From<HttpError> for JwksError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Url(_) => Self::InsecureUrl,
            HttpError::BodyTooLarge { .. } => Self::TooLarge,
            HttpError::Status { status, .. } => Self::Status(status),
            other => Self::Request(other),
        }
    }
}

#[derive(Debug)]
struct Shared {
    url: String,
    http: HttpClient,
    clock: SharedClock,
    config: RemoteJwksConfig,
    state: RwLock<State>,
    fetch_lock: tokio::sync::Mutex<()>,
    background: AtomicBool,
    fetches: AtomicU64,
}

/// A key source backed by a remote JWK Set. Clones share one cache.
#[derive(Debug, Clone)]
pub struct RemoteJwks {
    shared: Arc<Shared>,
}

impl RemoteJwks {
    /// A source for the JWK Set at `url`, with default settings and the system clock.
    pub fn new(url: &str) -> Result<Self, JwksError> {
        Self::with_config(url, RemoteJwksConfig::default(), system_clock())
    }

    /// A source with explicit settings and clock.
    pub fn with_config(
        url: &str,
        config: RemoteJwksConfig,
        clock: SharedClock,
    ) -> Result<Self, JwksError> {
        let http = HttpClient::new().map_err(|_| JwksError::Client)?;
        Self::with_http(url, config, clock, http)
    }

    /// A source fetching through `http` (your own transport or
    /// `reqwest::Client`); the config's timeout and size cap become its policy.
    pub fn with_http(
        url: &str,
        config: RemoteJwksConfig,
        clock: SharedClock,
        http: HttpClient,
    ) -> Result<Self, JwksError> {
        let url = check_url(url)
            .map_err(|_| JwksError::InsecureUrl)?
            .to_string();
        let http = http.policy(HttpPolicy::new(config.timeout, config.max_bytes));
        Ok(Self {
            shared: Arc::new(Shared {
                url,
                http,
                clock,
                config,
                state: RwLock::new(State::default()),
                fetch_lock: tokio::sync::Mutex::new(()),
                background: AtomicBool::new(false),
                fetches: AtomicU64::new(0),
            }),
        })
    }

    /// How many fetches were attempted so far.
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// Fetches the key set now (ignoring the cooldown), e.g. at start-up.
    pub async fn fetch_now(&self) -> Result<usize, JwksError> {
        let _guard = self.shared.fetch_lock.lock().await;
        self.shared.fetch().await
    }

    fn spawn_background_refresh(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.shared.background.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = Arc::clone(&self.shared);
        runtime.spawn(async move {
            if let Ok(_guard) = shared.fetch_lock.try_lock()
                && shared.cooldown_passed()
            {
                // A failure is logged inside and leaves the known keys in place.
                let _ = shared.fetch().await;
            }
            shared.background.store(false, Ordering::SeqCst);
        });
    }
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn cooldown_passed(&self) -> bool {
        let now = self.clock.now();
        self.read()
            .last_attempt
            .is_none_or(|t| now >= t.saturating_add(self.config.cooldown_secs))
    }

    async fn fetch(&self) -> Result<usize, JwksError> {
        let now = self.clock.now();
        self.write().last_attempt = Some(now);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        match self.download().await {
            Ok((keys, max_age)) => {
                let count = keys.len();
                let max_age = max_age
                    .unwrap_or(self.config.default_max_age_secs)
                    .clamp(self.config.cooldown_secs, self.config.max_max_age_secs);
                let mut state = self.write();
                state.keys = keys.into_iter().map(Arc::new).collect();
                state.fresh_until = now.saturating_add(max_age);
                state.unknown.clear();
                tracing::debug!(url = %self.url, keys = count, "fetched JWKS");
                Ok(count)
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "JWKS fetch failed; keeping known keys");
                Err(error)
            }
        }
    }

    async fn download(&self) -> Result<(Vec<VerifyingKey>, Option<i64>), JwksError> {
        let request = HttpRequest::get(&self.url, "application/jwk-set+json, application/json")?;
        let response = self.http.send_ok(request).await?;
        let max_age = response
            .header("cache-control")
            .and_then(cache_control::max_age)
            .map(|age| i64::try_from(age).unwrap_or(i64::MAX));
        Ok((parse_jwks(response.body())?, max_age))
    }
}

#[async_trait::async_trait]
impl KeySource for RemoteJwks {
    fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, ValidationError> {
        let state = self.shared.read();
        let result = select_key(&state.keys, kid, alg);
        let stale = !state.keys.is_empty() && self.shared.clock.now() >= state.fresh_until;
        drop(state);
        if stale {
            self.spawn_background_refresh();
        }
        result
    }

    async fn refresh(&self, kid: Option<&str>) -> bool {
        let shared = &self.shared;
        let now = shared.clock.now();
        if let Some(kid) = kid
            && shared
                .read()
                .unknown
                .get(kid)
                .is_some_and(|until| *until > now)
        {
            return false;
        }
        let _guard = shared.fetch_lock.lock().await;
        // Another caller may have fetched while this one waited.
        let known = |state: &State| match kid {
            Some(kid) => state.keys.iter().any(|k| k.kid() == Some(kid)),
            None => !state.keys.is_empty(),
        };
        if known(&shared.read()) {
            return true;
        }
        if shared.cooldown_passed() && shared.fetch().await.is_ok() && known(&shared.read()) {
            return true;
        }
        if let Some(kid) = kid {
            let mut state = shared.write();
            let until = state
                .last_attempt
                .unwrap_or(now)
                .saturating_add(shared.config.cooldown_secs);
            // Bound the negative cache against floods of random `kid`s.
            if state.unknown.len() >= 10_000 {
                state.unknown.clear();
            }
            state.unknown.insert(kid.to_owned(), until);
        }
        false
    }
}
