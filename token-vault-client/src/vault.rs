//! The embedded vault: sealed records in a [`VaultStore`], a ciphertext cache,
//! scoped retrieval, proactive single-flight refresh, rotation and wipe.

use crate::cache::{Cached, DEFAULT_CAPACITY, RecordCache};
use crate::credential::{Credential, CredentialKey, CredentialKind, IssuedCredential, TokenSet};
use crate::envelope;
use crate::error::{ConsentRequired, VaultError};
use crate::keys::KeyProvider;
use crate::rotation::{RotationPolicy, RotationSchedule, Rotator};
use crate::store::{SealedRecord, Status, VaultStore};
use agent_auth::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::secret::{SecretString, constant_time_eq};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Who asks: an agent acting for a user in a tenant. Build it from a validated
/// token (its `sub` and `client_id`), never from model output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accessor {
    /// The tenant.
    pub tenant: String,
    /// The user the agent acts for.
    pub user: String,
    /// The agent (client id).
    pub agent: String,
}

impl Accessor {
    /// An accessor.
    pub fn new(
        tenant: impl Into<String>,
        user: impl Into<String>,
        agent: impl Into<String>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            user: user.into(),
            agent: agent.into(),
        }
    }

    fn key(&self, connection: &str) -> CredentialKey {
        CredentialKey::new(&self.tenant, &self.user, connection)
    }
}

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
}

impl ConnectionConfig {
    /// A connection with no refresher.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            refresher: None,
            reconnect_url: None,
            rotation: None,
        }
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

/// The vault. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Vault {
    inner: Arc<Inner>,
}

type FlightMap = HashMap<CredentialKey, Arc<tokio::sync::Mutex<()>>>;

#[derive(Debug)]
struct Inner {
    store: Arc<dyn VaultStore>,
    keys: Arc<dyn KeyProvider>,
    clock: SharedClock,
    audit: SharedSink,
    policy: RefreshPolicy,
    connections: RwLock<HashMap<String, ConnectionConfig>>,
    cache: RecordCache,
    flights: Mutex<FlightMap>,
    epochs: RwLock<HashMap<(String, String), u64>>,
    refreshes: AtomicU64,
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
}

impl VaultBuilder {
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
            }),
        }
    }
}

/// Result of the synchronous hot path.
#[derive(Debug)]
pub enum Lookup {
    /// The credential, fresh enough.
    Ready(IssuedCredential),
    /// The access token is due for refresh (call [`Vault::get`]).
    Stale,
}

fn fnv(bytes: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in bytes {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

std::thread_local! {
    /// The last read event built on this thread, with the id of its cache
    /// entry (names only, never a secret).
    static LAST_READ: std::cell::RefCell<Option<(u64, AuditEvent)>> =
        const { std::cell::RefCell::new(None) };
}

/// A successful read of `entry` by `agent` (time set by the caller).
fn read_event(entry: &Cached, agent: &str) -> AuditEvent {
    let key = &entry.record.key;
    AuditEvent {
        time: 0,
        action: AuditAction::VaultAccess,
        outcome: Outcome::Success,
        agent: Some(agent.to_owned()),
        user: Some(key.user.clone()),
        issuer: Some(key.tenant.clone()),
        reason: None,
        details: entry.read_details.clone(),
    }
}

/// The three names of a credential, borrowed.
#[derive(Debug, Clone, Copy)]
struct Names<'a> {
    tenant: &'a str,
    user: &'a str,
    connection: &'a str,
}

impl<'a> Names<'a> {
    fn of(key: &'a CredentialKey) -> Self {
        Self {
            tenant: &key.tenant,
            user: &key.user,
            connection: &key.connection,
        }
    }
}

/// Scopes are space-free, non-empty tokens (RFC 6749 section 3.3).
pub(crate) fn validate_scopes(credential: &Credential) -> Result<(), VaultError> {
    if credential
        .scopes()
        .iter()
        .any(|s| s.is_empty() || s.contains(' '))
    {
        return Err(VaultError::Invalid(
            "scopes are non-empty tokens without spaces".into(),
        ));
    }
    Ok(())
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
        }
    }

    /// Registers (or replaces) a connection.
    pub fn add_connection(&self, config: ConnectionConfig) {
        self.inner
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(config.name.clone(), config);
    }

    /// The current time of the vault's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// How many refreshes reached a provider since start.
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::SeqCst)
    }

    /// The storage backend.
    pub fn store(&self) -> &Arc<dyn VaultStore> {
        &self.inner.store
    }

    /// The master keys.
    pub(crate) fn keys(&self) -> &Arc<dyn KeyProvider> {
        &self.inner.keys
    }

    /// The rotation schedule of `connection`, if it has one.
    pub(crate) fn rotation_schedule(&self, connection: &str) -> Option<RotationSchedule> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(connection)
            .and_then(|c| c.rotation.clone())
    }

    fn audit(
        &self,
        action: AuditAction,
        outcome: Outcome,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
        let event = f(AuditEvent::new(self.now(), action, outcome));
        self.inner.audit.record(&event);
    }

    /// Records an event built by `f` (for the rotation job).
    pub(crate) fn audit_event(
        &self,
        action: AuditAction,
        outcome: Outcome,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
        self.audit(action, outcome, f);
    }

    fn audit_access(
        &self,
        op: &'static str,
        key: &CredentialKey,
        agent: Option<&str>,
        result: Result<(), &VaultError>,
    ) {
        self.audit_access_at(self.now(), op, Names::of(key), agent, result);
    }

    /// The access event, built field by field (no builder moves, two map
    /// entries): it is on the hot path of every read.
    fn audit_access_at(
        &self,
        now: i64,
        op: &'static str,
        names: Names<'_>,
        agent: Option<&str>,
        result: Result<(), &VaultError>,
    ) {
        if !self.inner.audit.enabled() {
            return;
        }
        let outcome = match result {
            Ok(()) => Outcome::Success,
            Err(VaultError::NotActingForUser | VaultError::ConsentRequired(_)) => Outcome::Denied,
            Err(VaultError::NotFound(_) | VaultError::Expired(_)) => Outcome::Denied,
            Err(_) => Outcome::Error,
        };
        let mut details = serde_json::Map::new();
        details.insert("op".to_owned(), op.into());
        details.insert("connection".to_owned(), names.connection.into());
        let event = AuditEvent {
            time: now,
            action: AuditAction::VaultAccess,
            outcome,
            agent: agent.map(str::to_owned),
            user: Some(names.user.to_owned()),
            issuer: Some(names.tenant.to_owned()),
            reason: result.err().map(|e| e.reason().to_owned()),
            details,
        };
        self.inner.audit.record(&event);
    }

    /// The event of a successful read. Each read hands the sink a complete
    /// event; repeated reads of one entry by one agent on a thread reuse the
    /// event last built there with the new time, instead of allocating its
    /// names and details again.
    fn audit_read(&self, now: i64, entry: &Cached, agent: &str) {
        if !self.inner.audit.enabled() {
            return;
        }
        LAST_READ.with(|cell| match cell.try_borrow_mut() {
            Ok(mut last) => {
                let reusable = matches!(&*last, Some((id, e))
                    if *id == entry.id && e.agent.as_deref() == Some(agent));
                if !reusable {
                    *last = Some((entry.id, read_event(entry, agent)));
                }
                if let Some((_, event)) = last.as_mut() {
                    event.time = now;
                    self.inner.audit.record(event);
                }
            }
            // A sink that reads the vault from inside `record`.
            Err(_) => {
                let mut event = read_event(entry, agent);
                event.time = now;
                self.inner.audit.record(&event);
            }
        });
    }

    /// Caches `record` with its jitter under the key provider's generation.
    pub(crate) fn cache_sealed(&self, record: SealedRecord) -> Arc<Cached> {
        let jitter = self.jitter(&record);
        self.inner
            .cache
            .insert(record, jitter, self.inner.keys.generation())
    }

    fn cache_put(&self, record: SealedRecord) -> Arc<Cached> {
        self.cache_sealed(record)
    }

    pub(crate) fn cache_remove(&self, key: &CredentialKey) {
        self.inner.cache.remove(key);
    }

    fn cache_drop(&self, key: &CredentialKey) {
        self.cache_remove(key);
    }

    /// The cached record of the names, loaded on a miss; rebuilt when master
    /// keys changed since it was cached.
    fn load(&self, names: Names<'_>) -> Result<Option<Arc<Cached>>, VaultError> {
        if let Some(r) = self
            .inner
            .cache
            .get(names.tenant, names.user, names.connection)
        {
            if r.generation == self.inner.keys.generation() {
                return Ok(Some(r));
            }
            return Ok(Some(self.cache_put(r.record.clone())));
        }
        let key = CredentialKey::new(names.tenant, names.user, names.connection);
        Ok(self.inner.store.get(&key)?.map(|r| self.cache_put(r)))
    }

    fn load_fresh(&self, key: &CredentialKey) -> Result<Option<Arc<Cached>>, VaultError> {
        match self.inner.store.get(key)? {
            Some(r) => Ok(Some(self.cache_put(r))),
            None => {
                self.cache_drop(key);
                Ok(None)
            }
        }
    }

    /// Stores `credential` for `key` (a new version). Durable when it returns.
    pub fn put(&self, key: &CredentialKey, credential: &Credential) -> Result<u64, VaultError> {
        let result = self.put_inner(key, credential);
        self.audit_access("write", key, None, result.as_ref().map(|_| ()));
        result
    }

    fn put_inner(&self, key: &CredentialKey, credential: &Credential) -> Result<u64, VaultError> {
        validate_scopes(credential)?;
        for _ in 0..8 {
            let current = self.inner.store.get(key)?.map_or(0, |r| r.version);
            let record = envelope::seal(
                &*self.inner.keys.active()?,
                key,
                current + 1,
                self.now(),
                credential,
            )?;
            match self.inner.store.put(&record, current) {
                Ok(()) => {
                    self.cache_put(record);
                    return Ok(current + 1);
                }
                Err(VaultError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(VaultError::Conflict)
    }

    /// Stores a credential for the user `accessor` acts for.
    pub fn store_for(
        &self,
        accessor: &Accessor,
        connection: &str,
        credential: &Credential,
    ) -> Result<u64, VaultError> {
        let key = accessor.key(connection);
        let result = self.put_inner(&key, credential);
        self.audit_access(
            "write",
            &key,
            Some(&accessor.agent),
            result.as_ref().map(|_| ()),
        );
        result
    }

    /// A consent-required error for `connection` with its reconnect URL.
    pub fn consent_error(&self, connection: &str, missing: Vec<String>) -> VaultError {
        self.consent(connection, missing)
    }

    fn consent(&self, connection: &str, missing: Vec<String>) -> VaultError {
        let base = self
            .inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(connection)
            .and_then(|c| c.reconnect_url.clone());
        let reconnect_url = base.map(|b| {
            let sep = if b.contains('?') { '&' } else { '?' };
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            format!(
                "{b}{sep}connection={}&scope={}",
                enc(connection),
                enc(&missing.join(" "))
            )
        });
        VaultError::ConsentRequired(ConsentRequired {
            connection: connection.to_owned(),
            missing_scopes: missing,
            reconnect_url,
        })
    }

    fn jitter(&self, record: &SealedRecord) -> i64 {
        let j = self.inner.policy.jitter;
        if j <= 0 {
            return 0;
        }
        let h = fnv(&[
            record.key.tenant.as_bytes(),
            record.key.user.as_bytes(),
            record.key.connection.as_bytes(),
            &record.version.to_be_bytes(),
        ]);
        i64::try_from(h % (j as u64 + 1)).unwrap_or(0)
    }

    /// Whether the access token of `record` is due for refresh at `now`.
    fn due(&self, record: &SealedRecord, now: i64) -> bool {
        self.due_with(record, self.jitter(record), now)
    }

    fn due_with(&self, record: &SealedRecord, jitter: i64, now: i64) -> bool {
        record.kind == CredentialKind::OAuth
            && record
                .expires_at
                .is_some_and(|e| now >= e - self.inner.policy.margin - jitter)
    }

    fn check(&self, record: &SealedRecord, scopes: &[&str]) -> Result<(), VaultError> {
        if record.status == Status::ConsentRequired {
            let missing = if scopes.is_empty() {
                record.scopes.clone()
            } else {
                scopes.iter().map(|s| (*s).to_owned()).collect()
            };
            return Err(self.consent(&record.key.connection, missing));
        }
        let scoped = match record.kind {
            CredentialKind::Database => false,
            CredentialKind::ApiKey => !record.scopes.is_empty(),
            _ => true,
        };
        if scoped {
            let missing: Vec<String> = scopes
                .iter()
                .filter(|s| !record.scopes.iter().any(|have| have == *s))
                .map(|s| (*s).to_owned())
                .collect();
            if !missing.is_empty() {
                return Err(self.consent(&record.key.connection, missing));
            }
        }
        Ok(())
    }

    fn authorize(&self, accessor: &Accessor, user: &str) -> Result<(), VaultError> {
        if accessor.user != user {
            return Err(VaultError::NotActingForUser);
        }
        Ok(())
    }

    /// The synchronous hot path: cached ciphertext, scope check, decrypt with
    /// the cached data key (the AEAD checks the record's associated data on
    /// every read), audit. Says [`Lookup::Stale`] when the access token is due
    /// for refresh.
    pub fn get_cached(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<Lookup, VaultError> {
        let names = Names {
            tenant: &accessor.tenant,
            user: &accessor.user,
            connection,
        };
        let now = self.now();
        let result = self.get_cached_inner(names, scopes, now, &accessor.agent);
        if let Err(e) = &result {
            self.audit_access_at(now, "read", names, Some(&accessor.agent), Err(e));
        }
        result
    }

    fn get_cached_inner(
        &self,
        names: Names<'_>,
        scopes: &[&str],
        now: i64,
        agent: &str,
    ) -> Result<Lookup, VaultError> {
        let record = self
            .load(names)?
            .ok_or_else(|| VaultError::NotFound(names.connection.to_owned()))?;
        self.check(&record, scopes)?;
        if self.due_with(&record, record.jitter, now) {
            return Ok(Lookup::Stale);
        }
        if record.kind != CredentialKind::OAuth && record.expires_at.is_some_and(|e| now >= e) {
            return Err(VaultError::Expired(names.connection.to_owned()));
        }
        let data_key = record.data_key.get_or_init(|| {
            let master = self.inner.keys.get(&record.master_key_id).ok()?;
            envelope::unwrap_dek(&master, &record.wrapped_key, &record.aad).ok()
        });
        let data_key = data_key.as_ref().ok_or(VaultError::Integrity)?;
        let credential =
            envelope::open_payload(data_key, &record.record, &record.aad, &record.scopes)?;
        self.audit_read(now, &record, agent);
        Ok(Lookup::Ready(credential))
    }

    /// The credential of `connection` for the user `accessor` acts for, with
    /// at least `scopes`; refreshed first when due. Never a refresh token.
    pub async fn get(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        match self.get_cached(accessor, connection, scopes)? {
            Lookup::Ready(c) => Ok(c),
            Lookup::Stale => {
                let key = accessor.key(connection);
                let result = self
                    .refresh_locked(&key, scopes, None, &accessor.agent)
                    .await;
                self.audit_access(
                    "read",
                    &key,
                    Some(&accessor.agent),
                    result.as_ref().map(|_| ()),
                );
                result
            }
        }
    }

    /// [`get`](Self::get) for `user`, refused unless `accessor` acts for that user.
    pub async fn get_for_user(
        &self,
        accessor: &Accessor,
        user: &str,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        if let Err(e) = self.authorize(accessor, user) {
            let key = CredentialKey::new(&accessor.tenant, user, connection);
            self.audit_access("read", &key, Some(&accessor.agent), Err(&e));
            return Err(e);
        }
        self.get(accessor, connection, scopes).await
    }

    /// After a provider refused `rejected` (HTTP 401): refreshes unless another
    /// caller already replaced that token, and returns the current token.
    pub async fn refresh_rejected(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
        rejected: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let key = accessor.key(connection);
        let result = self
            .refresh_locked(&key, scopes, Some(rejected), &accessor.agent)
            .await;
        self.audit_access(
            "read",
            &key,
            Some(&accessor.agent),
            result.as_ref().map(|_| ()),
        );
        result
    }

    /// The per-credential lock of refreshes and rotations (single flight).
    pub(crate) fn flight(&self, key: &CredentialKey) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(
            self.inner
                .flights
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        )
    }

    fn refresher(&self, connection: &str) -> Option<Arc<dyn TokenRefresher>> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(connection)
            .and_then(|c| c.refresher.clone())
    }

    async fn refresh_locked(
        &self,
        key: &CredentialKey,
        scopes: &[&str],
        rejected: Option<&str>,
        agent: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        // Under the lock, the store is the truth: a refresh that finished while
        // this caller waited is visible here.
        let record = self
            .load_fresh(key)?
            .ok_or_else(|| VaultError::NotFound(key.connection.clone()))?;
        self.check(&record, scopes)?;
        let now = self.now();
        let credential = envelope::open(&*self.inner.keys, &record)?;
        let Credential::OAuth(set) = credential else {
            if rejected.is_some() {
                return Err(self.consent(
                    &key.connection,
                    scopes.iter().map(|s| (*s).to_owned()).collect(),
                ));
            }
            return Ok(credential.issue());
        };
        let needed = match rejected {
            Some(token) => constant_time_eq(
                token.as_bytes(),
                set.access_token.expose_secret().as_bytes(),
            ),
            None => self.due(&record, now),
        };
        if !needed {
            return Ok(Credential::OAuth(set).issue());
        }
        let Some(refresh_token) = set.refresh_token.clone() else {
            if rejected.is_none() && set.expires_at.is_some_and(|e| now < e) {
                return Ok(Credential::OAuth(set).issue());
            }
            return Err(self.mark_consent(&record.record, scopes, "no_refresh_token", agent));
        };
        let Some(refresher) = self.refresher(&key.connection) else {
            if rejected.is_none() && set.expires_at.is_some_and(|e| now < e) {
                return Ok(Credential::OAuth(set).issue());
            }
            return Err(VaultError::RefreshFailed(
                "no refresher for the connection".into(),
            ));
        };
        self.inner.refreshes.fetch_add(1, Ordering::SeqCst);
        match refresher.refresh(&refresh_token, &set.scopes).await {
            Ok(fresh) => {
                let now = self.now();
                let next = TokenSet {
                    access_token: fresh.access_token,
                    // Rotation: the new refresh token replaces the old one in the
                    // same write as the access token, before anyone sees either.
                    refresh_token: fresh.refresh_token.or(Some(refresh_token)),
                    expires_at: fresh.expires_in.map(|s| now + s),
                    scopes: fresh.scopes.unwrap_or_else(|| set.scopes.clone()),
                    token_type: fresh.token_type.unwrap_or_else(|| set.token_type.clone()),
                };
                let next = Credential::OAuth(next);
                let sealed = envelope::seal(
                    &*self.inner.keys.active()?,
                    key,
                    record.version + 1,
                    self.now(),
                    &next,
                )?;
                if let Err(e) = self.inner.store.put(&sealed, record.version) {
                    self.audit(AuditAction::TokenRefreshed, Outcome::Error, |ev| {
                        ev.user(key.user.clone())
                            .agent(agent.to_owned())
                            .reason(e.reason())
                            .detail("connection", key.connection.clone())
                    });
                    return Err(e);
                }
                self.cache_put(sealed);
                self.audit(AuditAction::TokenRefreshed, Outcome::Success, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(agent.to_owned())
                        .detail("connection", key.connection.clone())
                        .detail("version", record.version + 1)
                });
                self.check_scopes_after_refresh(&next, scopes, &key.connection)?;
                Ok(next.issue())
            }
            Err(RefreshError::ConsentGone(why)) => {
                let _ = why;
                Err(self.mark_consent(&record.record, scopes, "invalid_grant", agent))
            }
            Err(RefreshError::Transient(why)) => {
                self.audit(AuditAction::TokenRefreshed, Outcome::Error, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(agent.to_owned())
                        .reason("transient")
                        .detail("connection", key.connection.clone())
                });
                // The current token is still good for a while: use it.
                if rejected.is_none() && set.expires_at.is_some_and(|e| self.now() < e) {
                    return Ok(Credential::OAuth(set).issue());
                }
                Err(VaultError::RefreshFailed(why))
            }
        }
    }

    fn check_scopes_after_refresh(
        &self,
        c: &Credential,
        scopes: &[&str],
        connection: &str,
    ) -> Result<(), VaultError> {
        let missing: Vec<String> = scopes
            .iter()
            .filter(|s| !c.scopes().iter().any(|h| h == *s))
            .map(|s| (*s).to_owned())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(self.consent(connection, missing))
        }
    }

    fn mark_consent(
        &self,
        record: &SealedRecord,
        scopes: &[&str],
        reason: &'static str,
        agent: &str,
    ) -> VaultError {
        let key = &record.key;
        if let Ok(true) = self
            .inner
            .store
            .set_status(key, record.version, Status::ConsentRequired)
        {
            let mut r = record.clone();
            r.status = Status::ConsentRequired;
            self.cache_put(r);
        }
        self.audit(AuditAction::TokenRefreshed, Outcome::Denied, |ev| {
            ev.user(key.user.clone())
                .issuer(key.tenant.clone())
                .agent(agent.to_owned())
                .reason(reason)
                .detail("connection", key.connection.clone())
                .detail("consent_required", true)
        });
        let missing = if scopes.is_empty() {
            record.scopes.clone()
        } else {
            scopes.iter().map(|s| (*s).to_owned()).collect()
        };
        self.consent(&key.connection, missing)
    }

    /// Deletes the credential of `connection` for the user `accessor` acts for.
    pub fn disconnect(&self, accessor: &Accessor, connection: &str) -> Result<bool, VaultError> {
        let key = accessor.key(connection);
        let result = self.inner.store.delete(&key);
        self.cache_drop(&key);
        self.audit_access(
            "delete",
            &key,
            Some(&accessor.agent),
            result.as_ref().map(|_| ()),
        );
        result
    }

    /// Universal logout: deletes every credential of `user` in `tenant`, from the
    /// store and the cache, and invalidates agent-side caches.
    pub fn wipe_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        let result = self.inner.store.delete_user(tenant, user);
        self.inner.cache.remove_user(tenant, user);
        *self
            .inner
            .epochs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((tenant.to_owned(), user.to_owned()))
            .or_default() += 1;
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Error
        };
        self.audit(AuditAction::Logout, outcome, |e| {
            let e = e
                .user(user.to_owned())
                .issuer(tenant.to_owned())
                .detail("op", "vault_wipe");
            match &result {
                Ok(n) => e.detail("deleted", *n),
                Err(err) => e.reason(err.reason()),
            }
        });
        result
    }

    /// A counter that changes whenever the user's credentials are wiped (agent
    /// caches compare it).
    pub fn user_epoch(&self, tenant: &str, user: &str) -> u64 {
        self.inner
            .epochs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(tenant.to_owned(), user.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Re-encryption job after a master-key rotation: re-wraps the data key of
    /// every record not under the active master key. Returns how many moved.
    pub fn reencrypt_all(&self) -> Result<usize, VaultError> {
        let active = self.inner.keys.active()?;
        let mut moved = 0;
        for record in self.inner.store.list()? {
            if record.master_key_id == active.id() {
                continue;
            }
            let result = self
                .inner
                .keys
                .get(&record.master_key_id)
                .and_then(|old| envelope::rewrap(&old, &active, &record))
                .and_then(|next| {
                    self.inner.store.put(&next, record.version)?;
                    Ok(next)
                });
            match result {
                Ok(next) => {
                    self.cache_put(next);
                    moved += 1;
                }
                // Rewritten meanwhile: the new write already uses the active key.
                Err(VaultError::Conflict) => {}
                Err(e) => {
                    self.audit(AuditAction::KeyRotated, Outcome::Error, |ev| {
                        ev.user(record.key.user.clone())
                            .reason(e.reason())
                            .detail("connection", record.key.connection.clone())
                    });
                    return Err(e);
                }
            }
        }
        self.audit(AuditAction::KeyRotated, Outcome::Success, |e| {
            e.detail("op", "vault_reencrypt")
                .detail("master_key_id", active.id().to_owned())
                .detail("records", moved)
        });
        Ok(moved)
    }

    /// Every secret value currently in the vault (for the output filter).
    ///
    /// # Security
    /// Plaintext: hand it to the filter only.
    pub fn secret_values(&self) -> Result<Vec<SecretString>, VaultError> {
        let mut out = Vec::new();
        for record in self.inner.store.list()? {
            let c = envelope::open(&*self.inner.keys, &record)?;
            out.extend(c.secret_values().into_iter().map(SecretString::new));
        }
        Ok(out)
    }

    /// Marks a connection as needing a reconnect (e.g. the provider told us the
    /// grant was revoked).
    pub fn mark_consent_required(&self, key: &CredentialKey) -> Result<(), VaultError> {
        if let Some(record) = self.load_fresh(key)? {
            let _ = self.mark_consent(&record.record, &[], "marked", "vault");
        }
        Ok(())
    }

    /// Follows an authority's events: `UserLoggedOut` wipes the user's
    /// credentials in `tenant` (universal logout).
    pub fn follow_logout(
        &self,
        source: &dyn agent_auth::events::EventSource,
        tenant: impl Into<String>,
    ) -> tokio::task::JoinHandle<()> {
        use agent_auth::events::AuthorityEvent;
        use tokio::sync::broadcast::error::RecvError;
        let mut events = source.subscribe();
        let vault = self.clone();
        let tenant = tenant.into();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(AuthorityEvent::UserLoggedOut { user_id, .. }) => {
                        let _ = vault.wipe_user(&tenant, &user_id);
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        vault.audit(AuditAction::Logout, Outcome::Error, |e| {
                            e.reason("events_lagged").detail("missed", n)
                        });
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
