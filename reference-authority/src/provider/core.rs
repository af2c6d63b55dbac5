//! The authority value: one issuer with its keys, store, clock, audit sink,
//! grant handlers and event channel.

use super::grants::{self, GrantHandler};
use super::store::{MemoryStore, Store, Table, Tables};
use super::{AuthorityConfig, AuthorityError, AuthorityEvent, RegistrationPolicy};
use agent_auth::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use agent_auth::clock::{SharedClock, system_clock};
use agent_auth::jose::{Algorithm, KeySet, SigningKey};
use agent_auth::validate::StaticKeys;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use tokio::sync::broadcast;

/// A reference OpenID provider and OAuth 2.0 authorization server: one issuer.
///
/// Cheap to clone (shared state). Several authorities, each with its own issuer,
/// keys and store, can run in one process.
#[derive(Clone, Debug)]
pub struct Authority {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) issuer: String,
    pub(crate) config: AuthorityConfig,
    pub(crate) clock: SharedClock,
    pub(crate) keys: Arc<KeySet>,
    pub(crate) tables: Tables,
    pub(crate) audit: SharedSink,
    pub(crate) events: broadcast::Sender<AuthorityEvent>,
    pub(crate) grants: RwLock<BTreeMap<String, Arc<dyn GrantHandler>>>,
    pub(crate) client_keys: RwLock<HashMap<String, Arc<StaticKeys>>>,
    pub(crate) connections: RwLock<BTreeMap<String, Arc<dyn super::federation::Connection>>>,
    pub(crate) metadata_extra: RwLock<serde_json::Map<String, serde_json::Value>>,
    pub(crate) registration: Option<RegistrationPolicy>,
    pub(crate) purges: RwLock<BTreeMap<&'static str, super::maintenance::Purge>>,
    pub(crate) access_hooks:
        RwLock<BTreeMap<&'static str, Arc<dyn super::access_hooks::AccessHook>>>,
    /// The hash verified against when a login names no password hash, made
    /// with the configured costs on first use.
    pub(crate) dummy_hash: OnceLock<String>,
    /// The agent registry's indexes, write lock, events and notifier.
    pub(crate) registry: crate::registry::RegistryState,
    /// The token endpoint's DPoP proof verifier.
    pub(crate) dpop: super::dpop::DpopState,
    /// URL client ids (client ID metadata documents), once enabled.
    #[cfg(feature = "http")]
    pub(crate) cimd: OnceLock<super::cimd::CimdState>,
}

/// Configures an [`Authority`].
#[derive(Debug)]
pub struct AuthorityBuilder {
    issuer: String,
    config: AuthorityConfig,
    clock: SharedClock,
    store: Option<Arc<dyn Store>>,
    audit: SharedSink,
    signing_key: Option<SigningKey>,
    algorithm: Algorithm,
    registration: Option<RegistrationPolicy>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    alg: String,
    kid: String,
    pem: String,
}

impl AuthorityBuilder {
    /// Lifetimes and costs.
    #[must_use]
    pub fn config(mut self, config: AuthorityConfig) -> Self {
        self.config = config;
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The storage backend (default: a fresh [`MemoryStore`]).
    #[must_use]
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Where audit events go (default: nowhere).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    /// The signing key to start with. Without one, a stored key is reused, or a
    /// fresh key of [`algorithm`](Self::algorithm) is generated and stored.
    #[must_use]
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The algorithm of generated signing keys (default ES256).
    #[must_use]
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = alg;
        self
    }

    /// Enables dynamic client registration (RFC 7591) with this policy
    /// (default: no registration endpoint).
    #[must_use]
    pub fn registration(mut self, policy: RegistrationPolicy) -> Self {
        self.registration = Some(policy);
        self
    }

    /// The authority.
    pub fn build(self) -> Result<Authority, AuthorityError> {
        let issuer = self.issuer.trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&issuer)
            .map_err(|_| AuthorityError::InvalidConfig("the issuer is not a URL".into()))?;
        // RFC 8414 section 2: an https URL with no query or fragment (http allowed for loopback tests).
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(AuthorityError::InvalidConfig(
                "the issuer has a query or fragment".into(),
            ));
        }
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new()) as Arc<dyn Store>);
        let tables = Tables::new(store);
        let key = match self.signing_key {
            Some(key) => {
                save_key(&tables, &key)?;
                key
            }
            None => match tables.get::<StoredKey>(Table::Keys, "active")? {
                Some(stored) => load_key(&stored)?,
                None => {
                    let key = SigningKey::generate(self.algorithm)?;
                    save_key(&tables, &key)?;
                    key
                }
            },
        };
        let keys = Arc::new(KeySet::new(key, Arc::clone(&self.clock)));
        let (events, _) = broadcast::channel(1024);
        let authority = Authority {
            inner: Arc::new(Inner {
                dpop: super::dpop::DpopState::new(Arc::clone(&self.clock)),
                issuer,
                config: self.config,
                clock: self.clock,
                keys,
                tables,
                audit: self.audit,
                events,
                grants: RwLock::new(BTreeMap::new()),
                client_keys: RwLock::new(HashMap::new()),
                connections: RwLock::new(BTreeMap::new()),
                metadata_extra: RwLock::new(serde_json::Map::new()),
                registration: self.registration,
                purges: RwLock::new(BTreeMap::new()),
                access_hooks: RwLock::new(BTreeMap::new()),
                dummy_hash: OnceLock::new(),
                registry: crate::registry::RegistryState::new(),
                #[cfg(feature = "http")]
                cimd: OnceLock::new(),
            }),
        };
        grants::register_builtin(&authority);
        crate::kill_switch::ledger::install(&authority);
        authority.install_dpop_metadata();
        Ok(authority)
    }
}

fn save_key(tables: &Tables, key: &SigningKey) -> Result<(), AuthorityError> {
    let pem = key.to_pkcs8_pem().ok_or(AuthorityError::InvalidConfig(
        "signing key cannot be exported".into(),
    ))?;
    tables.put(
        Table::Keys,
        "active",
        &StoredKey {
            alg: key.algorithm().name().to_owned(),
            kid: key.kid().to_owned(),
            pem: pem.expose_secret().to_owned(),
        },
    )?;
    Ok(())
}

fn load_key(stored: &StoredKey) -> Result<SigningKey, AuthorityError> {
    let alg = Algorithm::from_name(&stored.alg)
        .ok_or(AuthorityError::InvalidConfig("stored key algorithm".into()))?;
    Ok(SigningKey::from_pem(alg, &stored.pem)?.with_kid(stored.kid.clone()))
}

impl Authority {
    /// Starts configuring an authority for `issuer` (an https URL, or http on loopback for tests).
    pub fn builder(issuer: impl Into<String>) -> AuthorityBuilder {
        AuthorityBuilder {
            issuer: issuer.into(),
            config: AuthorityConfig::default(),
            clock: system_clock(),
            store: None,
            audit: Arc::new(NoopSink),
            signing_key: None,
            algorithm: Algorithm::Es256,
            registration: None,
        }
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The settings.
    pub fn config(&self) -> &AuthorityConfig {
        &self.inner.config
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The signing keys (also a [`KeySource`](agent_auth::validate::KeySource) for validators).
    pub fn keys(&self) -> &Arc<KeySet> {
        &self.inner.keys
    }

    /// The storage backend, for extensions that keep their own tables
    /// ([`Table::Extension`]).
    pub fn store(&self) -> &Arc<dyn Store> {
        self.inner.tables.raw()
    }

    /// The absolute URL of an endpoint path (see [`paths`](super::paths)).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.inner.issuer, path)
    }

    /// Subscribes to revocation, logout and key events. Each receiver sees every
    /// event sent after it subscribed (a slow receiver may lag; see
    /// [`broadcast::Receiver`]).
    pub fn subscribe(&self) -> broadcast::Receiver<AuthorityEvent> {
        self.inner.events.subscribe()
    }

    /// Sends an event to the access hooks, then to the subscribers (none
    /// listening is fine).
    pub fn emit(&self, event: AuthorityEvent) {
        self.event_emitted(&event);
        let _ = self.inner.events.send(event);
    }

    /// Records an audit event, stamped with the clock and the issuer.
    pub fn audit(
        &self,
        action: AuditAction,
        outcome: Outcome,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
        let event = f(AuditEvent::new(self.now(), action, outcome).issuer(self.issuer()));
        tracing::info!(
            action = ?event.action,
            outcome = ?event.outcome,
            agent = event.agent.as_deref(),
            user = event.user.as_deref(),
            reason = event.reason.as_deref(),
            "authority decision"
        );
        self.inner.audit.record(&event);
    }

    /// The sink the authority records its audit events in.
    pub(crate) fn audit_sink(&self) -> SharedSink {
        self.inner.audit.clone()
    }

    /// Makes `next` the signing key; the old one keeps verifying for the configured overlap.
    pub fn rotate_keys(&self, next: SigningKey) -> Result<(), AuthorityError> {
        save_key(&self.inner.tables, &next)?;
        let kid = next.kid().to_owned();
        self.inner.keys.rotate(next, self.inner.config.key_overlap);
        self.audit(AuditAction::KeyRotated, Outcome::Success, |e| {
            e.detail("kid", kid.clone())
        });
        self.emit(AuthorityEvent::KeysRotated {
            issuer: self.issuer().to_owned(),
            kid,
        });
        Ok(())
    }

    /// Registers a grant type handler (replacing any handler of the same type),
    /// as oidc-provider's `registerGrantType`. The token endpoint dispatches on
    /// `grant_type` to it after authenticating the client and checking that the
    /// client may use the grant.
    pub fn register_grant(&self, handler: Arc<dyn GrantHandler>) {
        let name = handler.grant_type().to_owned();
        self.inner
            .grants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, handler);
    }

    /// The grant types the token endpoint accepts.
    pub fn grant_types(&self) -> Vec<String> {
        self.inner
            .grants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    pub(crate) fn grant_handler(&self, grant_type: &str) -> Option<Arc<dyn GrantHandler>> {
        self.inner
            .grants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(grant_type)
            .cloned()
    }

    pub(crate) fn tables(&self) -> &Tables {
        &self.inner.tables
    }
}

impl agent_auth::events::EventSource for Authority {
    fn subscribe(&self) -> broadcast::Receiver<AuthorityEvent> {
        Authority::subscribe(self)
    }
}
