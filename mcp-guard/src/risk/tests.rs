//! The threshold table, one test per row, with a fixed provider and a
//! step-up that answers as told; and the audit event of each decision.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::fga::{ToolCallHook, ToolDecision};
use crate::principal::{Principal, TokenSource};
use agent_auth::audit::{MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::risk::{RiskLevel, RiskProvider, RiskSubject, RiskUnavailable};
use agent_auth::validate::Claims;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const ISSUER: &str = "https://idp.example";

/// Answers `agent` for the agent and `user` for the user (`Err` for both
/// when `fails`).
#[derive(Debug)]
struct Fixed {
    agent: Option<RiskLevel>,
    user: Option<RiskLevel>,
    fails: bool,
}

#[async_trait::async_trait]
impl RiskProvider for Fixed {
    async fn level(
        &self,
        subject: &RiskSubject<'_>,
        _now: i64,
    ) -> Result<Option<RiskLevel>, RiskUnavailable> {
        if self.fails {
            return Err(RiskUnavailable::new("the authority is unreachable"));
        }
        Ok(match subject {
            RiskSubject::Agent { .. } => self.agent,
            _ => self.user,
        })
    }
}

/// A step-up that allows or denies, and counts how often it was asked.
#[derive(Debug, Default)]
struct StepUp {
    approves: bool,
    asked: AtomicUsize,
}

#[async_trait::async_trait]
impl ToolCallHook for StepUp {
    async fn authorize(&self, _: &Principal, _: &str, _: &serde_json::Value) -> ToolDecision {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.approves {
            ToolDecision::Allow
        } else {
            ToolDecision::Deny {
                reason: "the action was denied".into(),
            }
        }
    }
}

fn principal() -> Principal {
    let mut claims = Claims::new().with("client_id", "sales-agent");
    claims.sub = Some("sarah".into());
    Principal::from_claims(ISSUER, claims, TokenSource::Jwt)
}

struct Row {
    decision: ToolDecision,
    step_ups: usize,
    events: Vec<agent_auth::audit::AuditEvent>,
}

/// Runs one call through a hook over `provider`, `policy` and a step-up
/// that `approves` (none when `None`).
async fn row(provider: Fixed, policy: RiskPolicy, approves: Option<bool>) -> Row {
    let sink = MemorySink::new();
    let step_up = approves.map(|approves| {
        Arc::new(StepUp {
            approves,
            ..StepUp::default()
        })
    });
    let mut hook = RiskHook::new(Arc::new(provider))
        .policy(policy)
        .audit(Arc::new(sink.clone()))
        .clock(Arc::new(ManualClock::new(1_000)));
    if let Some(s) = &step_up {
        hook = hook.step_up(s.clone());
    }
    let decision = hook.authorize(&principal(), "crm_lookup", &json!({})).await;
    Row {
        decision,
        step_ups: step_up.map_or(0, |s| s.asked.load(Ordering::SeqCst)),
        events: sink.events(),
    }
}

fn level(agent: RiskLevel) -> Fixed {
    Fixed {
        agent: Some(agent),
        user: Some(RiskLevel::Low),
        fails: false,
    }
}

fn refused_with(row: &Row, code: &str) {
    let ToolDecision::Deny { reason } = &row.decision else {
        panic!("admitted: {:?}", row.decision);
    };
    assert!(reason.starts_with(code), "{reason}");
    assert_eq!(row.events.len(), 1);
    assert_eq!(row.events[0].outcome, Outcome::Denied);
    assert_eq!(row.events[0].reason.as_deref(), Some(code));
}

fn admitted_with(row: &Row, code: &str) {
    assert_eq!(row.decision, ToolDecision::Allow);
    assert_eq!(row.events.len(), 1);
    assert_eq!(row.events[0].outcome, Outcome::Success);
    assert_eq!(row.events[0].reason.as_deref(), Some(code));
}

#[tokio::test]
async fn low_below_a_medium_threshold_is_admitted_without_step_up() {
    let r = row(level(RiskLevel::Low), RiskPolicy::default(), Some(true)).await;
    admitted_with(&r, "risk_admitted");
    assert_eq!(r.step_ups, 0);
    let e = &r.events[0];
    assert_eq!(e.agent.as_deref(), Some("sales-agent"));
    assert_eq!(e.user.as_deref(), Some("sarah"));
    assert_eq!(e.target.as_deref(), Some("crm_lookup"));
    assert_eq!(e.details["level"], "LOW");
}

#[tokio::test]
async fn medium_at_the_threshold_is_admitted_when_the_step_up_approves() {
    let r = row(level(RiskLevel::Medium), RiskPolicy::default(), Some(true)).await;
    admitted_with(&r, "risk_step_up_approved");
    assert_eq!(r.step_ups, 1);
}

#[tokio::test]
async fn medium_at_the_threshold_is_refused_when_the_step_up_denies() {
    let r = row(level(RiskLevel::Medium), RiskPolicy::default(), Some(false)).await;
    refused_with(&r, "risk_step_up_refused");
    assert_eq!(r.step_ups, 1);
}

#[tokio::test]
async fn medium_at_the_threshold_without_a_step_up_is_refused() {
    let r = row(level(RiskLevel::Medium), RiskPolicy::default(), None).await;
    refused_with(&r, "risk_step_up_refused");
}

#[tokio::test]
async fn high_above_the_threshold_is_refused_without_asking_anyone() {
    let r = row(level(RiskLevel::High), RiskPolicy::default(), Some(true)).await;
    refused_with(&r, "risk_too_high");
    assert_eq!(r.step_ups, 0);
    assert_eq!(r.events[0].details["level"], "HIGH");
}

#[tokio::test]
async fn medium_below_a_high_threshold_is_admitted() {
    let policy = RiskPolicy::new(RiskLevel::High);
    let r = row(level(RiskLevel::Medium), policy, Some(false)).await;
    admitted_with(&r, "risk_admitted");
    assert_eq!(r.step_ups, 0);
}

#[tokio::test]
async fn high_at_a_high_threshold_steps_up() {
    let policy = RiskPolicy::new(RiskLevel::High);
    let r = row(level(RiskLevel::High), policy, Some(true)).await;
    admitted_with(&r, "risk_step_up_approved");
    assert_eq!(r.step_ups, 1);
}

#[tokio::test]
async fn low_at_a_low_threshold_steps_up() {
    let policy = RiskPolicy::new(RiskLevel::Low);
    let r = row(level(RiskLevel::Low), policy, Some(false)).await;
    refused_with(&r, "risk_step_up_refused");
    assert_eq!(r.step_ups, 1);
}

#[tokio::test]
async fn the_users_level_counts_when_it_is_higher_than_the_agents() {
    let provider = Fixed {
        agent: Some(RiskLevel::Low),
        user: Some(RiskLevel::High),
        fails: false,
    };
    let r = row(provider, RiskPolicy::default(), Some(true)).await;
    refused_with(&r, "risk_too_high");
}

#[tokio::test]
async fn an_unknown_level_is_refused_by_default() {
    let provider = Fixed {
        agent: None,
        user: Some(RiskLevel::Low),
        fails: false,
    };
    let r = row(provider, RiskPolicy::default(), Some(true)).await;
    refused_with(&r, "risk_unknown");
    assert_eq!(r.step_ups, 0);
}

#[tokio::test]
async fn an_unknown_level_is_admitted_only_when_the_policy_assumes_low() {
    let provider = Fixed {
        agent: None,
        user: None,
        fails: false,
    };
    let policy = RiskPolicy::default().unknown_as(RiskLevel::Low);
    let r = row(provider, policy, None).await;
    admitted_with(&r, "risk_admitted");
}

#[tokio::test]
async fn an_unavailable_provider_is_refused_even_when_unknown_is_assumed_low() {
    let provider = Fixed {
        agent: Some(RiskLevel::Low),
        user: Some(RiskLevel::Low),
        fails: true,
    };
    let policy = RiskPolicy::default().unknown_as(RiskLevel::Low);
    let r = row(provider, policy, Some(true)).await;
    refused_with(&r, "risk_unavailable");
    assert_eq!(r.step_ups, 0);
}

#[tokio::test]
async fn an_admitted_call_goes_on_to_the_next_hook() {
    let next = Arc::new(StepUp::default());
    let hook = RiskHook::new(Arc::new(level(RiskLevel::Low))).then(next.clone());
    let d = hook.authorize(&principal(), "crm_lookup", &json!({})).await;
    assert!(matches!(d, ToolDecision::Deny { .. }), "{d:?}");
    assert_eq!(next.asked.load(Ordering::SeqCst), 1);
}
