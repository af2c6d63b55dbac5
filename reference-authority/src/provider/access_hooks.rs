//! Hooks told when a user or a client loses access outside the kill switch
//! (a user's universal logout, a disabled user, a disabled client), and of
//! every event the authority emits (such as a SCIM provisioning change), so
//! that extensions such as the Shared Signals transmitter tell other systems.

use super::Authority;
use agent_auth::events::AuthorityEvent;
use std::sync::{Arc, PoisonError};

/// A loss of access the authority carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessChange {
    /// [`Authority::logout_user`]: every session and grant of the user ended.
    UserLoggedOut {
        /// The user.
        user_id: String,
    },
    /// [`Authority::disable_user`]: the user can no longer log in.
    UserDisabled {
        /// The user.
        user_id: String,
    },
    /// [`Authority::disable_client`]: the client (an agent) authenticates nowhere.
    ClientDisabled {
        /// The client.
        client_id: String,
    },
}

/// Runs after each [`AccessChange`], in process, once the change is stored.
/// It gets the authority as an argument, so it need not hold one (an
/// authority holding a hook holding the authority would never be freed).
pub trait AccessHook: Send + Sync + std::fmt::Debug {
    /// Reacts to `change` at `authority`.
    fn changed(&self, authority: &Authority, change: &AccessChange);

    /// Reacts to an event [`Authority::emit`] sends, before in-process
    /// subscribers get it. Does nothing unless overridden.
    fn emitted(&self, authority: &Authority, event: &AuthorityEvent) {
        let _ = (authority, event);
    }
}

impl Authority {
    /// Runs `hook` after every [`AccessChange`], under `name` (a second
    /// registration under the same name replaces the first).
    ///
    /// ```
    /// use reference_authority::{AccessChange, AccessHook, Authority, AuthorityConfig, ClientSpec};
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Debug, Default)]
    /// struct Log(Mutex<Vec<AccessChange>>);
    /// impl AccessHook for Log {
    ///     fn changed(&self, _: &Authority, change: &AccessChange) {
    ///         self.0.lock().unwrap().push(change.clone());
    ///     }
    /// }
    ///
    /// let authority = Authority::builder("https://idp.example")
    ///     .config(AuthorityConfig::for_tests())
    ///     .build()?;
    /// authority.register_client(ClientSpec::confidential("agent", "agent-secret-0123456789"))?;
    /// let log = Arc::new(Log::default());
    /// authority.register_access_hook("log", log.clone());
    /// authority.disable_client("agent")?;
    /// assert_eq!(
    ///     *log.0.lock().unwrap(),
    ///     [AccessChange::ClientDisabled { client_id: "agent".into() }]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_access_hook(&self, name: &'static str, hook: Arc<dyn AccessHook>) {
        self.inner
            .access_hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, hook);
    }

    /// Runs every access hook for `change`.
    pub(crate) fn access_changed(&self, change: &AccessChange) {
        for hook in self.access_hooks() {
            hook.changed(self, change);
        }
    }

    /// Runs every access hook's [`AccessHook::emitted`] for `event`.
    pub(crate) fn event_emitted(&self, event: &AuthorityEvent) {
        for hook in self.access_hooks() {
            hook.emitted(self, event);
        }
    }

    /// The hooks registered, cloned out of the lock so that a hook may
    /// register another.
    fn access_hooks(&self) -> Vec<Arc<dyn AccessHook>> {
        self.inner
            .access_hooks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}
