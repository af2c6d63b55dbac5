//! Asynchronous approval of ID-JAG scopes marked `NeedsApproval` by a managed
//! connection: an approver that approves, denies or never answers (bounded by
//! the approval timeout, on tokio's paused clock: no real waiting), the
//! `Refuse` and `Drop` policies for unapproved scopes, and the audit trail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use reference_authority::grants::{
    ApprovalDecision, ApprovalQuery, ScopeApprover, UnapprovedScope,
};
use reference_authority::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[path = "common/exchange.rs"]
mod exchange;

const ISSUER: &str = "https://idp.example";
const PRICING: &str = "https://pricing.example";
const AGENT: (&str, &str) = ("sales-agent", "agent-secret-0123456789");
const NOW: i64 = 1_750_000_000;

/// How the test approver answers `pricing:quote`, after yielding to the
/// runtime as a person's answer would.
#[derive(Clone, Copy)]
enum Answer {
    Approve,
    Deny,
    Never,
}

#[derive(Clone)]
struct Person {
    answer: Answer,
    asked: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl ScopeApprover for Person {
    async fn decide(&self, query: &ApprovalQuery<'_>) -> ApprovalDecision {
        self.asked.fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            (query.user, query.client_id, query.audience),
            ("user-sarah", AGENT.0, PRICING)
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        match self.answer {
            Answer::Approve => ApprovalDecision::Approved,
            Answer::Deny => ApprovalDecision::Denied,
            Answer::Never => std::future::pending().await,
        }
    }
}

struct Fixture {
    authority: Authority,
    audit: MemorySink,
    asked: Arc<AtomicUsize>,
}

fn fixture(answer: Answer, unapproved: UnapprovedScope) -> Fixture {
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(ManualClock::new(NOW)))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(AGENT.0, AGENT.1)
                .grant_types([GRANT_TOKEN_EXCHANGE])
                .scopes(["openid"]),
        )
        .unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    authority.register_grant(Arc::new(
        TokenExchangeGrant::new().connection(
            ManagedConnection::new(PRICING)
                .client(AGENT.0, "pricing-agent")
                .scope("pricing:read", ScopePolicy::Granted)
                .scope("pricing:quote", ScopePolicy::NeedsApproval)
                .scope("pricing:discount", ScopePolicy::NeedsApproval)
                .scope("pricing:admin", ScopePolicy::Denied)
                .approver(Person {
                    answer,
                    asked: Arc::clone(&asked),
                })
                .approval_timeout(Duration::from_secs(30))
                .unapproved(unapproved),
        ),
    ));
    Fixture {
        authority,
        audit,
        asked,
    }
}

async fn ask_jag(f: &Fixture, scope: &str) -> Result<TokenResponse, OAuthError> {
    exchange::ask_jag(&f.authority, AGENT, "user-sarah", (PRICING, scope), &[]).await
}

/// The approval decisions audited: (outcome, reason).
fn decisions(f: &Fixture) -> Vec<(Outcome, String)> {
    let events = f.audit.events();
    let requested = events
        .iter()
        .filter(|e| e.action == AuditAction::ApprovalRequested)
        .count();
    let decided: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::ApprovalDecided)
        .map(|e| {
            assert_eq!(e.agent.as_deref(), Some(AGENT.0));
            assert_eq!(e.user.as_deref(), Some("user-sarah"));
            assert_eq!(e.details["scope"], "pricing:quote");
            (e.outcome, e.reason.clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(requested, decided.len());
    decided
}

#[tokio::test(start_paused = true)]
async fn an_approved_scope_is_granted_after_the_wait() {
    let f = fixture(Answer::Approve, UnapprovedScope::Refuse);
    let jag = ask_jag(&f, "pricing:read pricing:quote").await.unwrap();
    assert_eq!(jag.scope.as_deref(), Some("pricing:read pricing:quote"));
    assert_eq!(jag.issued_token_type.as_deref(), Some(token_types::ID_JAG));
    assert_eq!(f.asked.load(Ordering::SeqCst), 1);
    assert_eq!(decisions(&f), [(Outcome::Success, "approved".to_owned())]);
}

#[tokio::test(start_paused = true)]
async fn a_denied_scope_refuses_the_request_or_is_dropped_per_policy() {
    let f = fixture(Answer::Deny, UnapprovedScope::Refuse);
    let err = ask_jag(&f, "pricing:read pricing:quote").await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    assert_eq!(decisions(&f), [(Outcome::Denied, "denied".to_owned())]);

    let f = fixture(Answer::Deny, UnapprovedScope::Drop);
    let jag = ask_jag(&f, "pricing:read pricing:quote").await.unwrap();
    assert_eq!(jag.scope.as_deref(), Some("pricing:read"));
    assert_eq!(decisions(&f), [(Outcome::Denied, "denied".to_owned())]);
    // Nothing left to grant: refused.
    let err = ask_jag(&f, "pricing:quote").await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_approval_times_out() {
    let f = fixture(Answer::Never, UnapprovedScope::Refuse);
    let err = ask_jag(&f, "pricing:quote").await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(decisions(&f), [(Outcome::Denied, "timed_out".to_owned())]);

    let f = fixture(Answer::Never, UnapprovedScope::Drop);
    let jag = ask_jag(&f, "pricing:quote pricing:read").await.unwrap();
    assert_eq!(jag.scope.as_deref(), Some("pricing:read"));
    assert_eq!(decisions(&f), [(Outcome::Denied, "timed_out".to_owned())]);
}

#[tokio::test(start_paused = true)]
async fn several_approvals_are_asked_at_once_within_one_timeout() {
    let f = fixture(Answer::Approve, UnapprovedScope::Refuse);
    let started = tokio::time::Instant::now();
    let jag = ask_jag(&f, "pricing:quote pricing:discount").await.unwrap();
    assert_eq!(jag.scope.as_deref(), Some("pricing:quote pricing:discount"));
    assert_eq!(f.asked.load(Ordering::SeqCst), 2);
    // The paused clock advances only by the approver's 5 s wait when both
    // questions are pending together (10 s if asked one after the other).
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    let f = fixture(Answer::Never, UnapprovedScope::Drop);
    let started = tokio::time::Instant::now();
    let jag = ask_jag(&f, "pricing:quote pricing:discount pricing:read")
        .await
        .unwrap();
    assert_eq!(jag.scope.as_deref(), Some("pricing:read"));
    assert_eq!(started.elapsed(), Duration::from_secs(30), "one timeout");
}

#[tokio::test(start_paused = true)]
async fn nobody_is_asked_when_the_request_fails_anyway() {
    // A denied scope in the request refuses it before any approval.
    let f = fixture(Answer::Approve, UnapprovedScope::Drop);
    let err = ask_jag(&f, "pricing:quote pricing:admin")
        .await
        .unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    // So does a malformed `authorization_details`.
    let params_err = exchange::ask_jag(
        &f.authority,
        AGENT,
        "user-sarah",
        (PRICING, "pricing:quote"),
        &[("authorization_details", "{not json")],
    )
    .await
    .unwrap_err();
    assert_eq!(params_err.code(), &ErrorCode::InvalidRequest);
    assert_eq!(f.asked.load(Ordering::SeqCst), 0);
    assert!(decisions(&f).is_empty());
}

#[tokio::test]
async fn without_an_approver_a_scope_needing_approval_is_denied_and_audited() {
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(ManualClock::new(NOW)))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(AGENT.0, AGENT.1)
                .grant_types([GRANT_TOKEN_EXCHANGE])
                .scopes(["openid"]),
        )
        .unwrap();
    authority.register_grant(Arc::new(
        TokenExchangeGrant::new().connection(
            ManagedConnection::new(PRICING)
                .client(AGENT.0, "pricing-agent")
                .scope("pricing:quote", ScopePolicy::NeedsApproval),
        ),
    ));
    let f = Fixture {
        authority,
        audit,
        asked: Arc::new(AtomicUsize::new(0)),
    };
    let err = ask_jag(&f, "pricing:quote").await.unwrap_err();
    assert_eq!(err.code(), &ErrorCode::InvalidScope);
    let decided: Vec<_> = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::ApprovalDecided)
        .collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].outcome, Outcome::Denied);
    assert_eq!(decided[0].reason.as_deref(), Some("no_approver"));
}
