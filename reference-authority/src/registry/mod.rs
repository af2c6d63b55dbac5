//! The agent registry: agents as first-class identities of the authority,
//! linked to their OAuth clients, with owners, human sponsors, a lifecycle
//! (STAGED -> ACTIVE <-> INACTIVE -> DELETED), entitlements and a derived
//! dependency map.
//!
//! One [`Authority`] carries one registry: [`Authority::registry`].
//!
//! ```
//! use reference_authority::directory::PersonPatch;
//! use reference_authority::registry::{Actor, AgentSpec, AgentStatus, Principal};
//! use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec};
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! let admin = Actor::user("admin");
//! authority.register_user(UserSpec::new("sarah").id("sarah"))?;
//! authority.directory().create_person("sarah", PersonPatch::new().display_name("Sarah"), &admin)?;
//! authority.register_client(ClientSpec::confidential("sales-agent", "sales-agent-secret-0123"))?;
//!
//! let registry = authority.registry();
//! registry.register(
//!     AgentSpec::new("sales-agent-prod-001", "Sales agent")
//!         .owner(Principal::Person("sarah".into()))
//!         .sponsor("sarah")
//!         .client("sales-agent"),
//!     &admin,
//! )?;
//! let agent = registry.activate("sales-agent-prod-001", &admin)?;
//! assert_eq!(agent.status, AgentStatus::Active);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accountability;
mod attribute_index;
mod commit;
mod dependency;
mod entitlement;
mod error;
mod events;
mod grants;
mod index;
mod lifecycle;
mod lookup;
mod model;
mod profile;
mod reach;
mod register;
mod spec;
mod state;
mod store;
mod update;

pub use dependency::DependencyMap;
pub use entitlement::{Entitlement, EntitlementGrant, GrantOrigin, NewGrant, Resource};
pub use error::RegistryError;
pub use events::{AgentChange, RegistryEvent};
pub use lookup::{AgentLookup, fold};
pub use model::{
    Actor, AgentRecord, AgentSource, AgentStatus, AgentType, Principal, Protocol, RecordMeta,
    Tombstone,
};
pub use profile::{AgentProfile, ApplicationLink};
pub use spec::{AgentPatch, AgentSpec};
pub(crate) use state::RegistryState;

use crate::Authority;
use crate::notify::Notifier;
use std::sync::Arc;
use tokio::sync::broadcast;

/// The registry of one authority: a cheap view, made by [`Authority::registry`].
#[derive(Debug, Clone, Copy)]
pub struct Registry<'a> {
    authority: &'a Authority,
}

impl Authority {
    /// The agent registry of this authority.
    pub fn registry(&self) -> Registry<'_> {
        Registry { authority: self }
    }
}

impl<'a> Registry<'a> {
    pub(crate) fn state(&self) -> &'a RegistryState {
        &self.authority.inner.registry
    }

    /// An agent by id (tombstones included).
    pub fn agent(&self, id: &str) -> Result<Option<AgentRecord>, RegistryError> {
        store::load(self.authority, id)
    }

    /// Every agent (tombstones included), in id order.
    pub fn agents(&self) -> Result<Vec<AgentRecord>, RegistryError> {
        let mut all = store::all(self.authority)?;
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    /// The agent an OAuth client is linked to.
    pub fn agent_of_client(&self, client_id: &str) -> Result<Option<AgentRecord>, RegistryError> {
        match self
            .state()
            .read(self.authority, |i| i.by_client.get(client_id).cloned())?
        {
            Some(id) => self.agent(&id),
            None => Ok(None),
        }
    }

    /// The ids of the (not deleted) agents `user_id` sponsors.
    pub fn sponsored_by(&self, user_id: &str) -> Result<Vec<String>, RegistryError> {
        self.state().read(self.authority, |i| {
            i.by_sponsor
                .get(user_id)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// The ids of the (not deleted) agents `owner` owns directly.
    pub fn owned_by(&self, owner: &Principal) -> Result<Vec<String>, RegistryError> {
        self.state().read(self.authority, |i| {
            i.by_owner
                .get(owner)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// The ids of the agents whose parent is `agent_id`.
    pub fn children(&self, agent_id: &str) -> Result<Vec<String>, RegistryError> {
        self.state().read(self.authority, |i| {
            i.children
                .get(agent_id)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Follows every change to agents, people and groups made after this call
    /// (a slow receiver may lag; see [`broadcast::Receiver`]).
    pub fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.state().subscribe()
    }

    /// Where notifications to owners go (none by default: they are then
    /// only audited).
    pub fn set_notifier(&self, notifier: Arc<dyn Notifier>) {
        self.state().set_notifier(notifier);
    }

    /// The authority this registry belongs to.
    pub fn authority(&self) -> &'a Authority {
        self.authority
    }
}
