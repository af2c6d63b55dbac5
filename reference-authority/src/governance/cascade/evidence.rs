//! What an offboarding did: one line per kind of access, kept in the agent's
//! tombstone so that an auditor sees what was removed and what failed.

use crate::registry::Entitlement;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of access an offboarding removes, in the order it removes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// The agent is suspended (INACTIVE): its clients are disabled, so it
    /// gets no token and its tokens are refused at once.
    Suspend,
    /// Refresh tokens and grant families of its clients are revoked, with
    /// their live access tokens (RFC 7009 section 2), for good.
    Tokens,
    /// Just-in-time grants end and pending requests are cancelled.
    JitGrants,
    /// Relationship tuples naming the agent are deleted.
    FgaTuples,
    /// Its entitlements (managed connections, scopes, vault connections,
    /// delegations) are revoked in the registry.
    Entitlements,
    /// Vault entries held for the agent are wiped and their tokens revoked
    /// at their providers (RFC 7009), each provider's answer recorded.
    VaultEntries,
    /// CIBA requests of its clients still open are cancelled.
    CibaRequests,
    /// The record becomes a tombstone (DELETED), unless only deactivation was asked.
    Retire,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 8] = [
        Step::Suspend,
        Step::Tokens,
        Step::JitGrants,
        Step::FgaTuples,
        Step::Entitlements,
        Step::VaultEntries,
        Step::CibaRequests,
        Step::Retire,
    ];

    /// The step's name in audit events and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Suspend => "suspend",
            Step::Tokens => "tokens",
            Step::JitGrants => "jit_grants",
            Step::FgaTuples => "fga_tuples",
            Step::Entitlements => "entitlements",
            Step::VaultEntries => "vault_entries",
            Step::CibaRequests => "ciba_requests",
            Step::Retire => "retire",
        }
    }
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
#[non_exhaustive]
pub enum StepOutcome {
    /// Done: what was removed (each line names one thing, never a secret).
    Done {
        /// What was removed.
        removed: Vec<String>,
        /// What each provider said when asked to revoke the tokens of a
        /// wiped vault entry (the vault step only).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        revocations: Vec<ProviderRevocation>,
    },
    /// Not configured here (no FGA backend, no vault, no CIBA OP).
    NotConfigured,
    /// Failed; a retry runs it again.
    Failed {
        /// What failed, without secrets.
        error: String,
    },
}

impl StepOutcome {
    /// Whether the step needs no retry.
    pub fn is_settled(&self) -> bool {
        !matches!(self, StepOutcome::Failed { .. })
    }

    pub(crate) fn done(removed: Vec<String>) -> Self {
        StepOutcome::Done {
            removed,
            revocations: Vec::new(),
        }
    }
}

/// The fate, at its provider, of the tokens of one vault entry the
/// offboarding wiped (RFC 7009 section 2.1: the refresh token's answer when
/// the entry had one, else the access token's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRevocation {
    /// The vault connection.
    pub connection: String,
    /// What the provider did.
    pub result: RevocationResult,
}

/// What a provider did with a revocation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
#[non_exhaustive]
pub enum RevocationResult {
    /// The provider revoked the token (and, at most providers, its grant).
    Revoked,
    /// The provider offers no revocation (no RFC 7009 endpoint, or a static
    /// credential such as an API key): its grant lives on there until it
    /// expires or is revoked by hand, though the vault no longer holds it.
    NotRevocable,
    /// The provider failed to revoke after the vault's retries; the entry is
    /// wiped all the same, so the grant must be revoked by hand there.
    Failed {
        /// Why, without the token.
        error: String,
    },
}

impl RevocationResult {
    /// `revoked`, `not_revocable` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::NotRevocable => "not_revocable",
            Self::Failed { .. } => "failed",
        }
    }
}

/// One run of the cascade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it ran.
    pub at: i64,
    /// Who ran it.
    pub actor: String,
    /// How each step ended.
    pub steps: BTreeMap<Step, StepOutcome>,
}

/// What remains of an offboarded agent: who offboarded it, why, and the
/// evidence of every attempt (a retry adds an attempt, never rewrites one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The agent.
    pub agent: String,
    /// Why it was offboarded.
    pub reason: String,
    /// Whether the record was deleted (`true`) or only deactivated.
    pub deleted: bool,
    /// The agent's OAuth clients when offboarding began.
    pub clients: Vec<String>,
    /// The agent's entitlements when offboarding began (what the steps remove).
    pub entitlements: Vec<Entitlement>,
    /// The attempts, oldest first.
    pub attempts: Vec<Attempt>,
}

impl Tombstone {
    /// The last outcome of each step: a step settled in an earlier attempt
    /// stays settled.
    pub fn state(&self) -> BTreeMap<Step, StepOutcome> {
        let mut state = BTreeMap::new();
        for attempt in &self.attempts {
            for (step, outcome) in &attempt.steps {
                let settled = state.get(step).is_some_and(StepOutcome::is_settled);
                if !settled {
                    state.insert(*step, outcome.clone());
                }
            }
        }
        state
    }

    /// Whether every step is settled (nothing failed or was left out).
    pub fn is_complete(&self) -> bool {
        let state = self.state();
        Step::ALL
            .iter()
            .all(|s| state.get(s).is_some_and(StepOutcome::is_settled))
    }

    /// The steps that still failed after the last attempt.
    pub fn failed(&self) -> Vec<Step> {
        self.state()
            .into_iter()
            .filter(|(_, o)| !o.is_settled())
            .map(|(s, _)| s)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(steps: &[(Step, StepOutcome)]) -> Attempt {
        Attempt {
            at: 0,
            actor: "admin".into(),
            steps: steps.iter().cloned().collect(),
        }
    }

    #[test]
    fn a_settled_step_stays_settled_and_a_retried_failure_settles() {
        let failed = StepOutcome::Failed {
            error: "backend down".into(),
        };
        let mut t = Tombstone {
            agent: "a".into(),
            reason: "r".into(),
            deleted: true,
            clients: Vec::new(),
            entitlements: Vec::new(),
            attempts: vec![attempt(
                &Step::ALL
                    .iter()
                    .map(|s| {
                        let o = if *s == Step::FgaTuples {
                            failed.clone()
                        } else {
                            StepOutcome::done(vec![s.as_str().to_owned()])
                        };
                        (*s, o)
                    })
                    .collect::<Vec<_>>(),
            )],
        };
        assert!(!t.is_complete());
        assert_eq!(t.failed(), vec![Step::FgaTuples]);
        t.attempts
            .push(attempt(&[(Step::FgaTuples, StepOutcome::done(vec![]))]));
        assert!(t.is_complete());
        assert_eq!(
            t.state().get(&Step::Tokens),
            Some(&StepOutcome::done(vec!["tokens".into()]))
        );
    }
}
