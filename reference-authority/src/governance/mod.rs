//! Governance of registered agents: role templates, just-in-time elevation,
//! access reviews and the deprovisioning cascade, over the agent registry
//! and the authority's own revocation, with every decision audited (the
//! target agent, the `actor` detail, the reason).
//!
//! - `templates`: named bundles of entitlements, linked (not copied) to agents;
//! - [`jit`]: time-boxed elevation approved by owners, CIBA or N of M;
//! - [`reviews`]: scheduled certification campaigns;
//! - [`cascade`]: offboarding with a tombstone of evidence;
//! - `agents`: what governance reads and writes in the agent registry;
//! - `audit`: the governance audit events.
//!
//! See `docs/governance.md` in the workspace for the guide.

pub(crate) mod agents;
mod audit;
pub mod cascade;
pub mod jit;
pub mod reviews;
pub mod templates;

use crate::Authority;
use crate::notify::Notifier;
use fga_core::FgaBackend;
use jit::{ApprovalChannel, JitPolicy};
use std::sync::Arc;
use token_vault_client::Vault;

/// The governance of one authority's agents. Cheap to clone.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use reference_authority::governance::Governance;
/// use reference_authority::{Authority, AuthorityConfig};
///
/// let authority = Authority::builder("https://idp.example")
///     .config(AuthorityConfig::for_tests())
///     .build()?;
/// let governance = Governance::builder(&authority).build();
/// # let _ = governance; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Governance {
    inner: Arc<Inner>,
}

struct Inner {
    authority: Authority,
    notifier: Option<Arc<dyn Notifier>>,
    fga: Option<Arc<dyn FgaBackend>>,
    vault: Option<(Vault, String)>,
    channel: Option<Arc<dyn ApprovalChannel>>,
    jit: JitPolicy,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governance")
            .field("issuer", &self.authority.issuer())
            .field("notifier", &self.notifier.is_some())
            .field("fga", &self.fga.is_some())
            .field("vault", &self.vault.as_ref().map(|(_, tenant)| tenant))
            .field("channel", &self.channel)
            .field("jit", &self.jit)
            .finish_non_exhaustive()
    }
}

/// Configures [`Governance`].
#[derive(Debug)]
pub struct GovernanceBuilder {
    inner: Inner,
}

impl Governance {
    /// Governance of the agents registered at `authority`; no FGA backend,
    /// vault or approval channel, notices through the registry's notifier.
    pub fn builder(authority: &Authority) -> GovernanceBuilder {
        GovernanceBuilder {
            inner: Inner {
                authority: authority.clone(),
                notifier: None,
                fga: None,
                vault: None,
                channel: None,
                jit: JitPolicy::default(),
            },
        }
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    /// The notifier given to the builder, or else the registry's.
    pub(crate) fn notifier(&self) -> Option<Arc<dyn Notifier>> {
        self.inner
            .notifier
            .clone()
            .or_else(|| self.inner.authority.registry().state().notifier())
    }

    pub(crate) fn fga(&self) -> Option<&Arc<dyn FgaBackend>> {
        self.inner.fga.as_ref()
    }

    pub(crate) fn vault(&self) -> Option<(&Vault, &str)> {
        self.inner.vault.as_ref().map(|(v, t)| (v, t.as_str()))
    }

    pub(crate) fn channel(&self) -> Option<&Arc<dyn ApprovalChannel>> {
        self.inner.channel.as_ref()
    }

    pub(crate) fn jit_policy(&self) -> &JitPolicy {
        &self.inner.jit
    }
}

impl GovernanceBuilder {
    /// Where review notices and reminders go (default: the registry's notifier).
    #[must_use]
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.inner.notifier = Some(notifier);
        self
    }

    /// The relationship store whose tuples offboarding removes.
    #[must_use]
    pub fn fga(mut self, backend: Arc<dyn FgaBackend>) -> Self {
        self.inner.fga = Some(backend);
        self
    }

    /// The vault whose entries offboarding wipes, and the tenant they are
    /// stored under (usually the issuer).
    #[must_use]
    pub fn vault(mut self, vault: Vault, tenant: impl Into<String>) -> Self {
        self.inner.vault = Some((vault, tenant.into()));
        self
    }

    /// How named approvers are asked ([`jit::CibaChannel`] for the CIBA OP).
    #[must_use]
    pub fn approval_channel(mut self, channel: Arc<dyn ApprovalChannel>) -> Self {
        self.inner.channel = Some(channel);
        self
    }

    /// Duration caps and the decision window of JIT elevation.
    #[must_use]
    pub fn jit_policy(mut self, policy: JitPolicy) -> Self {
        self.inner.jit = policy;
        self
    }

    /// The governance.
    pub fn build(self) -> Governance {
        Governance {
            inner: Arc::new(self.inner),
        }
    }
}
