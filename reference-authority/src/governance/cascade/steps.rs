//! The steps of an offboarding, one function each. Every step is safe to run
//! again: what is already gone is simply not found.

use super::evidence::{ProviderRevocation, RevocationResult, Step, StepOutcome, Tombstone};
use crate::governance::{Governance, agents};
use crate::registry::{Actor, AgentStatus};
use token_vault_client::{RevocationReport, RevokeError, RevokedToken};

/// The provider's answer for `connection`'s tokens: the refresh token's,
/// else the access token's, else the issuer's for a just-in-time credential;
/// an entry with none of these (an API key) is not revocable at its provider.
fn revocation_result(report: &RevocationReport, connection: &str) -> RevocationResult {
    let of = |kind| {
        report
            .tokens
            .iter()
            .find(|r| r.connection == connection && r.token == kind)
            .map(|r| &r.outcome)
    };
    let lease = || {
        report
            .leases
            .iter()
            .find(|r| r.connection == connection)
            .map(|r| &r.outcome)
    };
    let Some(outcome) = of(RevokedToken::RefreshToken)
        .or_else(|| of(RevokedToken::AccessToken))
        .or_else(lease)
    else {
        return RevocationResult::NotRevocable;
    };
    match outcome {
        Ok(()) => RevocationResult::Revoked,
        Err(RevokeError::Unsupported) => RevocationResult::NotRevocable,
        Err(e) => RevocationResult::Failed {
            error: e.to_string(),
        },
    }
}

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
            Step::VaultEntries => self.deprovision_vault(t).await,
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

    /// Deprovisions the agent at the vault ([`Vault::deprovision_agent`]):
    /// the entries stored for the agent itself (user = the agent id), its
    /// vault-connection entitlements' included, are wiped and their tokens
    /// revoked at each provider (RFC 7009 section 2.1). Entries of the users
    /// it acted for stay theirs. Each wiped entry's revocation result is in
    /// the evidence; a provider failure does not fail the step, since the
    /// vault no longer holds the token a retry would need.
    ///
    /// [`Vault::deprovision_agent`]: token_vault_client::Vault::deprovision_agent
    async fn deprovision_vault(&self, t: &Tombstone) -> StepOutcome {
        let Some((vault, tenant)) = self.vault() else {
            return StepOutcome::NotConfigured;
        };
        let mut connections: Vec<String> = match vault.store().list() {
            Ok(all) => all
                .into_iter()
                .filter(|r| r.key.tenant == tenant && r.key.user == t.agent)
                .map(|r| r.key.connection)
                .collect(),
            Err(e) => return failed(format!("listing the vault: {}", e.reason())),
        };
        connections.sort();
        connections.dedup();
        let report = match vault.deprovision_agent(tenant, &t.agent).await {
            Ok(report) => report,
            Err(e) => return failed(format!("deprovisioning: {}", e.reason())),
        };
        let revocations = connections
            .iter()
            .map(|connection| ProviderRevocation {
                connection: connection.clone(),
                result: revocation_result(&report, connection),
            })
            .collect();
        StepOutcome::Done {
            removed: connections
                .iter()
                .map(|c| format!("vault entry {c}"))
                .collect(),
            revocations,
        }
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
