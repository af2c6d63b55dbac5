//! Shadow-agent discovery: clients of the authority that act like agents
//! but have no agent record, tokens of unknown clients presented at guarded
//! resources, entitlements granted but unused, and the one call that turns
//! a discovered agent into a registered one.
//!
//! [`Discovery`] follows the unified audit stream (it is an
//! [`AuditSink`]; give it to [`AuditLog::observe`](crate::audit_log::AuditLog::observe)
//! to see the events of mcp-guard, the vault and FGA too) and reads the
//! authority's own client records.
//!
//! ```
//! use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, Outcome};
//! use reference_authority::discovery::Discovery;
//! use reference_authority::{Authority, AuthorityConfig, ClientSpec};
//!
//! let authority = Authority::builder("https://idp.example").config(AuthorityConfig::for_tests()).build()?;
//! authority.register_client(
//!     ClientSpec::confidential("sales-bot", "sales-bot-secret-012345")
//!         .grant_types(["client_credentials"]).scopes(["crm:read"]),
//! )?;
//! let discovery = Discovery::new();
//! discovery.record(&AuditEvent::new(1_750_000_000, AuditAction::AuthorizationDecision, Outcome::Success)
//!     .agent("sales-bot").target("crm://contacts/acme").detail("tool", "crm_search"));
//! let report = discovery.scan(&authority)?;
//! assert_eq!(report.discovered[0].client_id, "sales-bot");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod adopt;
mod classify;
mod evidence;
mod overprivilege;
mod report;

pub use adopt::{Adoption, AdoptionReport, DiscoveryError};
pub use overprivilege::OverPrivilege;
pub use report::{DiscoveredAgent, DiscoveryReport, UnknownClient};

use agent_auth::audit::{AuditEvent, AuditSink};
use evidence::ClientEvidence;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Discovery over the audit stream. Clones share the evidence.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    evidence: Arc<Mutex<HashMap<String, ClientEvidence>>>,
}

impl Discovery {
    /// Discovery with no evidence yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn evidence(&self) -> MutexGuard<'_, HashMap<String, ClientEvidence>> {
        self.evidence.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AuditSink for Discovery {
    fn record(&self, event: &AuditEvent) {
        evidence::fold(&mut self.evidence(), event);
    }
}
