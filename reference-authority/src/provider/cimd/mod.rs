//! URL client ids: OAuth Client ID Metadata Documents
//! (draft-ietf-oauth-client-id-metadata-document), which the MCP
//! authorization specification prefers to dynamic registration. A client id
//! that is an https URL names a JSON document describing the client; the
//! authority fetches it ([`CimdPolicy`]: https only, public addresses only,
//! size and time limits), checks it ([`parse_client_metadata_document`]),
//! fetches the JWK Set of its `jwks_uri` under the same rules, registers the
//! client it describes (its redirect URIs are the document's only) and keeps
//! it as long as HTTP caching allows ([`freshness`]).
//!
//! Enabled with [`Authority::enable_client_id_metadata_documents`]; the
//! metadata then says `client_id_metadata_document_supported: true`.

mod address;
mod cache;
mod client_id_url;
mod document;
mod error;
mod fetch;
mod jwks;
mod policy;

pub use cache::freshness;
pub use client_id_url::{check_client_id_url, is_url_client_id};
pub use document::{ClientDocument, parse_client_metadata_document};
pub use error::CimdError;
pub use policy::CimdPolicy;

use super::{Authority, ClientSpec};
use agent_auth::audit::{AuditAction, Outcome};

/// The policy and the freshness of fetched documents.
#[derive(Debug)]
pub(crate) struct CimdState {
    policy: CimdPolicy,
    fresh: cache::Freshness<Option<UriKeys>>,
}

/// A fresh client whose keys come from its `jwks_uri`: what to register
/// again when they are refetched.
#[derive(Debug, Clone)]
struct UriKeys {
    uri: url::Url,
    spec: ClientSpec,
    refetched_at: Option<i64>,
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
        let (spec, jwks_uri) =
            parse_client_metadata_document(client_id, &fetched.body, &state.policy)?.into_parts();
        let mut fresh_for = freshness(
            fetched.cache_control.as_deref(),
            state.policy.max_cache_secs,
        );
        let uri_keys = match jwks_uri {
            None => {
                self.register_document_client(spec)?;
                None
            }
            Some(uri) => {
                let keys = jwks::fetch_keys(&uri, &state.policy).await?;
                // Fresh while both the document and its keys are.
                fresh_for = fresh_for.min(keys.fresh_for);
                self.register_document_client(spec.clone().with_jwks(keys.jwks))?;
                Some(UriKeys {
                    uri,
                    spec,
                    refetched_at: None,
                })
            }
        };
        let now = self.now();
        state.fresh.keep(
            client_id,
            now.saturating_add(fresh_for),
            now,
            state.policy.max_entries,
            uri_keys,
        );
        Ok(())
    }

    fn register_document_client(&self, spec: ClientSpec) -> Result<(), CimdError> {
        self.register_client(spec)
            .map_err(|_| CimdError::InvalidDocument("the client could not be registered"))
    }

    /// Fetches the keys of a fresh URL client again when its `assertion`
    /// names a `kid` they lack (key rotation; RFC 7523 section 3 item 9),
    /// at most once per [`KID_REFETCH_COOLDOWN_SECS`](jwks::KID_REFETCH_COOLDOWN_SECS)
    /// per client; call it after [`resolve_url_client`](Self::resolve_url_client).
    /// Whether new keys were registered. A failed fetch keeps the known keys
    /// (the assertion is then refused as usual) and is audited.
    pub async fn refresh_url_client_keys(&self, client_id: &str, assertion: &str) -> bool {
        let Some(state) = self.inner.cimd.get() else {
            return false;
        };
        let now = self.now();
        let Some((until, Some(mut keys))) = state.fresh.get(client_id, now) else {
            return false;
        };
        let Some(kid) = jwks::assertion_kid(assertion) else {
            return false;
        };
        let known = self
            .client(client_id)
            .ok()
            .flatten()
            .and_then(|c| c.jwks)
            .is_some_and(|set| jwks::has_kid(&set, &kid));
        let cooling = keys
            .refetched_at
            .is_some_and(|t| now < t.saturating_add(jwks::KID_REFETCH_COOLDOWN_SECS));
        if known || cooling {
            return false;
        }
        keys.refetched_at = Some(now);
        let result = jwks::fetch_keys(&keys.uri, &state.policy).await;
        let (until, registered) = match result {
            Ok(fetched) => {
                let registered = self
                    .register_document_client(keys.spec.clone().with_jwks(fetched.jwks))
                    .is_ok();
                (until.min(now.saturating_add(fetched.fresh_for)), registered)
            }
            Err(err) => {
                self.audit(AuditAction::AgentLifecycle, Outcome::Error, |e| {
                    e.agent(client_id.to_owned())
                        .detail("step", "client_jwks_uri")
                        .reason(err.to_string())
                });
                (until, false)
            }
        };
        state
            .fresh
            .keep(client_id, until, now, state.policy.max_entries, Some(keys));
        registered
    }
}
