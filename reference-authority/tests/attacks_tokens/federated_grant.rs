//! The vault's federated-connection grant hands a connection's token only to
//! the clients configured for it, for a real user, from a token meant for the
//! authority, and never names more scope than asked and allowed.

use super::{NOW, Served, serve};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use reference_authority::federated_connection::ConnectionAccess;
use reference_authority::*;
use std::sync::Arc;
use token_vault_client::remote::{ACCESS_TOKEN_TYPE, GRANT_TYPE, REQUESTED_TOKEN_TYPE};
use token_vault_client::*;

const CRM: &str = "https://crm.example/mcp";

fn google_tokens(scopes: &[&str]) -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new("ya29.google-token"),
        refresh_token: Some(SecretString::new("google-refresh")),
        expires_at: Some(NOW + 3600),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        token_type: "Bearer".into(),
    })
}

/// Alice's Google connection in the vault, for the assistant and for an
/// intruder client; a credential stored under the assistant's own id as if
/// it were a user.
async fn served() -> Served {
    let s = serve().await;
    s.authority
        .register_user(UserSpec::new("alice").id("alice").password("pw-0123456789"))
        .unwrap();
    for id in ["assistant", "intruder"] {
        s.authority
            .register_client(
                ClientSpec::confidential(id, format!("{id}-secret-0123456789"))
                    .grant_types([GRANT_TYPE, "client_credentials"])
                    .scopes(["vault:google"])
                    .resources([CRM]),
            )
            .unwrap();
    }
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
    vault.add_connection(ConnectionConfig::new("google"));
    let both = google_tokens(&["calendar.readonly", "email"]);
    for (user, client) in [
        ("alice", "assistant"),
        ("alice", "intruder"),
        ("assistant", "assistant"),
    ] {
        vault
            .store_for(
                &Accessor::trusted_system(&s.issuer, user, client),
                "google",
                &both,
            )
            .unwrap();
    }
    s.authority.register_grant(Arc::new(
        FederatedConnectionGrant::new(vault, s.issuer.clone()).connection(
            "google",
            ConnectionAccess::new()
                .client("assistant")
                .scopes(["calendar.readonly", "email"]),
        ),
    ));
    s
}

fn token_for(s: &Served, client: &str, user: Option<&str>, resource: &[&str]) -> String {
    let facts = GrantFacts {
        client_id: client.into(),
        user_id: user.map(str::to_owned),
        scope: vec!["vault:google".into()],
        resource: resource.iter().map(|r| (*r).to_owned()).collect(),
        ..GrantFacts::default()
    };
    s.authority
        .issue(&facts, IssueOptions::default())
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

async fn federated(
    s: &Served,
    client: &str,
    subject: &str,
    scope: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut form = vec![
        ("grant_type", GRANT_TYPE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("requested_token_type", REQUESTED_TOKEN_TYPE),
        ("connection", "google"),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let secret = format!("{client}-secret-0123456789");
    let response = s
        .http
        .post(format!("{}{}", s.issuer, paths::TOKEN))
        .basic_auth(client, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_client_not_configured_for_the_connection_gets_no_token() {
    let s = served().await;
    let intruder = token_for(&s, "intruder", Some("alice"), &[]);
    let (status, body) = federated(&s, "intruder", &intruder, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert!(
        s.audited(AuditAction::TokenIssued, Outcome::Denied)
            .iter()
            .any(|e| e.agent.as_deref() == Some("intruder"))
    );
    let assistant = token_for(&s, "assistant", Some("alice"), &[]);
    let (status, body) = federated(&s, "assistant", &assistant, None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_client_credentials_token_is_not_a_user() {
    let s = served().await;
    let own = token_for(&s, "assistant", None, &[]);
    let (status, body) = federated(&s, "assistant", &own, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_token_meant_for_a_resource_server_is_not_a_subject() {
    let s = served().await;
    let for_crm = token_for(&s, "assistant", Some("alice"), &[CRM]);
    let (status, body) = federated(&s, "assistant", &for_crm, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_response_never_names_more_scope_than_asked_and_allowed() {
    let s = served().await;
    let subject = token_for(&s, "assistant", Some("alice"), &[]);
    let (status, body) = federated(&s, "assistant", &subject, Some("drive")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = federated(&s, "assistant", &subject, Some("calendar.readonly")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "calendar.readonly");
}

#[tokio::test]
async fn a_subject_token_without_the_connections_scope_is_refused() {
    let s = served().await;
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
    vault.add_connection(ConnectionConfig::new("google"));
    vault
        .store_for(
            &Accessor::trusted_system(&s.issuer, "alice", "assistant"),
            "google",
            &google_tokens(&["email"]),
        )
        .unwrap();
    s.authority.register_grant(Arc::new(
        FederatedConnectionGrant::new(vault, s.issuer.clone()).connection(
            "google",
            ConnectionAccess::new()
                .client("assistant")
                .scopes(["email"])
                .subject_scope("vault:gmail"),
        ),
    ));
    let subject = token_for(&s, "assistant", Some("alice"), &[]);
    let (status, body) = federated(&s, "assistant", &subject, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}
