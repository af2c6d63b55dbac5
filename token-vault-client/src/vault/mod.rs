//! The embedded vault: sealed records in a [`VaultStore`], a ciphertext cache,
//! scoped retrieval, proactive single-flight refresh, rotation and wipe.
//!
//! [`Vault`] is a small facade; each job lives in its own file:
//!
//! - `accessor`: who asks (tenant, user, agent);
//! - `config`: connections, refresh policy, refresher trait, the builder;
//! - `records`: the record cache in front of the store, refresh due times;
//! - `due`: the rotation job's due-time index;
//! - `read`: the synchronous hot read and the async read that refreshes;
//! - `write`: storing credentials;
//! - `refresh`: single-flight refresh of OAuth tokens;
//! - `jit`: just-in-time credentials minted at request time;
//! - `consent`: consent-required errors and marking a connection;
//! - `wipe`: disconnect and the local part of universal logout;
//! - `revoke`: wiping a user or an agent, with revocation at the providers
//!   (RFC 7009, retried);
//! - `leases`: the just-in-time credentials revoked at their issuers on wipe;
//! - `signals`: the vault as a subscriber of `agent_auth::signals`;
//! - `master_keys`: re-encryption after a master-key rotation, secret values for
//!   the output filter;
//! - `audit`: the vault's audit events;
//! - `follow`: following an authority's logouts through `agent_auth::events::EventSource`.

mod accessor;
mod agents;
mod audit;
mod config;
mod consent;
mod due;
mod follow;
mod jit;
mod leases;
mod master_keys;
mod read;
mod records;
mod refresh;
mod revoke;
mod scoping;
mod signals;
mod wipe;
mod write;

pub use accessor::{Accessor, AccessorOrigin};
pub use agents::{AgentConnections, AllowedConnection, StaticAgentConnections};
pub use config::{
    ConnectionConfig, RefreshError, RefreshPolicy, RefreshedTokens, RetrySleeper, RevocationRetry,
    RevokeError, TokenRefresher, TokenRevoker, TokioRetrySleeper, VaultBuilder,
};
pub use leases::LeaseRevocation;
pub use revoke::{RevocationReport, RevokedToken, TokenRevocation};
pub use signals::VaultSignals;
pub(crate) use write::validate_scopes;

use crate::cache::RecordCache;
use crate::credential::{CredentialKey, IssuedCredential};
use crate::keys::KeyProvider;
use crate::rotation::RotationSchedule;
use crate::store::VaultStore;
use agent_auth::audit::SharedSink;
use agent_auth::clock::SharedClock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

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
    agents: Option<Arc<dyn agents::AgentConnections>>,
    retry: RevocationRetry,
    due: Mutex<due::DueIndex>,
}

/// Result of the synchronous hot path.
#[derive(Debug)]
pub enum Lookup {
    /// The credential, fresh enough.
    Ready(IssuedCredential),
    /// The access token is due for refresh, or broader than the agent may
    /// use and to be narrowed (call [`Vault::get`]).
    Stale,
}

impl Vault {
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

    /// The configuration of `connection`, read through `f`.
    fn connection<T>(&self, connection: &str, f: impl FnOnce(&ConnectionConfig) -> T) -> Option<T> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(connection)
            .map(f)
    }

    /// Every connection with a rotation schedule, and its schedule.
    pub(crate) fn rotation_schedules(&self) -> Vec<(String, RotationSchedule)> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter_map(|c| Some((c.name.clone(), c.rotation.clone()?)))
            .collect()
    }

    /// The rotation schedule of `connection`, if it has one.
    pub(crate) fn rotation_schedule(&self, connection: &str) -> Option<RotationSchedule> {
        self.connection(connection, |c| c.rotation.clone())
            .flatten()
    }
}
