//! The kill switch (feature `server` for all but the token ledger): one call
//! logs a user, an agent, a user as served by an agent, or the whole tenant
//! out. It revokes at the authority (sessions, refresh tokens, every access
//! token), cancels the subject's open CIBA requests, emits the in-process
//! [`AuthorityEvent`](crate::AuthorityEvent)s guards follow, sends CAEP
//! `session-revoked` SETs to SSF receivers, and records the evidence in the
//! audit trail. Emergency rotation of an agent's credentials lives here too.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use reference_authority::{Authority, AuthorityConfig, UserSpec};
//! use reference_authority::kill_switch::{KillSwitch, LogoutRequest, Target};
//! use reference_authority::signals::Transmitter;
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! authority.register_user(UserSpec::new("sarah").id("user-sarah").password("correct horse battery"))?;
//! let kill = KillSwitch::new(&authority).signals(Transmitter::install(&authority));
//! let report = kill
//!     .fire(&LogoutRequest::new(Target::User("user-sarah".into()), "offboarding").requested_by("hr"))
//!     .await?;
//! assert!(report.revoked_access_tokens.is_empty());
//! # Ok(()) }
//! ```

#[cfg(feature = "server")]
mod fire;
pub(crate) mod ledger;
#[cfg(feature = "server")]
mod report;
#[cfg(feature = "server")]
mod revoke;
#[cfg(feature = "server")]
mod rotate;
#[cfg(feature = "server")]
mod target;

#[cfg(feature = "server")]
pub use report::{KillSwitchError, LogoutReport};
#[cfg(feature = "server")]
pub use rotate::{ClientSecret, CredentialHook, RotationReport};
#[cfg(feature = "server")]
pub use target::{LogoutRequest, Target};

#[cfg(feature = "server")]
use crate::Authority;
#[cfg(feature = "server")]
use std::sync::Arc;

/// The kill switch of one authority. Cheap to clone.
#[cfg(feature = "server")]
#[derive(Debug, Clone)]
pub struct KillSwitch {
    pub(crate) authority: Authority,
    pub(crate) signals: Option<crate::signals::Transmitter>,
    pub(crate) ciba: Option<crate::ciba::CibaOp>,
    pub(crate) credentials: Option<Arc<dyn CredentialHook>>,
}

#[cfg(feature = "server")]
impl KillSwitch {
    /// A kill switch revoking at `authority` (no SETs, no CIBA until attached).
    pub fn new(authority: &Authority) -> Self {
        Self {
            authority: authority.clone(),
            signals: None,
            ciba: None,
            credentials: None,
        }
    }

    /// Sends SETs through this transmitter.
    #[must_use]
    pub fn signals(mut self, transmitter: crate::signals::Transmitter) -> Self {
        self.signals = Some(transmitter);
        self
    }

    /// Cancels open CIBA requests of logged-out subjects through this OP.
    #[must_use]
    pub fn ciba(mut self, op: crate::ciba::CibaOp) -> Self {
        self.ciba = Some(op);
        self
    }

    /// Rotates the privileged credentials an agent uses (in the vault) on
    /// emergency rotation.
    #[must_use]
    pub fn credential_hook(mut self, hook: Arc<dyn CredentialHook>) -> Self {
        self.credentials = Some(hook);
        self
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }
}
