//! The seed scenario's phase 8, done when: the sales agent is active with
//! three users' tokens; two MCP servers behind mcp-guard and the token vault
//! receive the authority's SETs by push (RFC 8935) on loopback; each user's
//! vault connection holds a refresh token issued by oidc-provider (the
//! `peers/` provider, a real independent server). The anomaly detector fires
//! the kill switch and, when the call returns, every guard refuses every
//! token, the provider refuses every old refresh token (the vault revoked
//! them by RFC 7009), every receiver acknowledged, and the evidence (request,
//! reason, every `jti`, every acknowledgement) sits in the signed audit log
//! with an inclusion proof against its checkpoint.

use crate::peer::Peer;
use crate::support::*;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::oauth::{AuthorizationServerMetadata, HttpClient};
use agent_auth::secret::SecretString;
use agent_auth::signals::{PushEndpoint, SetReceiver};
use mcp_guard::revocation::ssf::SsfReceiver;
use mcp_guard::verify::TrustedIssuer;
use mcp_guard::{Guard, HostPolicy, ScopePolicy};
use reference_authority::ClientSpec;
use reference_authority::audit_log::verify_entry;
use reference_authority::audit_log::{AuditLog, AuditQuery, LogEntry, LogStorage, NoteSigner};
use reference_authority::kill_switch::{LogoutRequest, Target};
use reference_authority::signals::{DeliveryStatus, TransmitterConfig, types};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use token_vault_client::oauth::{ConnectedAccounts, OAuthClient};
use token_vault_client::*;

const ORIGIN: &str = "authority.example/audit-log";
const REASON: &str = "risk HIGH: 500 records in 10 minutes";
const GUARDS: [&str; 2] = ["crm-guard", "docs-guard"];
const VAULT: &str = "token-vault";
const CONNECTION: &str = "calendar";
const PROVIDER_REDIRECT: &str = "http://127.0.0.1:9/connected/callback";
const PROVIDER_CLIENT: &str = "vault-client";
const PROVIDER_SECRET: &str = "vault-client-secret-0123456789abcdef";

/// Registers `client` as an SSF receiver and creates its push stream to `url`,
/// which demands `Authorization: Bearer <push_secret>`.
async fn subscribe(f: &Fixture, client: &str, url: &str, push_secret: &str) -> String {
    f.authority
        .register_client(
            ClientSpec::confidential(client, RECEIVER_SECRET)
                .grant_types(["client_credentials"])
                .scopes(["ssf"]),
        )
        .unwrap();
    let token = f.client_token(client, RECEIVER_SECRET, "ssf").await;
    let stream = f
        .create_stream(
            &token,
            push_stream_body(
                url,
                Some(&format!("Bearer {push_secret}")),
                &[types::SESSION_REVOKED],
            ),
        )
        .await;
    stream["stream_id"].as_str().unwrap().to_owned()
}

/// An MCP server behind mcp-guard on loopback, whose revocation list hears
/// the authority's SETs at `/ssf`.
struct GuardedServer {
    resource: String,
    stream_id: String,
}

async fn guarded_server(f: &Fixture, name: &str) -> GuardedServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{origin}/mcp");
    let guard = Guard::builder(&resource)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            &f.base,
            f.authority.keys().active().verifying_key().clone(),
        ))
        .scopes(ScopePolicy::new().method("tools/list", &[]))
        .hosts(HostPolicy::loopback())
        .clock(Arc::new(f.clock.clone()))
        .build()
        .unwrap();
    let push_secret = format!("{name}-push-secret-0123456789");
    let receiver = SsfReceiver::new(guard.revocations().clone(), f.set_validator(name).await)
        .clock(Arc::new(f.clock.clone()))
        .push_secret(SecretString::new(push_secret.clone()))
        .router("/ssf");
    let app = axum::Router::new()
        .route("/mcp", axum::routing::post(|| async { "ok" }))
        .layer(guard.layer())
        .merge(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let stream_id = subscribe(f, name, &format!("{origin}/ssf"), &push_secret).await;
    GuardedServer {
        resource,
        stream_id,
    }
}

impl GuardedServer {
    /// Whether the guard lets `token` list the tools.
    async fn admits(&self, f: &Fixture, token: &str) -> bool {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
        let resp = f
            .http
            .post(&self.resource)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        match resp.status().as_u16() {
            200 => true,
            401 => false,
            other => panic!("the guard answered {other}"),
        }
    }
}

/// The token vault on loopback: its credentials of each user come from the
/// provider peer; its push endpoint at `/ssf` feeds `VaultSignals`.
struct VaultNode {
    vault_store: Arc<MemoryVaultStore>,
    keys: Arc<StaticKeyProvider>,
    client: OAuthClient,
    stream_id: String,
}

async fn vault_node(f: &Fixture, log: &AuditLog, peer: &mut Peer) -> VaultNode {
    let metadata = AuthorizationServerMetadata::discover(&HttpClient::new().unwrap(), &peer.issuer)
        .await
        .unwrap();
    let client = OAuthClient::new(
        metadata.authorization_endpoint.clone().unwrap(),
        metadata.token_endpoint.clone().unwrap(),
        PROVIDER_CLIENT,
        Some(SecretString::new(PROVIDER_SECRET)),
        PROVIDER_REDIRECT,
    )
    .unwrap()
    .revocation_endpoint(metadata.revocation_endpoint.clone())
    .unwrap();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault_store = Arc::new(MemoryVaultStore::new());
    let vault = Vault::builder(vault_store.clone(), keys.clone())
        .audit(Arc::new(log.clone()))
        .build();
    vault.add_connection(
        ConnectionConfig::new(CONNECTION)
            .refresher(Arc::new(client.clone()))
            .revoker(Arc::new(client.clone())),
    );
    // Each user connects their calendar for the agent (authorization code flow).
    let flow = ConnectedAccounts::new(vault.clone(), CONNECTION, client.clone());
    for user in USERS {
        let accessor = Accessor::trusted_system("acme", user, AGENT);
        let url = flow
            .start(
                &accessor,
                &["openid", "offline_access", "calendar.readonly"],
            )
            .unwrap();
        let callback = peer.ask(&format!("AUTHORIZE {url}")).await;
        flow.complete(callback.strip_prefix("CALLBACK ").unwrap())
            .await
            .unwrap();
    }
    let push_secret = "vault-push-secret-0123456789";
    let receiver = SetReceiver::builder(f.set_validator(VAULT).await)
        .token_issuers(&[f.base.as_str()])
        .clock(Arc::new(f.clock.clone()))
        .subscriber(Arc::new(VaultSignals::new(vault, "acme", f.base.clone())))
        .build();
    let endpoint = PushEndpoint::new(receiver)
        .authorization(SecretString::new(format!("Bearer {push_secret}")));
    let app = endpoint.router("/ssf");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ssf", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let stream_id = subscribe(f, VAULT, &url, push_secret).await;
    VaultNode {
        vault_store,
        keys,
        client,
        stream_id,
    }
}

impl VaultNode {
    /// The refresh token the provider issued for `user`, if the vault holds one.
    fn refresh_token(&self, user: &str) -> Option<SecretString> {
        let key = CredentialKey::new("acme", user, CONNECTION);
        let record = self.vault_store.get(&key).unwrap()?;
        match envelope::open(&*self.keys, &record).unwrap() {
            Credential::OAuth(t) => t.refresh_token,
            other => panic!("unexpected credential kind {:?}", other.kind()),
        }
    }
}

/// Checks `entry` against the log's current signed checkpoint.
fn assert_proven(log: &AuditLog, entry: &LogEntry) {
    let checkpoint = log.checkpoint();
    let bytes = log.entry_bytes(entry.index).unwrap();
    let proof = log.inclusion_proof(entry.index, log.size()).unwrap();
    verify_entry(
        &bytes,
        entry.index,
        &proof,
        &checkpoint,
        &log.verifier(),
        ORIGIN,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn phase_8_kill_switch_reaches_guards_vault_provider_and_audit_log() {
    let signer = NoteSigner::from_seed(ORIGIN, &[8; 32]).unwrap();
    let log = AuditLog::new(ORIGIN, signer, LogStorage::in_memory().unwrap()).unwrap();
    let f = fixture_audited(
        "",
        TransmitterConfig::default(),
        None,
        Some(Arc::new(log.clone())),
    )
    .await;
    let mut peer =
        Peer::token_vault_provider(PROVIDER_REDIRECT, PROVIDER_CLIENT, PROVIDER_SECRET).await;

    // The receivers: two guarded MCP servers and the vault, each with a push stream.
    let mut guards = Vec::new();
    for name in GUARDS {
        guards.push(guarded_server(&f, name).await);
    }
    let vault = vault_node(&f, &log, &mut peer).await;
    let streams: BTreeSet<String> = guards
        .iter()
        .map(|g| g.stream_id.clone())
        .chain([vault.stream_id.clone()])
        .collect();

    // The agent is active for Sarah, Bob and Carol at both MCP servers.
    let resources: Vec<String> = guards.iter().map(|g| g.resource.clone()).collect();
    let tokens: Vec<String> = USERS
        .iter()
        .map(|user| f.user_tokens_for(AGENT, user, &resources).0)
        .collect();
    for g in &guards {
        for t in &tokens {
            assert!(g.admits(&f, t).await, "the token works before the logout");
        }
    }
    let provider_tokens: Vec<SecretString> = USERS
        .iter()
        .map(|u| {
            vault
                .refresh_token(u)
                .expect("the vault holds the user's token")
        })
        .collect();

    // Day 45: the kill switch.
    let report = f
        .kill
        .fire(
            &LogoutRequest::new(Target::Agent(AGENT.into()), REASON)
                .requested_by("anomaly-detector"),
        )
        .await
        .unwrap();

    // Same step: every guard refuses every token.
    for g in &guards {
        for t in &tokens {
            assert!(!g.admits(&f, t).await, "a guard still admits a token");
        }
    }
    // The vault wiped each user's connection and the provider refuses the old
    // refresh tokens: the peer saw the RFC 7009 revocations.
    for (user, rt) in USERS.iter().zip(&provider_tokens) {
        assert!(vault.refresh_token(user).is_none(), "{user} not wiped");
        match vault.client.refresh(rt, &[]).await {
            Err(RefreshError::ConsentGone(_)) => {}
            other => panic!("the provider still honours {user}'s refresh token: {other:?}"),
        }
    }
    // Every receiver acknowledged every SET: the agent, and each user it served.
    assert_eq!(report.signals.len(), 4 * streams.len());
    assert_eq!(report.deliveries.len(), report.signals.len());
    assert!(
        report
            .deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Acknowledged),
        "{:?}",
        report.deliveries
    );
    let acked: BTreeSet<String> = report
        .deliveries
        .iter()
        .map(|d| d.stream_id.clone())
        .collect();
    assert_eq!(acked, streams);
    let receivers: BTreeSet<&str> = report
        .deliveries
        .iter()
        .map(|d| d.receiver.as_str())
        .collect();
    assert_eq!(
        receivers,
        BTreeSet::from(["crm-guard", "docs-guard", VAULT])
    );

    // The evidence, each entry proven included in the signed log.
    let with_txn = |e: &LogEntry| e.event.details.get("txn") == Some(&json!(report.txn));
    let requested = log
        .query(&AuditQuery::new().action(AuditAction::Logout))
        .unwrap()
        .into_iter()
        .find(|e| with_txn(e) && e.event.details.get("kill_switch") == Some(&json!("requested")))
        .expect("the logout request is in the log");
    assert_eq!(requested.event.reason.as_deref(), Some(REASON));
    assert_eq!(
        requested.event.details["requested_by"],
        json!("anomaly-detector")
    );
    assert_proven(&log, &requested);
    let revoked = log
        .query(&AuditQuery::new().action(AuditAction::TokenRevoked))
        .unwrap()
        .into_iter()
        .find(with_txn)
        .expect("the revocation is in the log");
    let mut jtis: Vec<String> =
        serde_json::from_value(revoked.event.details["jtis"].clone()).unwrap();
    let mut expected_jtis = report.revoked_access_tokens.clone();
    jtis.sort();
    expected_jtis.sort();
    assert_eq!(jtis.len(), USERS.len());
    assert_eq!(jtis, expected_jtis);
    assert_proven(&log, &revoked);
    let deliveries = log
        .query(&AuditQuery::new().action(AuditAction::Other("ssf_delivery".into())))
        .unwrap();
    for d in &report.deliveries {
        let entry = deliveries
            .iter()
            .find(|e| {
                e.event.details.get("jti") == Some(&json!(d.jti))
                    && e.event.details.get("stream_id") == Some(&json!(d.stream_id))
            })
            .expect("every acknowledgement is in the log");
        assert_eq!(entry.event.outcome, Outcome::Success);
        assert_eq!(entry.event.agent.as_deref(), Some(d.receiver.as_str()));
        assert_proven(&log, entry);
    }
    // The vault's revocations at the provider (refresh and access token of
    // each user) landed in the same log.
    let revoked = log
        .query(&AuditQuery::new().action(AuditAction::TokenRevoked))
        .unwrap();
    for kind in ["refresh_token", "access_token"] {
        let at_provider = revoked
            .iter()
            .filter(|e| {
                e.event.details.get("connection") == Some(&json!(CONNECTION))
                    && e.event.details.get("token") == Some(&json!(kind))
                    && e.event.outcome == Outcome::Success
            })
            .count();
        assert_eq!(at_provider, USERS.len(), "{kind} revocations");
    }
    // Nothing secret went into the log.
    for index in 0..log.size() {
        let bytes = String::from_utf8(log.entry_bytes(index).unwrap()).unwrap();
        for t in &tokens {
            assert!(!bytes.contains(t.as_str()));
        }
        for rt in &provider_tokens {
            assert!(!bytes.contains(rt.expose_secret()));
        }
    }
    peer.stop().await;
}
