//! A plain token exchange (RFC 8693, for an access token) configured to
//! consult the agent registry: the agent asking for a scope or a target it
//! is not entitled to is refused (`invalid_scope`, `invalid_target`, RFC
//! 8693 section 2.2.2) and the refusal is audited once; a just-in-time
//! elevation allows the scope until its end and not a second after
//! (manual clock).

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::exchange::token_types;
use reference_authority::{
    GrantFacts, IssueOptions, OAuthError, ScopePolicy, TokenExchangeGrant, TokenResponse,
};

/// The governance fixture whose token exchange grants `crm:write` only to
/// an agent entitled to it, and any target only to an agent that reaches it.
fn governed() -> Fixture {
    let f = fixture();
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new()
            .scope("crm:write", ScopePolicy::Entitled)
            .scope("crm:admin", ScopePolicy::Denied)
            .entitled_targets(),
    ));
    f
}

/// Exchanges an access token of sarah's for the agent's client (scope
/// `crm:read crm:write`, for the CRM and the ERP) for one with `scope` for
/// `audience`.
async fn exchange(f: &Fixture, scope: &str, audience: &str) -> Result<TokenResponse, OAuthError> {
    let facts = GrantFacts {
        client_id: CLIENT.into(),
        user_id: Some("sarah".into()),
        scope: vec!["crm:read".into(), "crm:write".into()],
        resource: vec![CRM.into(), ERP.into()],
        ..GrantFacts::default()
    };
    let subject = f
        .authority
        .issue(&facts, IssueOptions::default())
        .unwrap()
        .access_token;
    exchange::exchange(
        &f.authority,
        (CLIENT, SECRET),
        &[
            ("subject_token", subject.expose_secret()),
            ("subject_token_type", token_types::ACCESS_TOKEN),
            ("audience", audience),
            ("scope", scope),
        ],
    )
    .await
}

fn code(result: Result<TokenResponse, OAuthError>) -> String {
    match result {
        Ok(r) => format!("granted {}", r.scope.unwrap_or_default()),
        Err(e) => e.code().as_str().to_owned(),
    }
}

/// The refused token exchanges audited so far.
fn refusals(f: &Fixture) -> usize {
    f.audit
        .events()
        .iter()
        .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome != Outcome::Success)
        .count()
}

#[tokio::test]
async fn a_target_the_agent_does_not_reach_is_invalid_target_and_audited_once() {
    let f = governed();
    f.grant_direct(AGENT, scope("crm:read"));
    assert_eq!(
        code(exchange(&f, "crm:read", CRM).await),
        "granted crm:read"
    );
    assert_eq!(refusals(&f), 0);
    assert_eq!(code(exchange(&f, "crm:read", ERP).await), "invalid_target");
    assert_eq!(refusals(&f), 1, "one refusal, one audit record");
    let refused = f
        .audit
        .events()
        .into_iter()
        .find(|e| e.action == AuditAction::TokenExchanged && e.outcome != Outcome::Success)
        .unwrap();
    assert_eq!(refused.agent.as_deref(), Some(CLIENT));
}

#[tokio::test]
async fn a_denied_scope_is_refused_even_to_an_entitled_agent() {
    let f = governed();
    f.grant_direct(AGENT, scope("crm:read"));
    f.grant_direct(AGENT, scope("crm:admin"));
    assert_eq!(
        code(exchange(&f, "crm:read crm:write", CRM).await),
        "invalid_scope"
    );
    assert_eq!(refusals(&f), 1);
}

#[tokio::test]
async fn a_jit_elevation_allows_the_scope_until_its_end_and_not_a_second_after() {
    let f = governed();
    f.grant_direct(AGENT, scope("crm:read"));
    let g = &f.governance;
    assert_eq!(code(exchange(&f, "crm:write", CRM).await), "invalid_scope");
    assert_eq!(refusals(&f), 1);
    let id = f.request_crm_write().await;
    assert_eq!(
        code(exchange(&f, "crm:write", CRM).await),
        "invalid_scope",
        "not while pending"
    );
    f.clock.advance(60);
    let ends = g.approve_elevation(&id, "olivia").unwrap().ends.unwrap();
    assert_eq!(
        code(exchange(&f, "crm:read crm:write", CRM).await),
        "granted crm:read crm:write"
    );
    f.clock.set(ends - 1);
    assert_eq!(
        code(exchange(&f, "crm:write", CRM).await),
        "granted crm:write"
    );
    f.clock.set(ends);
    assert_eq!(code(exchange(&f, "crm:write", CRM).await), "invalid_scope");
    assert_eq!(refusals(&f), 3);
    assert_eq!(
        code(exchange(&f, "crm:read", CRM).await),
        "granted crm:read",
        "the scopes nobody configured only narrow, as before"
    );
}

#[tokio::test]
async fn a_suspended_agent_holds_nothing() {
    let f = governed();
    f.grant_direct(AGENT, scope("crm:write"));
    assert_eq!(
        code(exchange(&f, "crm:write", CRM).await),
        "granted crm:write"
    );
    f.authority
        .registry()
        .suspend(AGENT, Some("review"), &admin())
        .unwrap();
    let refused = code(exchange(&f, "crm:write", CRM).await);
    assert_ne!(refused, "granted crm:write");
}

#[tokio::test]
async fn without_the_configuration_the_registry_is_not_consulted() {
    let f = fixture();
    assert_eq!(
        code(exchange(&f, "crm:write", ERP).await),
        "granted crm:write"
    );
}
