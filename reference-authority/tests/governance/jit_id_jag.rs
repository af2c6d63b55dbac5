//! The token endpoint consults the registry for ID-JAG scopes a managed
//! connection marks `Entitled`: an agent holding a just-in-time elevation
//! for the scope gets it in the ID-JAG until the grant's end, and not a
//! second after (manual clock); without it, the request is refused.

use super::*;
use reference_authority::{
    ManagedConnection, OAuthError, ScopePolicy, TokenExchangeGrant, TokenResponse,
};

/// The governance fixture with a managed connection to the CRM's
/// authorization server: `crm:read` is granted, `crm:write` only to an
/// agent entitled to it.
fn connected() -> Fixture {
    let f = fixture();
    f.authority.register_grant(Arc::new(
        TokenExchangeGrant::new().connection(
            ManagedConnection::new(CRM)
                .client(CLIENT, "crm-sales-agent")
                .scope("crm:read", ScopePolicy::Granted)
                .scope("crm:write", ScopePolicy::Entitled),
        ),
    ));
    f
}

/// Exchanges an ID token of sarah's, minted now, for an ID-JAG for the CRM.
async fn ask_jag(f: &Fixture, scope: &str) -> Result<TokenResponse, OAuthError> {
    exchange::ask_jag(&f.authority, (CLIENT, SECRET), "sarah", (CRM, scope), &[]).await
}

fn refused(result: Result<TokenResponse, OAuthError>) -> bool {
    result.is_err_and(|e| e.code().as_str() == "invalid_scope")
}

#[tokio::test]
async fn a_jit_elevation_puts_its_scope_in_the_id_jag_until_its_end_and_not_a_second_after() {
    let f = connected();
    let g = &f.governance;
    assert!(
        refused(ask_jag(&f, "crm:read crm:write").await),
        "not without it"
    );
    assert_eq!(
        ask_jag(&f, "crm:read").await.unwrap().scope.as_deref(),
        Some("crm:read")
    );

    let id = f.request_crm_write().await;
    assert!(refused(ask_jag(&f, "crm:write").await), "not while pending");
    f.clock.advance(60);
    let ends = g.approve_elevation(&id, "olivia").unwrap().ends.unwrap();
    assert_eq!(ends, NOW + 60 + 600);

    let granted = ask_jag(&f, "crm:read crm:write").await.unwrap();
    assert_eq!(granted.scope.as_deref(), Some("crm:read crm:write"));
    f.clock.set(ends - 1);
    let last = ask_jag(&f, "crm:write").await.unwrap();
    assert_eq!(last.scope.as_deref(), Some("crm:write"));
    f.clock.set(ends);
    assert!(refused(ask_jag(&f, "crm:write").await), "gone at its end");
    assert_eq!(
        ask_jag(&f, "crm:read").await.unwrap().scope.as_deref(),
        Some("crm:read"),
        "the connection's own grants are untouched"
    );
}
