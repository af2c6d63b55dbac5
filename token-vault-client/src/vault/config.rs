//! How a vault is configured: its connections (refresher, reconnect URL,
//! rotation), the refresh policy, and the builder.

use super::agents::AgentConnections;
use super::{Inner, Vault};
use crate::cache::{DEFAULT_CAPACITY, RecordCache};
use crate::jit::JitSource;
use crate::keys::KeyProvider;
use crate::rotation::{RotationPolicy, RotationSchedule, Rotator};
use crate::store::VaultStore;
use agent_auth::audit::{NoopSink, SharedSink};
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::secret::SecretString;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

/// When access tokens are refreshed: `margin` seconds before expiry, minus a
/// per-credential jitter in `[0, jitter]` so that tokens issued together do not
/// all refresh in the same second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Seconds before expiry.
    pub margin: i64,
    /// Maximum extra seconds.
    pub jitter: i64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            margin: 300,
            jitter: 60,
        }
    }
}

/// What a provider's token endpoint returned for a refresh.
#[derive(Debug, Clone)]
pub struct RefreshedTokens {
    /// The new access token.
    pub access_token: SecretString,
    /// A rotated refresh token, if the provider rotates.
    pub refresh_token: Option<SecretString>,
    /// Lifetime of the access token.
    pub expires_in: Option<i64>,
    /// Granted scopes, if the provider says.
    pub scopes: Option<Vec<String>>,
    /// Token type.
    pub token_type: Option<String>,
}

/// Why a refresh failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    /// The grant is gone (`invalid_grant`): revoked, expired, or the user
    /// withdrew consent. The connection needs a reconnect.
    #[error("consent gone: {0}")]
    ConsentGone(String),
    /// Anything else (network, 5xx, malformed response): try again later.
    #[error("transient: {0}")]
    Transient(String),
    /// The token endpoint failed for another reason than `invalid_grant`
    /// (DNS, TLS, timeout, status, another OAuth error), its cause kept: try
    /// again later.
    #[cfg(feature = "http")]
    #[error("token endpoint failed")]
    Endpoint(#[source] agent_auth::oauth::TokenError),
}

/// Refreshes OAuth tokens of one connection.
#[async_trait::async_trait]
pub trait TokenRefresher: Send + Sync + std::fmt::Debug {
    /// Exchanges `refresh_token` for new tokens.
    async fn refresh(
        &self,
        refresh_token: &SecretString,
        scopes: &[String],
    ) -> Result<RefreshedTokens, RefreshError>;

    /// Exchanges `refresh_token` for an access token with `scopes` only (a
    /// subset of the grant: RFC 6749 section 6, `scope` on a refresh);
    /// `None` when the provider cannot narrow (the default).
    async fn refresh_narrowed(
        &self,
        refresh_token: &SecretString,
        scopes: &[String],
    ) -> Option<Result<RefreshedTokens, RefreshError>> {
        let _ = (refresh_token, scopes);
        None
    }
}

/// Why a provider could not revoke a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// The provider has no revocation endpoint (RFC 7009 is optional).
    #[error("the provider offers no token revocation")]
    Unsupported,
    /// The provider refused or could not be reached; the reason names the
    /// failure (an OAuth error code or the HTTP status), never the token.
    #[error("revocation failed: {0}")]
    Failed(String),
}

/// Revokes tokens at a connection's provider (RFC 7009).
#[async_trait::async_trait]
pub trait TokenRevoker: Send + Sync + std::fmt::Debug {
    /// Revokes `refresh_token` (and, at most providers, its grant).
    async fn revoke_refresh_token(&self, refresh_token: &SecretString) -> Result<(), RevokeError>;

    /// Revokes `access_token` (RFC 7009 section 2: a server SHOULD support
    /// it, need not). By default [`RevokeError::Unsupported`].
    async fn revoke_access_token(&self, access_token: &SecretString) -> Result<(), RevokeError> {
        let _ = access_token;
        Err(RevokeError::Unsupported)
    }
}

/// Waits between revocation attempts; injected, so tests never sleep.
#[async_trait::async_trait]
pub trait RetrySleeper: Send + Sync + std::fmt::Debug {
    /// Returns after `seconds`.
    async fn sleep(&self, seconds: u64);
}

/// Sleeps on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioRetrySleeper;

#[async_trait::async_trait]
impl RetrySleeper for TokioRetrySleeper {
    async fn sleep(&self, seconds: u64) {
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    }
}

/// How a failed revocation is retried: up to `attempts` tries, waiting
/// `backoff` seconds after the first failure and twice as long after each
/// next one. A provider without revocation is not retried.
#[derive(Debug, Clone)]
pub struct RevocationRetry {
    /// Tries in all (at least one).
    pub attempts: u32,
    /// Seconds before the second try.
    pub backoff: u64,
    /// Waits between tries.
    pub sleeper: Arc<dyn RetrySleeper>,
}

impl Default for RevocationRetry {
    /// Three tries, 1 then 2 seconds apart, on the tokio timer.
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: 1,
            sleeper: Arc::new(TokioRetrySleeper),
        }
    }
}

/// A connection the vault knows: how to refresh its tokens and where users reconnect.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// The connection name.
    pub name: String,
    /// The refresher (OAuth connections).
    pub refresher: Option<Arc<dyn TokenRefresher>>,
    /// Where a user (re)connects the account; the vault appends `connection` and `scope`.
    pub reconnect_url: Option<String>,
    /// Scheduled rotation of the connection's credentials, if any.
    pub rotation: Option<RotationSchedule>,
    /// Revokes the provider's tokens when the user's access ends (OAuth
    /// connections whose provider supports RFC 7009).
    pub revoker: Option<Arc<dyn TokenRevoker>>,
    /// Mints the connection's credentials at request time (just-in-time).
    pub jit: Option<JitSource>,
}

impl ConnectionConfig {
    /// A connection with no refresher.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            refresher: None,
            reconnect_url: None,
            rotation: None,
            revoker: None,
            jit: None,
        }
    }

    /// Sets the revoker (see [`Vault::revoke_user`]).
    #[must_use]
    pub fn revoker(mut self, r: Arc<dyn TokenRevoker>) -> Self {
        self.revoker = Some(r);
        self
    }

    /// Mints the connection's credentials at request time through `source`
    /// (see [`JitSource`]).
    #[must_use]
    pub fn jit(mut self, source: JitSource) -> Self {
        self.jit = Some(source);
        self
    }

    /// Sets the refresher.
    #[must_use]
    pub fn refresher(mut self, r: Arc<dyn TokenRefresher>) -> Self {
        self.refresher = Some(r);
        self
    }

    /// Sets the reconnect URL.
    #[must_use]
    pub fn reconnect_url(mut self, url: impl Into<String>) -> Self {
        self.reconnect_url = Some(url.into());
        self
    }

    /// Rotates the connection's credentials with `rotator` per `policy` (see
    /// [`Vault::rotate_due`]).
    #[must_use]
    pub fn rotation(mut self, rotator: Arc<dyn Rotator>, policy: RotationPolicy) -> Self {
        self.rotation = Some(RotationSchedule { rotator, policy });
        self
    }
}

/// Configures a [`Vault`].
#[derive(Debug)]
pub struct VaultBuilder {
    store: Arc<dyn VaultStore>,
    keys: Arc<dyn KeyProvider>,
    clock: SharedClock,
    audit: SharedSink,
    policy: RefreshPolicy,
    cache_capacity: usize,
    agents: Option<Arc<dyn AgentConnections>>,
    retry: RevocationRetry,
}

impl VaultBuilder {
    /// How failed revocations at providers are retried (default
    /// [`RevocationRetry::default`]).
    #[must_use]
    pub fn revocation_retry(mut self, retry: RevocationRetry) -> Self {
        self.retry = retry;
        self
    }
    /// How many records the cache holds at most (default 10,000).
    #[must_use]
    pub fn cache_capacity(mut self, records: usize) -> Self {
        self.cache_capacity = records;
        self
    }
    /// The clock (default: system).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
    /// The audit sink (default: none).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }
    /// The connections each agent may use, and with which scopes (default:
    /// no per-agent restriction).
    #[must_use]
    pub fn agent_connections(mut self, agents: Arc<dyn AgentConnections>) -> Self {
        self.agents = Some(agents);
        self
    }
    /// The refresh policy.
    #[must_use]
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }
    /// The vault.
    pub fn build(self) -> Vault {
        Vault {
            inner: Arc::new(Inner {
                store: self.store,
                keys: self.keys,
                clock: self.clock,
                audit: self.audit,
                policy: self.policy,
                connections: RwLock::new(HashMap::new()),
                cache: RecordCache::new(self.cache_capacity),
                flights: Mutex::new(HashMap::new()),
                epochs: RwLock::new(HashMap::new()),
                refreshes: AtomicU64::new(0),
                agents: self.agents,
                retry: self.retry,
                due: Mutex::new(super::due::DueIndex::default()),
            }),
        }
    }
}

impl Vault {
    /// Starts configuring a vault over `store` with master keys from `keys`.
    pub fn builder(store: Arc<dyn VaultStore>, keys: Arc<dyn KeyProvider>) -> VaultBuilder {
        VaultBuilder {
            store,
            keys,
            clock: system_clock(),
            audit: Arc::new(NoopSink),
            policy: RefreshPolicy::default(),
            cache_capacity: DEFAULT_CAPACITY,
            agents: None,
            retry: RevocationRetry::default(),
        }
    }
}
