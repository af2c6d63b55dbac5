//! Refresh and connected accounts against oidc-provider 9.13.3 as the
//! third-party provider (peers/token-vault-provider.mjs): the authorization-code
//! flow fills the vault, proactive refresh with real refresh-token rotation
//! (one refresh for many concurrent readers), and a revoked grant surfacing as
//! consent-required.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock as _, ManualClock, SystemClock};
use agent_auth::secret::SecretString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use token_vault_client::oauth::{ConnectedAccounts, OAuthClient};
use token_vault_client::*;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

fn peers() -> PathBuf {
    node_peers::dir()
}

fn node() -> PathBuf {
    node_peers::node(&["oidc-provider"])
}

struct Peer {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Peer {
    async fn ask(&mut self, line: &str) -> String {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
        self.next().await
    }
    async fn next(&mut self) -> String {
        loop {
            let line = self.line().await;
            // oidc-provider writes its notices to stdout too.
            if !line.starts_with("oidc-provider ") {
                return line;
            }
        }
    }
    async fn line(&mut self) -> String {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("peer answered in time")
            .unwrap()
            .expect("peer is running");
        assert!(!line.starts_with("ERROR"), "peer: {line}");
        line
    }
}

/// Starts the provider peer; returns it and its issuer.
async fn start_peer(redirect: &str) -> (Peer, String) {
    let mut child = tokio::process::Command::new(node())
        .arg("token-vault-provider.mjs")
        .current_dir(peers())
        .env("REDIRECT_URI", redirect)
        .env("CLIENT_ID", "vault-client")
        .env("CLIENT_SECRET", "vault-client-secret-0123456789abcdef")
        .env("USER_LOGIN", "alice-at-provider")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut peer = Peer {
        child,
        stdin,
        lines,
    };
    let issuer = peer
        .next()
        .await
        .strip_prefix("ISSUER ")
        .unwrap()
        .to_owned();
    (peer, issuer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connected_account_refresh_rotation_and_revocation_with_oidc_provider() {
    let redirect = "http://127.0.0.1:9/connected/callback";
    let (mut peer, issuer) = start_peer(redirect).await;

    let clock = ManualClock::new(SystemClock.now());
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteVaultStore::open(dir.path().join("v.db")).unwrap());
    let vault = Vault::builder(store.clone(), keys.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_policy(RefreshPolicy {
            margin: 10,
            jitter: 5,
        })
        .build();
    let client = OAuthClient::new(
        format!("{issuer}/auth"),
        format!("{issuer}/token"),
        "vault-client",
        Some(SecretString::new("vault-client-secret-0123456789abcdef")),
        redirect,
    )
    .unwrap();
    vault.add_connection(
        ConnectionConfig::new("calendar")
            .refresher(Arc::new(client.clone()))
            .reconnect_url("https://app.example/connect"),
    );
    let alice = Accessor::trusted_system("acme", "alice", "assistant");

    // Connected accounts: authorization code + PKCE, the user signs in and consents.
    let flow = ConnectedAccounts::new(vault.clone(), "calendar", client.clone());
    let url = flow
        .start(&alice, &["openid", "offline_access", "calendar.readonly"])
        .unwrap();
    let callback = peer.ask(&format!("AUTHORIZE {url}")).await;
    let callback = callback.strip_prefix("CALLBACK ").unwrap();
    assert!(callback.contains("code="));
    assert_eq!(flow.complete(callback).await.unwrap(), 1);
    assert!(
        flow.complete(callback).await.is_err(),
        "a state is used once"
    );
    let key = CredentialKey::new("acme", "alice", "calendar");
    let refresh_of = |store: &SqliteVaultStore| {
        let r = store.get(&key).unwrap().unwrap();
        match envelope::open(&*keys, &r).unwrap() {
            Credential::OAuth(t) => t.refresh_token.unwrap().expose_secret().to_owned(),
            _ => panic!("kind"),
        }
    };
    let rt0 = refresh_of(&store);
    let at0 = vault
        .get(&alice, "calendar", &["calendar.readonly"])
        .await
        .unwrap();
    assert_eq!(vault.refresh_count(), 0);

    // Past expiry - margin: 200 concurrent readers, one refresh, rotated refresh token.
    clock.advance(60);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let vault = vault.clone();
        let alice = alice.clone();
        tasks.push(tokio::spawn(async move {
            vault
                .get(&alice, "calendar", &["calendar.readonly"])
                .await
                .unwrap()
                .secret()
                .to_owned()
        }));
    }
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        seen.insert(t.await.unwrap());
    }
    assert_eq!(seen.len(), 1);
    assert!(!seen.contains(at0.secret()));
    assert_eq!(vault.refresh_count(), 1);
    let rt1 = refresh_of(&store);
    assert_ne!(
        rt0, rt1,
        "oidc-provider rotated the refresh token and the vault stored it"
    );

    // The stored rotated token works for the next refresh.
    clock.advance(60);
    vault.get(&alice, "calendar", &[]).await.unwrap();
    assert_eq!(vault.refresh_count(), 2);

    // The user revokes the app at the provider: consent required, connection marked.
    let revoked = peer.ask("REVOKE_ALL").await;
    assert!(revoked.starts_with("REVOKED "), "{revoked}");
    clock.advance(60);
    match vault.get(&alice, "calendar", &["calendar.readonly"]).await {
        Err(VaultError::ConsentRequired(c)) => {
            assert_eq!(c.connection, "calendar");
            assert_eq!(c.missing_scopes, ["calendar.readonly"]);
            assert!(c.reconnect_url.unwrap().contains("connection=calendar"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.get(&key).unwrap().unwrap().status,
        Status::ConsentRequired
    );
    drop(peer.stdin);
    let _ = peer.child.kill().await;
}

/// A security signal ends Alice's access: the vault wipes her connection and
/// revokes its refresh and access tokens at oidc-provider's RFC 7009 endpoint
/// (found in the provider's metadata), after which the provider refuses both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signal_revokes_the_refresh_token_at_oidc_provider() {
    use agent_auth::audit::{AuditAction, MemorySink, Outcome};
    use agent_auth::oauth::{AuthorizationServerMetadata, HttpClient};
    use agent_auth::signals::{Signal, SignalKind, SignalSubscriber, Subject};

    let redirect = "http://127.0.0.1:9/connected/callback";
    let (mut peer, issuer) = start_peer(redirect).await;
    let metadata = AuthorizationServerMetadata::discover(&HttpClient::new().unwrap(), &issuer)
        .await
        .unwrap();
    assert!(
        metadata.revocation_endpoint.is_some(),
        "the peer offers RFC 7009"
    );
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let store = Arc::new(MemoryVaultStore::new());
    let audit = MemorySink::new();
    let vault = Vault::builder(store.clone(), keys.clone())
        .audit(Arc::new(audit.clone()))
        .build();
    let client = OAuthClient::new(
        metadata.authorization_endpoint.clone().unwrap(),
        metadata.token_endpoint.clone().unwrap(),
        "vault-client",
        Some(SecretString::new("vault-client-secret-0123456789abcdef")),
        redirect,
    )
    .unwrap()
    .revocation_endpoint(metadata.revocation_endpoint.clone())
    .unwrap();
    vault.add_connection(
        ConnectionConfig::new("calendar")
            .refresher(Arc::new(client.clone()))
            .revoker(Arc::new(client.clone())),
    );
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    let flow = ConnectedAccounts::new(vault.clone(), "calendar", client.clone());
    let url = flow
        .start(&alice, &["openid", "offline_access", "calendar.readonly"])
        .unwrap();
    let callback = peer.ask(&format!("AUTHORIZE {url}")).await;
    flow.complete(callback.strip_prefix("CALLBACK ").unwrap())
        .await
        .unwrap();
    let key = CredentialKey::new("acme", "alice", "calendar");
    let (refresh_token, access_token) =
        match envelope::open(&*keys, &store.get(&key).unwrap().unwrap()).unwrap() {
            Credential::OAuth(t) => (t.refresh_token.unwrap(), t.access_token),
            _ => panic!("kind"),
        };
    let active = format!("ACTIVE {}", access_token.expose_secret());
    assert_eq!(peer.ask(&active).await, "ACTIVE yes");

    let signal = Signal::local(
        SignalKind::SessionRevoked,
        Subject::IssSub {
            iss: "https://idp.example".into(),
            sub: "alice".into(),
        },
        &["https://idp.example"],
        SystemClock.now(),
    );
    VaultSignals::new(vault.clone(), "acme", "https://idp.example")
        .on_signal(&signal)
        .await;

    assert!(store.get(&key).unwrap().is_none(), "wiped from the vault");
    assert!(
        audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::TokenRevoked && e.outcome == Outcome::Success)
    );
    // Both tokens were revoked, each audited by kind.
    for kind in ["refresh_token", "access_token"] {
        assert!(
            audit
                .events()
                .iter()
                .any(|e| e.action == AuditAction::TokenRevoked
                    && e.outcome == Outcome::Success
                    && e.details["token"] == kind),
            "{kind} revoked"
        );
    }
    // The provider no longer honours either token.
    assert_eq!(peer.ask(&active).await, "ACTIVE no");
    match client.refresh(&refresh_token, &[]).await {
        Err(RefreshError::ConsentGone(_)) => {}
        other => panic!("the revoked refresh token still works: {other:?}"),
    }
    drop(peer.stdin);
    let _ = peer.child.kill().await;
}

/// Per-agent down-scoping against oidc-provider: the user granted
/// `calendar.readonly calendar.events`, the agent may use
/// `calendar.readonly` only, and the vault hands it a token the provider
/// issued on a refresh with the narrower `scope` (RFC 6749 section 6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_down_scoping_refresh_with_oidc_provider() {
    let redirect = "http://127.0.0.1:9/connected/callback";
    let (mut peer, issuer) = start_peer(redirect).await;
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let rules =
        StaticAgentConnections::new().allow("assistant", "calendar", &["calendar.readonly"], true);
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .agent_connections(Arc::new(rules))
        .build();
    let client = OAuthClient::new(
        format!("{issuer}/auth"),
        format!("{issuer}/token"),
        "vault-client",
        Some(SecretString::new("vault-client-secret-0123456789abcdef")),
        redirect,
    )
    .unwrap();
    vault.add_connection(ConnectionConfig::new("calendar").refresher(Arc::new(client.clone())));
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    let flow = ConnectedAccounts::new(vault.clone(), "calendar", client.clone());
    let url = flow
        .start(
            &alice,
            &[
                "openid",
                "offline_access",
                "calendar.readonly",
                "calendar.events",
            ],
        )
        .unwrap();
    let callback = peer.ask(&format!("AUTHORIZE {url}")).await;
    let callback = callback.strip_prefix("CALLBACK ").unwrap();
    assert_eq!(flow.complete(callback).await.unwrap(), 1);

    let token = vault
        .get(&alice, "calendar", &["calendar.readonly"])
        .await
        .unwrap();
    match &token {
        IssuedCredential::AccessToken { scopes, .. } => {
            assert_eq!(&**scopes, ["calendar.readonly"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        vault.get(&alice, "calendar", &["calendar.events"]).await,
        Err(VaultError::ScopeNotAllowed { .. })
    ));
    peer.child.kill().await.unwrap();
}
