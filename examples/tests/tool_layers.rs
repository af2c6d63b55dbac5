//! Tools as layers: FGA check, CIBA approval (through the reference
//! authority's CIBA OP), vault credential, output filter and audit around one
//! tool, in two nesting orders; a denial by FGA never reaches approval or the
//! vault, a denial by the person never fetches the credential.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::{AuditAction, AuditEvent, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use agent_auth::tool::{
    AuditLayer, BoxTool, FgaCheck, FgaLayer, ToolCall, ToolContext, ToolError, ToolOutput, boxed,
    tool_fn,
};
use agent_auth::validate::{AccessToken, IdToken, Validator};
use ciba_client::guard::{ApprovalAsk, ApprovalLayer, CibaApprover, Requirement};
use ciba_client::{ApprovedTokens, CibaClient, ClientAuth, DeliveryMode, GRANT_TYPE, Hint};
use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};
use reference_authority::ciba::{Approval, ApprovalRequest, ChannelDevice, CibaConfig, CibaOp};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, GrantFacts, IssueOptions};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use token_vault_client::agent::{CredentialLayer, VaultCredential};
use token_vault_client::filter::{FilterMode, OutputFilter, OutputFilterLayer};
use token_vault_client::{
    Accessor, ConnectionConfig, Credential, MasterKey, MemoryVaultStore, StaticKeyProvider,
    TokenSet, TokenTool, Vault,
};
use tokio::sync::mpsc::UnboundedReceiver;
use tower::{ServiceBuilder, ServiceExt as _};

const SECRET: &str = "agent-secret-0123456789";
/// A Salesforce-shaped access token: the careless tool echoes it.
const SALESFORCE_TOKEN: &str = "00D5e000000abcd!AQ8AQJ3vX9pLmN2qR5sT7uV0wY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3vW5xY7zA9bC1dE3fG5hI7jK9lM1nO3";

struct World {
    authority: Authority,
    issuer: String,
    op: CibaOp,
    phone: UnboundedReceiver<ApprovalRequest>,
    approver: Arc<CibaApprover>,
    fga: Arc<dyn FgaBackend>,
    vault: Vault,
    vault_audit: MemorySink,
    audit: MemorySink,
    runs: Arc<AtomicUsize>,
}

async fn world() -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(reference_authority::UserSpec::new("sarah").id("user-sarah"))
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "email:send", "crm:update"]),
        )
        .unwrap();
    let device = ChannelDevice::new();
    let phone = device.take_receiver().unwrap();
    let op = CibaOp::install_with(
        &authority,
        Arc::new(device),
        CibaConfig::default().interval(1),
    );
    op.register_client("sales-agent", DeliveryMode::Poll, None)
        .unwrap();
    let app = reference_authority::http::router(authority.clone()).merge(op.router());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (endpoints, _) = CibaClient::discover(&issuer).await.unwrap();
    let id_tokens = Validator::<IdToken>::builder_shared(authority.keys().clone())
        .issuer(issuer.clone())
        .audience("sales-agent")
        .build();
    let client = CibaClient::builder(endpoints, ClientAuth::secret_basic("sales-agent", SECRET))
        .id_token_validator(id_tokens)
        .build();
    let approver = Arc::new(CibaApprover::new(client, Hint::LoginHint("sarah".into())));

    let engine = Engine::from_dsl(
        "model\n  schema 1.1\ntype user\ntype account\n  relations\n    define editor: [user]\n",
    )
    .unwrap();
    let fga = EmbeddedBackend::new(engine);
    fga.write(
        vec![TupleKey::new("account:acme", "editor", "user:user-sarah")],
        vec![],
    )
    .await
    .unwrap();

    let vault_audit = MemorySink::new();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .audit(Arc::new(vault_audit.clone()))
        .build();
    vault.add_connection(
        ConnectionConfig::new("salesforce").reconnect_url("https://app.example/connect/salesforce"),
    );
    vault
        .store_for(
            &Accessor::trusted_system("acme", "user-sarah", "sales-agent"),
            "salesforce",
            &Credential::OAuth(TokenSet {
                access_token: SecretString::new(SALESFORCE_TOKEN),
                refresh_token: None,
                expires_at: None,
                scopes: vec!["api".into()],
                token_type: "Bearer".into(),
            }),
        )
        .unwrap();
    World {
        authority,
        issuer,
        op,
        phone,
        approver,
        fga: Arc::new(fga),
        vault,
        vault_audit,
        audit: MemorySink::new(),
        runs: Arc::new(AtomicUsize::new(0)),
    }
}

impl World {
    /// Who acts: from an access token the authority issued and the agent validated.
    fn context(&self, user: &str) -> ToolContext {
        let issued = self
            .authority
            .issue(
                &GrantFacts {
                    client_id: "sales-agent".into(),
                    user_id: Some(user.into()),
                    scope: vec!["crm:update".into()],
                    ..GrantFacts::default()
                },
                IssueOptions::default(),
            )
            .unwrap();
        let token = Validator::<AccessToken>::builder_shared(self.authority.keys().clone())
            .issuer(self.issuer.clone())
            .audience(self.issuer.clone())
            .build()
            .validate_cached(issued.access_token.expose_secret())
            .unwrap();
        ToolContext::from_token(&token).unwrap()
    }

    fn call(&self, user: &str, amount: u64) -> ToolCall {
        ToolCall::new(
            "send_proposal",
            json!({"customer": "acme", "amount": amount}),
            self.context(user),
        )
    }

    /// The tool: sends the proposal with the Salesforce token and, carelessly,
    /// echoes the token in its output.
    fn tool(&self) -> impl agent_auth::tool::Tool {
        let runs = Arc::clone(&self.runs);
        tool_fn(move |call: ToolCall| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move {
                let credential = call
                    .extensions()
                    .get::<VaultCredential>()
                    .ok_or_else(|| ToolError::tool("no credential"))?;
                let approved = call.extensions().get::<ApprovedTokens>().is_some();
                Ok(ToolOutput::json(json!({
                    "sent": true,
                    "approved": approved,
                    "debug": format!("Authorization: Bearer {}", credential.token().expose_secret()),
                })))
            }
        })
    }

    fn fga_layer(&self) -> FgaLayer {
        FgaLayer::new(Arc::clone(&self.fga)).rule("send_proposal", |call: &ToolCall| {
            let customer = call.arguments()["customer"]
                .as_str()
                .ok_or_else(|| ToolError::InvalidArguments("no customer".into()))?;
            Ok(FgaCheck::new(format!("account:{customer}"), "editor"))
        })
    }

    fn approval_layer(&self) -> ApprovalLayer {
        ApprovalLayer::new(
            |call: &ToolCall| {
                let amount = call.arguments()["amount"].as_u64().unwrap_or(u64::MAX);
                if amount <= 100_000 {
                    Requirement::NotNeeded
                } else {
                    Requirement::Approval(ApprovalAsk::new(
                        format!("Acme Corp - {amount} EUR"),
                        ["email:send"],
                    ))
                }
            },
            self.approver.clone(),
        )
    }

    fn credential_layer(&self) -> CredentialLayer {
        CredentialLayer::new(
            TokenTool::new(self.vault.clone(), "salesforce", &["api"]),
            "acme",
        )
    }

    fn filter_layer(&self) -> OutputFilterLayer {
        let values = self.vault.secret_values().unwrap();
        OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact).with_values(&values))
    }

    fn audit_layer(&self) -> AuditLayer {
        AuditLayer::new(
            Arc::new(self.audit.clone()),
            Arc::new(ManualClock::new(1_800_000_000)),
        )
    }

    /// Audit outermost, then the output filter, FGA, approval, credential.
    fn stack_a(&self) -> BoxTool {
        boxed(
            ServiceBuilder::new()
                .layer(self.audit_layer())
                .layer(self.filter_layer())
                .layer(self.fga_layer())
                .layer(self.approval_layer())
                .layer(self.credential_layer())
                .service(self.tool()),
        )
    }

    /// Another nesting: FGA outermost, then approval, audit, credential, and
    /// the filter right around the tool.
    fn stack_b(&self) -> BoxTool {
        boxed(
            ServiceBuilder::new()
                .layer(self.fga_layer())
                .layer(self.approval_layer())
                .layer(self.audit_layer())
                .layer(self.credential_layer())
                .layer(self.filter_layer())
                .service(self.tool()),
        )
    }

    /// Sarah answers the next request on her phone.
    async fn sarah(&mut self, approve: bool) -> ApprovalRequest {
        let ask = self.phone.recv().await.unwrap();
        if approve {
            self.op
                .approve(&ask.approval_id, Approval::all())
                .await
                .unwrap();
        } else {
            self.op.deny(&ask.approval_id).await.unwrap();
        }
        ask
    }

    fn vault_reads(&self) -> usize {
        self.vault_audit
            .events()
            .iter()
            .filter(|e| e.action == AuditAction::VaultAccess)
            .count()
    }
}

fn last(audit: &MemorySink) -> AuditEvent {
    audit.events().pop().expect("an audit event")
}

async fn approved_call_is_filtered_and_audited(w: &mut World, stack: BoxTool) {
    let runs = w.runs.load(Ordering::SeqCst);
    let call = w.call("user-sarah", 450_000);
    let (out, ask) = tokio::join!(stack.oneshot(call), w.sarah(true));
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450000 EUR")
    );
    let out = out.unwrap();
    let json = out.as_json().unwrap();
    assert_eq!(json["sent"], true);
    assert_eq!(
        json["approved"], true,
        "the approved tokens reached the tool"
    );
    let shown = out.to_string();
    assert!(!shown.contains(SALESFORCE_TOKEN), "{shown}");
    assert!(shown.contains("[REDACTED:"), "{shown}");
    assert_eq!(w.runs.load(Ordering::SeqCst), runs + 1);

    let event = last(&w.audit);
    assert_eq!(event.action, AuditAction::Other("tool_call".into()));
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.agent.as_deref(), Some("sales-agent"));
    assert_eq!(event.user.as_deref(), Some("user-sarah"));
    assert_eq!(event.details["tool"], "send_proposal");
    assert!(
        !serde_json::to_string(&event)
            .unwrap()
            .contains(SALESFORCE_TOKEN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_layer_acts_in_either_nesting_order() {
    let mut w = world().await;
    let stack = w.stack_a();
    approved_call_is_filtered_and_audited(&mut w, stack).await;
    let stack = w.stack_b();
    approved_call_is_filtered_and_audited(&mut w, stack).await;

    // Below the threshold nobody is asked; the credential is still injected.
    let out = w
        .stack_a()
        .oneshot(w.call("user-sarah", 10_000))
        .await
        .unwrap();
    assert_eq!(out.as_json().unwrap()["approved"], false);
    assert!(w.phone.try_recv().is_err(), "no approval was asked");
    assert_eq!(w.audit.events().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fga_denial_never_reaches_approval_or_the_vault() {
    let mut w = world().await;
    w.authority
        .register_user(reference_authority::UserSpec::new("mallory").id("user-mallory"))
        .unwrap();
    let reads = w.vault_reads();
    for stack in [w.stack_a(), w.stack_b()] {
        let err = stack
            .oneshot(w.call("user-mallory", 450_000))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ToolError::Forbidden { user, .. } if user == "user:user-mallory"),
            "{err:?}"
        );
    }
    // Audit is outermost in the first order: it records the refusal.
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Outcome::Denied);
    assert_eq!(events[0].reason.as_deref(), Some("forbidden"));
    assert_eq!(events[0].user.as_deref(), Some("user-mallory"));
    assert!(w.phone.try_recv().is_err(), "no approval was asked");
    assert_eq!(w.vault_reads(), reads, "the vault was never read");
    assert_eq!(w.runs.load(Ordering::SeqCst), 0, "the tool never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_denial_never_fetches_the_credential() {
    let mut w = world().await;
    let reads = w.vault_reads();
    for stack in [w.stack_a(), w.stack_b()] {
        let call = w.call("user-sarah", 450_000);
        let (result, _) = tokio::join!(stack.oneshot(call), w.sarah(false));
        assert!(
            matches!(result, Err(ToolError::ApprovalDenied)),
            "{result:?}"
        );
    }
    let event = last(&w.audit);
    assert_eq!(event.outcome, Outcome::Denied);
    assert_eq!(event.reason.as_deref(), Some("approval_denied"));
    assert_eq!(
        w.audit.events().len(),
        1,
        "the second order audits inside approval"
    );
    assert_eq!(w.vault_reads(), reads, "the vault was never read");
    assert_eq!(w.runs.load(Ordering::SeqCst), 0, "the tool never ran");
}
