//! [`RiskHook`]: the risk check on `tools/call`.

use super::decision::RiskDecision;
use super::policy::{RiskPolicy, Rule};
use crate::fga::{ToolCallHook, ToolDecision};
use crate::principal::Principal;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome, SharedSink};
use agent_auth::clock::SharedClock;
use agent_auth::risk::{RiskLevel, RiskProvider, RiskSubject, RiskUnavailable};
use serde_json::Value;
use std::sync::Arc;

/// The audit action of a risk decision (not an access: detection skips it).
pub const RISK_DECISION: &str = "risk_decision";

/// Decides each `tools/call` by the caller's risk level (CAEP 1.0 section
/// 3.8): the level of the agent (the token's `client_id`) and of the user
/// it acts for (`sub`, when it is not the agent itself), the higher one
/// counting, read against the [`RiskPolicy`]:
///
/// - below the threshold the call goes on to the next hook, if any;
/// - at the threshold the step-up hook decides (e.g. a
///   [`ToolStackHook`](crate::ToolStackHook) over ciba-client's
///   `ApprovalLayer`), refused without one;
/// - above it, or with no level to go by, or when the provider fails, the
///   call is refused (-32001) with the [`RiskDecision`] code as reason.
///
/// Each decision is recorded as a `risk_decision` audit event when an audit
/// sink is set. Install it with
/// [`GuardBuilder::tool_hook`](crate::GuardBuilder::tool_hook).
#[derive(Clone)]
pub struct RiskHook {
    provider: Arc<dyn RiskProvider>,
    policy: RiskPolicy,
    step_up: Option<Arc<dyn ToolCallHook>>,
    next: Option<Arc<dyn ToolCallHook>>,
    audit: Option<SharedSink>,
    clock: SharedClock,
}

impl std::fmt::Debug for RiskHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiskHook")
            .field("provider", &self.provider)
            .field("policy", &self.policy)
            .field("step_up", &self.step_up.is_some())
            .field("next", &self.next.is_some())
            .finish_non_exhaustive()
    }
}

impl RiskHook {
    /// Asks `provider`, with the default policy (step up at MEDIUM, refuse
    /// HIGH and unknown levels) and no step-up (MEDIUM is then refused).
    pub fn new(provider: Arc<dyn RiskProvider>) -> Self {
        Self {
            provider,
            policy: RiskPolicy::default(),
            step_up: None,
            next: None,
            audit: None,
            clock: agent_auth::clock::system_clock(),
        }
    }

    /// The policy.
    #[must_use]
    pub fn policy(mut self, policy: RiskPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Who decides at the threshold: its allow admits the call, anything
    /// else refuses it.
    #[must_use]
    pub fn step_up(mut self, hook: Arc<dyn ToolCallHook>) -> Self {
        self.step_up = Some(hook);
        self
    }

    /// The hook that decides next once the risk admits the call (e.g. an
    /// [`AuthzenHook`](crate::authzen::AuthzenHook)).
    #[must_use]
    pub fn then(mut self, hook: Arc<dyn ToolCallHook>) -> Self {
        self.next = Some(hook);
        self
    }

    /// Records every decision in `sink`.
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The clock (the time asked of the provider and of the audit events).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The risk decision on one call, without the next hook.
    pub async fn assess(
        &self,
        principal: &Principal,
        tool: &str,
        arguments: &Value,
    ) -> RiskDecision {
        let level = match self.level(principal).await {
            Ok(level) => level,
            Err(e) => {
                tracing::warn!(tool, error = %e, "risk provider failed; refusing the call");
                return RiskDecision::Unavailable;
            }
        };
        let Some(effective) = self.policy.effective(level) else {
            return RiskDecision::Unknown;
        };
        match self.policy.rule(level) {
            Rule::Admit => RiskDecision::Admitted { level: effective },
            Rule::StepUp => {
                let answer = match &self.step_up {
                    None => "no step-up configured".to_owned(),
                    Some(hook) => match hook.authorize(principal, tool, arguments).await {
                        ToolDecision::Allow => return RiskDecision::SteppedUp { level: effective },
                        ToolDecision::Deny { reason } | ToolDecision::Error { reason, .. } => {
                            reason
                        }
                    },
                };
                RiskDecision::StepUpRefused {
                    level: effective,
                    answer,
                }
            }
            Rule::Refuse => RiskDecision::TooHigh { level: effective },
        }
    }

    /// The level to go by for the caller (see [`combine`]).
    async fn level(&self, p: &Principal) -> Result<Option<RiskLevel>, RiskUnavailable> {
        let now = self.clock.now();
        let agent = match p.client_id.as_deref() {
            Some(client_id) => {
                let subject = RiskSubject::Agent {
                    issuer: &p.issuer,
                    client_id,
                };
                self.provider.level(&subject, now).await?
            }
            None => None,
        };
        let user = match p
            .subject
            .as_deref()
            .filter(|s| Some(*s) != p.client_id.as_deref())
        {
            Some(sub) => {
                let subject = RiskSubject::User {
                    issuer: &p.issuer,
                    sub,
                };
                Some(self.provider.level(&subject, now).await?)
            }
            None => None,
        };
        Ok(combine(agent, user, &self.policy))
    }

    fn record(&self, principal: &Principal, tool: &str, decision: &RiskDecision) {
        let Some(sink) = &self.audit else {
            return;
        };
        if !sink.enabled() {
            return;
        }
        let outcome = if decision.admits() {
            Outcome::Success
        } else {
            Outcome::Denied
        };
        let mut event = AuditEvent::new(
            self.clock.now(),
            AuditAction::Other(RISK_DECISION.into()),
            outcome,
        )
        .target(tool)
        .issuer(principal.issuer.clone())
        .reason(decision.code())
        .detail("threshold", self.policy.threshold().as_str());
        if let Some(level) = decision.level() {
            event = event.detail("level", level.as_str());
        }
        if let Some(agent) = &principal.client_id {
            event = event.agent(agent.clone());
        }
        if let Some(user) = principal
            .subject
            .as_ref()
            .filter(|s| Some(*s) != principal.client_id.as_ref())
        {
            event = event.user(user.clone());
        }
        sink.record(&event);
    }
}

/// The level to go by for an agent and, if it acts for one, a user
/// (`None` inside: that subject's level is unknown). The higher known level
/// wins; an unknown one counts as the policy's `unknown_as`, or makes the
/// whole unknown.
fn combine(
    agent: Option<RiskLevel>,
    user: Option<Option<RiskLevel>>,
    policy: &RiskPolicy,
) -> Option<RiskLevel> {
    let agent = policy.effective(agent)?;
    match user {
        None => Some(agent),
        Some(user) => Some(agent.max(policy.effective(user)?)),
    }
}

#[async_trait::async_trait]
impl ToolCallHook for RiskHook {
    async fn authorize(
        &self,
        principal: &Principal,
        tool: &str,
        arguments: &Value,
    ) -> ToolDecision {
        let decision = self.assess(principal, tool, arguments).await;
        self.record(principal, tool, &decision);
        if !decision.admits() {
            return ToolDecision::Deny {
                reason: decision.to_string(),
            };
        }
        match &self.next {
            Some(next) => next.authorize(principal, tool, arguments).await,
            None => ToolDecision::Allow,
        }
    }
}
