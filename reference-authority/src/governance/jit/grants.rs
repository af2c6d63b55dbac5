//! The entitlement check: which JIT grants an agent holds at a given time.
//! It reads the time given against each grant's window and the agent's
//! status, so a grant is unusable from the second it ends, whether or not
//! anything swept it.

use super::error::JitError;
use super::records;
use super::request::{RequestRecord, Status};
use crate::governance::audit::{Decision, action};
use crate::governance::{Governance, agents};
use crate::registry::{Actor, AgentStatus, Entitlement, GrantOrigin};
use agent_auth::audit::Outcome;

/// A JIT grant in force.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActiveGrant {
    /// The request that opened it.
    pub request: String,
    /// The agent.
    pub agent: String,
    /// What it grants.
    pub entitlement: Entitlement,
    /// When it started.
    pub starts: i64,
    /// When it ends: the grant is gone at this second.
    pub ends: i64,
    /// Who approved it.
    pub approved_by: Vec<String>,
}

/// The record's grant, if in force at `now`: approved, `starts <= now < ends`.
fn in_force(r: &RequestRecord, now: i64) -> Option<ActiveGrant> {
    let (Some(starts), Some(ends)) = (r.starts, r.ends) else {
        return None;
    };
    (r.status == Status::Approved && starts <= now && now < ends).then(|| ActiveGrant {
        request: r.id.clone(),
        agent: r.agent.clone(),
        entitlement: r.entitlement.clone(),
        starts,
        ends,
        approved_by: r.decided_by.clone(),
    })
}

fn live(r: &RequestRecord, now: i64) -> bool {
    r.status == Status::Pending || (r.status == Status::Approved && r.ends.is_some_and(|e| now < e))
}

/// Ends a request: a pending one is cancelled, a running grant ends at `now`.
pub(super) fn end(r: &mut RequestRecord, now: i64) {
    r.status = Status::Revoked;
    if r.starts.is_some() {
        r.ends = Some(now);
    }
}

impl Governance {
    /// The JIT grants `agent` holds at `now`: none unless the agent is
    /// ACTIVE in the registry. A decision source for a PDP.
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
    /// assert!(governance.active_grants("nobody", authority.now())?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn active_grants(&self, agent: &str, now: i64) -> Result<Vec<ActiveGrant>, JitError> {
        let held: Vec<ActiveGrant> = records::of_agent(self.authority().store().as_ref(), agent)?
            .iter()
            .filter_map(|r| in_force(r, now))
            .collect();
        if held.is_empty() {
            return Ok(held);
        }
        let active = self
            .authority()
            .registry()
            .agent(agent)?
            .is_some_and(|a| a.status == AgentStatus::Active);
        Ok(if active { held } else { Vec::new() })
    }

    /// Whether `agent` holds `entitlement` through a JIT grant at `now`. An
    /// error (storage) means the caller must deny.
    pub fn holds(
        &self,
        agent: &str,
        entitlement: &Entitlement,
        now: i64,
    ) -> Result<bool, JitError> {
        Ok(self
            .active_grants(agent, now)?
            .iter()
            .any(|g| g.entitlement == *entitlement))
    }

    /// Ends grant `id` now (or cancels it while pending), by `actor`, for `reason`.
    pub fn revoke_elevation(&self, id: &str, actor: &Actor, reason: &str) -> Result<(), JitError> {
        let store = self.authority().store().as_ref();
        let agent = records::agent_of(store, id)?;
        let now = self.authority().now();
        let record = records::modify(store, &agent, id, |r| {
            if !live(r, now) {
                return Err(JitError::NotActive);
            }
            end(r, now);
            Ok(r.clone())
        })?;
        self.withdraw(&record, actor, reason)?;
        Ok(())
    }

    /// Ends every live JIT grant and pending request of `agent`; returns the
    /// request ids. Running it again ends nothing more.
    pub fn revoke_elevations_of(
        &self,
        agent: &str,
        actor: &Actor,
        reason: &str,
    ) -> Result<Vec<String>, JitError> {
        let store = self.authority().store().as_ref();
        let now = self.authority().now();
        let ended = records::modify_all(store, agent, |r| {
            live(r, now).then(|| {
                end(r, now);
                r.clone()
            })
        })?;
        for r in &ended {
            self.withdraw(r, actor, reason)?;
        }
        Ok(ended.into_iter().map(|r| r.id).collect())
    }

    /// Removes an ended request's grant from the registry and audits the end.
    fn withdraw(&self, r: &RequestRecord, actor: &Actor, reason: &str) -> Result<(), JitError> {
        agents::revoke(
            self,
            &r.agent,
            &r.entitlement,
            &GrantOrigin::JustInTime(r.id.clone()),
            actor,
        )?;
        Decision {
            action: action("jit_revoked"),
            outcome: Outcome::Success,
            actor,
            target: &r.agent,
            reason,
        }
        .record(self.authority(), |e| {
            e.detail("kind", "jit")
                .detail("request", r.id.clone())
                .detail("entitlement", agents::label(&r.entitlement))
        });
        Ok(())
    }
}
