//! Enforcing per-agent connections: a request outside the agent's list is
//! refused and audited; a token handed out carries no more than the asked
//! and allowed scopes, narrowed by the provider where it can (a refresh with
//! a narrower `scope`, RFC 6749 section 6), else refused on a strict
//! connection.

use super::agents::AllowedConnection;
use super::{Accessor, Vault};
use crate::credential::{Credential, CredentialKey, IssuedCredential, TokenSet};
use crate::envelope;
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::Token;
use std::sync::Arc;

/// Whether every scope of `have` is in `allowed`.
fn within(have: &[String], allowed: &[String]) -> bool {
    have.iter().all(|s| allowed.contains(s))
}

/// The scopes of an issued credential (none for unscoped kinds).
pub(super) fn issued_scopes(c: &IssuedCredential) -> &[String] {
    match c {
        IssuedCredential::AccessToken { scopes, .. } => scopes,
        _ => &[],
    }
}

impl Vault {
    /// The agent's rule for `connection`, or `None` when the vault has no
    /// per-agent configuration. Refuses (and audits) a connection outside the
    /// agent's list and scopes beyond what it may use.
    pub(super) fn agent_rule(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<Option<Arc<AllowedConnection>>, VaultError> {
        let Some(agents) = self.inner.agents.as_ref() else {
            return Ok(None);
        };
        let refused = match agents.allowed(accessor.tenant(), accessor.agent(), connection) {
            None => VaultError::ConnectionNotAllowed(connection.to_owned()),
            Some(rule) => {
                let beyond: Vec<String> = scopes
                    .iter()
                    .filter(|s| !rule.scopes.iter().any(|a| a == *s))
                    .map(|s| (*s).to_owned())
                    .collect();
                if beyond.is_empty() {
                    return Ok(Some(rule));
                }
                VaultError::ScopeNotAllowed {
                    connection: connection.to_owned(),
                    scopes: beyond,
                }
            }
        };
        self.audit_access(
            "read",
            &accessor.key(connection),
            Some(accessor.agent()),
            Err(&refused),
        );
        Err(refused)
    }

    /// Whether `credential` carries scopes beyond `rule`.
    pub(super) fn broader(credential: &IssuedCredential, rule: &AllowedConnection) -> bool {
        !within(issued_scopes(credential), &rule.scopes)
    }

    /// `credential` is broader than the agent may use: a down-scoped token
    /// from the provider, else a refusal on a strict connection, else the
    /// stored token (audited as broader).
    pub(super) async fn narrow(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
        rule: &AllowedConnection,
        credential: IssuedCredential,
    ) -> Result<IssuedCredential, VaultError> {
        let wanted: Vec<String> = if scopes.is_empty() {
            rule.scopes.clone()
        } else {
            scopes.iter().map(|s| (*s).to_owned()).collect()
        };
        let key = accessor.key(connection);
        match self.downscope(&key, &wanted, accessor.agent()).await {
            Some(result) => result,
            None if rule.strict => {
                let e = VaultError::BroaderThanAllowed(connection.to_owned());
                self.audit_access("read", &key, Some(accessor.agent()), Err(&e));
                Err(e)
            }
            None => {
                self.audit_event(AuditAction::VaultAccess, Outcome::Success, |e| {
                    e.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(accessor.agent().to_owned())
                        .reason("broader_than_allowed")
                        .detail("connection", connection.to_owned())
                });
                Ok(credential)
            }
        }
    }

    /// A refresh of `key` asking for `wanted` only; `None` when the
    /// connection cannot down-scope (no refresh token, or a refresher without
    /// narrowed refresh). The stored grant keeps its scopes (RFC 6749
    /// section 6: a new refresh token has the scope of the old one); a
    /// rotated refresh token is stored before the narrow token is handed out.
    async fn downscope(
        &self,
        key: &CredentialKey,
        wanted: &[String],
        agent: &str,
    ) -> Option<Result<IssuedCredential, VaultError>> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        let record = match self.load_fresh(key) {
            Ok(Some(record)) => record,
            Ok(None) => return Some(Err(VaultError::NotFound(key.connection.clone()))),
            Err(e) => return Some(Err(e)),
        };
        let set = match envelope::open(&*self.inner.keys, &record) {
            Ok(Credential::OAuth(set)) => set,
            Ok(_) => return None,
            Err(e) => return Some(Err(e)),
        };
        let refresh_token = set.refresh_token.clone()?;
        let refresher = self
            .connection(&key.connection, |c| c.refresher.clone())
            .flatten()?;
        let fresh = match refresher.refresh_narrowed(&refresh_token, wanted).await? {
            Ok(fresh) => fresh,
            Err(super::RefreshError::ConsentGone(_)) => {
                let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
                return Some(Err(self.mark_consent(
                    &record.record,
                    &wanted,
                    "invalid_grant",
                    agent,
                )));
            }
            Err(other) => return Some(Err(VaultError::RefreshFailed(other.to_string()))),
        };
        // RFC 6749 section 5.1: no `scope` in the answer means the one asked.
        let granted = fresh.scopes.clone().unwrap_or_else(|| wanted.to_vec());
        if !within(&granted, wanted) {
            let e = VaultError::BroaderThanAllowed(key.connection.clone());
            self.audit_access("read", key, Some(agent), Err(&e));
            return Some(Err(e));
        }
        if let Some(rotated) = fresh.refresh_token {
            let kept = Credential::OAuth(TokenSet {
                refresh_token: Some(rotated),
                ..set.clone()
            });
            let stored = self.inner.keys.active().and_then(|active| {
                envelope::seal(&active, key, record.version + 1, self.now(), &kept)
            });
            match stored.and_then(|sealed| {
                self.inner.store.put(&sealed, record.version)?;
                Ok(sealed)
            }) {
                Ok(sealed) => {
                    self.cache_sealed(sealed);
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let now = self.now();
        self.audit_event(AuditAction::TokenRefreshed, Outcome::Success, |ev| {
            ev.user(key.user.clone())
                .issuer(key.tenant.clone())
                .agent(agent.to_owned())
                .detail("connection", key.connection.clone())
                .detail("downscoped", true)
                .detail("scopes", granted.join(" "))
        });
        Some(Ok(IssuedCredential::AccessToken {
            token: Token::new(fresh.access_token.expose_secret()),
            token_type: fresh.token_type.unwrap_or_else(|| set.token_type.clone()),
            expires_at: fresh.expires_in.map(|s| now + s),
            scopes: granted.into(),
        }))
    }
}
