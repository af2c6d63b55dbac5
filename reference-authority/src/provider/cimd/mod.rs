//! URL client ids: OAuth Client ID Metadata Documents
//! (draft-ietf-oauth-client-id-metadata-document), which the MCP
//! authorization specification prefers to dynamic registration. A client id
//! that is an https URL names a JSON document describing the client; the
//! authority fetches it ([`CimdPolicy`]: https only, public addresses only,
//! size and time limits), checks it ([`parse_client_metadata_document`]),
//! registers the client it describes (its redirect URIs are the document's
//! only) and keeps it as long as HTTP caching allows ([`freshness`]).
//!
//! Enabled with [`Authority::enable_client_id_metadata_documents`]; the
//! metadata then says `client_id_metadata_document_supported: true`.

mod address;
mod cache;
mod client_id_url;
mod document;
mod error;
mod fetch;
mod policy;

pub use cache::freshness;
pub use client_id_url::{check_client_id_url, is_url_client_id};
pub use document::parse_client_metadata_document;
pub use error::CimdError;
pub use policy::CimdPolicy;

use super::Authority;
use agent_auth::audit::{AuditAction, Outcome};

/// The policy and the freshness of fetched documents.
#[derive(Debug)]
pub(crate) struct CimdState {
    policy: CimdPolicy,
    fresh: cache::Freshness,
}

impl Authority {
    /// Accepts URL client ids under `policy` and advertises
    /// `client_id_metadata_document_supported`.
    pub fn enable_client_id_metadata_documents(&self, policy: CimdPolicy) {
        let _ = self.inner.cimd.set(CimdState {
            policy,
            fresh: cache::Freshness::default(),
        });
        let mut members = serde_json::Map::new();
        members.insert(
            "client_id_metadata_document_supported".into(),
            serde_json::Value::Bool(true),
        );
        self.extend_metadata(members);
    }

    /// Makes sure the client behind `client_id` is registered, when it is a
    /// URL client id and these are enabled: a fresh document is reused, a
    /// stale or unknown one fetched, checked and registered. Any other
    /// client id is left alone (`Ok(false)`). A refused document leaves no
    /// client behind, and is audited.
    pub async fn resolve_url_client(&self, client_id: &str) -> Result<bool, CimdError> {
        let Some(state) = self.inner.cimd.get() else {
            return Ok(false);
        };
        if !is_url_client_id(client_id) {
            return Ok(false);
        }
        if state.fresh.is_fresh(client_id, self.now()) {
            return Ok(true);
        }
        let result = self.fetch_url_client(state, client_id).await;
        match &result {
            Ok(()) => self.audit(AuditAction::AgentLifecycle, Outcome::Success, |e| {
                e.agent(client_id.to_owned())
                    .detail("step", "client_metadata_document")
            }),
            Err(err) => {
                state.fresh.forget(client_id);
                let _ = self
                    .tables()
                    .delete(super::store::Table::Clients, client_id);
                self.forget_client_keys(client_id);
                self.audit(AuditAction::AgentLifecycle, Outcome::Denied, |e| {
                    e.agent(client_id.to_owned())
                        .detail("step", "client_metadata_document")
                        .reason(err.to_string())
                });
            }
        }
        result.map(|()| true)
    }

    async fn fetch_url_client(&self, state: &CimdState, client_id: &str) -> Result<(), CimdError> {
        let url = check_client_id_url(client_id, &state.policy)?;
        let fetched = fetch::fetch(&url, &state.policy).await?;
        let spec = parse_client_metadata_document(client_id, &fetched.body, &state.policy)?;
        self.register_client(spec)
            .map_err(|_| CimdError::InvalidDocument("the client could not be registered"))?;
        let now = self.now();
        let fresh_for = freshness(
            fetched.cache_control.as_deref(),
            state.policy.max_cache_secs,
        );
        state.fresh.keep(
            client_id,
            now.saturating_add(fresh_for),
            now,
            state.policy.max_entries,
        );
        Ok(())
    }
}
