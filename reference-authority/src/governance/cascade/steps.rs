//! The steps of an offboarding, one function each. Every step is safe to run
//! again: what is already gone is simply not found.

use super::evidence::{Step, StepOutcome, Tombstone};
use crate::governance::{Governance, agents};
use crate::registry::{Actor, AgentStatus};
use token_vault_client::{Accessor, CredentialKey};

/// What the evidence says of a vault entry wiped here: the embedded vault
/// deletes its copy, but does not call the provider's RFC 7009 revocation
/// endpoint, so the provider's grant lives on until it expires or is
/// revoked there.
pub const NOT_REVOKED_AT_PROVIDER: &str = "not revoked at provider";

fn failed(error: impl std::fmt::Display) -> StepOutcome {
    StepOutcome::Failed {
        error: error.to_string(),
    }
}

impl Governance {
    pub(super) async fn run_step(
        &self,
        step: Step,
        t: &Tombstone,
        actor: &Actor,
        reason: &str,
    ) -> StepOutcome {
        match step {
            Step::Suspend => self.suspend(t, actor, reason),
            Step::Tokens => self.revoke_tokens(t),
            Step::JitGrants => match self.revoke_elevations_of(&t.agent, actor, reason) {
                Ok(ids) => StepOutcome::done(ids.into_iter().map(|i| format!("jit {i}")).collect()),
                Err(e) => failed(e),
            },
            Step::FgaTuples => self.remove_tuples(t).await,
            Step::Entitlements => self.revoke_entitlements(t, actor),
            Step::VaultEntries => self.wipe_vault(t),
            Step::CibaRequests => self.cancel_ciba(t),
            Step::Retire => self.retire(t, actor, reason),
        }
    }

    fn suspend(&self, t: &Tombstone, actor: &Actor, reason: &str) -> StepOutcome {
        let registry = self.authority().registry();
        match registry.agent(&t.agent) {
            Ok(Some(a)) if a.status == AgentStatus::Active => {
                match registry.suspend(&t.agent, Some(reason), actor) {
                    Ok(_) => StepOutcome::done(vec![format!("agent {} suspended", t.agent)]),
                    Err(e) => failed(e),
                }
            }
            Ok(_) => StepOutcome::done(Vec::new()),
            Err(e) => failed(e),
        }
    }

    fn revoke_tokens(&self, t: &Tombstone) -> StepOutcome {
        let mut removed = Vec::new();
        for client in &t.clients {
            let revoked = self
                .authority()
                .revoke_families_where(|f| f.facts.client_id == *client, "offboarded");
            match revoked {
                Ok(0) => {}
                Ok(n) => removed.push(format!("{n} grants of client {client}")),
                Err(e) => return failed(format!("client {client}: {}", e.description())),
            }
        }
        StepOutcome::done(removed)
    }

    async fn remove_tuples(&self, t: &Tombstone) -> StepOutcome {
        let Some(fga) = self.fga() else {
            return StepOutcome::NotConfigured;
        };
        let mut doomed: Vec<fga_core::TupleKey> = t
            .entitlements
            .iter()
            .filter_map(|e| agents::fga_tuple(&t.agent, e))
            .collect();
        // Tuples naming the agent directly, whatever granted them.
        let filter = fga_core::ReadFilter {
            user: Some(agents::fga_subject(&t.agent)),
            ..fga_core::ReadFilter::default()
        };
        match fga.read(filter).await {
            Ok(found) => doomed.extend(found),
            Err(e) => return failed(format!("reading tuples: {e}")),
        }
        let key = |k: &fga_core::TupleKey| (k.object.clone(), k.relation.clone(), k.user.clone());
        doomed.sort_by_key(key);
        doomed.dedup_by_key(|k| key(k));
        let mut removed = Vec::new();
        for tuple in doomed {
            let line = format!("{}#{}@{}", tuple.object, tuple.relation, tuple.user);
            // Only tuples that exist: deleting a missing tuple is an error in OpenFGA.
            let exists = fga
                .read(fga_core::ReadFilter {
                    object: Some(tuple.object.clone()),
                    relation: Some(tuple.relation.clone()),
                    user: Some(tuple.user.clone()),
                })
                .await;
            match exists {
                Ok(found) if found.is_empty() => continue,
                Ok(_) => {}
                Err(e) => return failed(format!("reading {line}: {e}")),
            }
            if let Err(e) = fga.write(Vec::new(), vec![tuple]).await {
                return failed(format!("deleting {line}: {e}"));
            }
            removed.push(line);
        }
        StepOutcome::done(removed)
    }

    fn revoke_entitlements(&self, t: &Tombstone, actor: &Actor) -> StepOutcome {
        let mut removed = Vec::new();
        for e in &t.entitlements {
            match agents::revoke_all_origins(self, &t.agent, e, actor) {
                Ok(0) => {}
                Ok(_) => removed.push(agents::label(e)),
                Err(err) => return failed(err),
            }
        }
        StepOutcome::done(removed)
    }

    /// Wipes the entries stored for the agent itself (user = the agent id):
    /// every connection it has one for, its vault-connection entitlements
    /// included. Entries of the users it acted for stay theirs.
    fn wipe_vault(&self, t: &Tombstone) -> StepOutcome {
        let Some((vault, tenant)) = self.vault() else {
            return StepOutcome::NotConfigured;
        };
        let mut keys: Vec<CredentialKey> = match vault.store().list() {
            Ok(all) => all
                .into_iter()
                .map(|r| r.key)
                .filter(|k| k.tenant == tenant && k.user == t.agent)
                .collect(),
            Err(e) => return failed(format!("listing the vault: {}", e.reason())),
        };
        for e in &t.entitlements {
            if let crate::registry::Entitlement::VaultConnection { connection } = e {
                keys.push(CredentialKey::new(tenant, &t.agent, connection));
            }
        }
        keys.sort();
        keys.dedup();
        let accessor = Accessor::trusted_system(tenant, &t.agent, &t.agent);
        let mut removed = Vec::new();
        let mut notes = Vec::new();
        for key in keys {
            let line = format!("vault entry {}", key.connection);
            match vault.disconnect(&accessor, &key.connection) {
                Ok(true) => {
                    notes.push(format!("{line}: {NOT_REVOKED_AT_PROVIDER}"));
                    removed.push(line);
                }
                Ok(false) => {}
                Err(e) => return failed(format!("{line}: {}", e.reason())),
            }
        }
        StepOutcome::Done { removed, notes }
    }

    #[cfg(feature = "server")]
    fn cancel_ciba(&self, t: &Tombstone) -> StepOutcome {
        let mut removed = Vec::new();
        for client in &t.clients {
            match crate::ciba::cancel_open_requests(self.authority(), client, "offboarded") {
                Ok(0) => {}
                Ok(n) => removed.push(format!("{n} CIBA requests of client {client}")),
                Err(e) => return failed(e),
            }
        }
        StepOutcome::done(removed)
    }

    #[cfg(not(feature = "server"))]
    fn cancel_ciba(&self, _t: &Tombstone) -> StepOutcome {
        StepOutcome::NotConfigured
    }

    fn retire(&self, t: &Tombstone, actor: &Actor, reason: &str) -> StepOutcome {
        if !t.deleted {
            return StepOutcome::done(Vec::new());
        }
        match agents::retire(self, &t.agent, true, actor, reason) {
            Ok(true) => StepOutcome::done(vec![format!("agent {} deleted", t.agent)]),
            Ok(false) => StepOutcome::done(Vec::new()),
            Err(e) => failed(e),
        }
    }
}
