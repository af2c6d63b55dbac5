//! The world the tool-layer tests run in (the rig tests here, and the
//! examples' `tool_layers` test includes this file): the reference authority
//! (token issuer and CIBA OP on loopback HTTP), an FGA store, a vault
//! holding Sarah's Salesforce token and auditing its reads, an audit sink.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use agent_auth::tool::{AuditLayer, FgaCheck, FgaLayer, ToolCall, ToolContext, ToolError};
use agent_auth::validate::{AccessToken, IdToken, Validator};
use ciba_client::guard::{ApprovalAsk, ApprovalLayer, CibaApprover, Requirement};
use ciba_client::{CibaClient, ClientAuth, DeliveryMode, GRANT_TYPE, Hint};
use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};
use reference_authority::ciba::{Approval, ApprovalRequest, ChannelDevice, CibaConfig, CibaOp};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, GrantFacts, IssueOptions};
use std::sync::Arc;
use token_vault_client::agent::CredentialLayer;
use token_vault_client::{
    Accessor, ConnectionConfig, Credential, MasterKey, MemoryVaultStore, StaticKeyProvider,
    TokenSet, TokenTool, Vault,
};
use tokio::sync::mpsc::UnboundedReceiver;

pub const SECRET: &str = "agent-secret-0123456789";
/// A Salesforce-shaped access token the careless tool echoes.
pub const SALESFORCE_TOKEN: &str = "00D5e000000abcd!AQ8AQJ3vX9pLmN2qR5sT7uV0wY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3vW5xY7zA9bC1dE3fG5hI7jK9lM1nO3";

pub struct World {
    pub authority: Authority,
    pub issuer: String,
    pub op: CibaOp,
    pub phone: UnboundedReceiver<ApprovalRequest>,
    pub approver: Arc<CibaApprover>,
    pub fga: Arc<dyn FgaBackend>,
    pub vault: Vault,
    /// What the vault audited.
    pub vault_audit: MemorySink,
    pub audit: MemorySink,
}

pub async fn world() -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    for (name, id) in [("sarah", "user-sarah"), ("mallory", "user-mallory")] {
        authority
            .register_user(reference_authority::UserSpec::new(name).id(id))
            .unwrap();
    }
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TYPE])
                .scopes(["openid", "crm:update"]),
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
    vault.add_connection(ConnectionConfig::new("salesforce"));
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
    }
}

impl World {
    /// Who acts: from an access token the authority issued, validated.
    pub fn context(&self, user: &str) -> ToolContext {
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

    pub fn audit_layer(&self) -> AuditLayer {
        AuditLayer::new(
            Arc::new(self.audit.clone()),
            Arc::new(ManualClock::new(1_800_000_000)),
        )
    }

    pub fn fga_layer(&self) -> FgaLayer {
        FgaLayer::new(Arc::clone(&self.fga)).rule("send_proposal", |call: &ToolCall| {
            let customer = call.arguments()["customer"]
                .as_str()
                .ok_or_else(|| ToolError::InvalidArguments("no customer".into()))?;
            Ok(FgaCheck::new(format!("account:{customer}"), "editor"))
        })
    }

    /// Proposals above 100,000 need the user's approval.
    pub fn approval_layer(&self) -> ApprovalLayer {
        ApprovalLayer::new(
            |call: &ToolCall| {
                let amount = call.arguments()["amount"].as_u64().unwrap_or(u64::MAX);
                if amount <= 100_000 {
                    Requirement::NotNeeded
                } else {
                    Requirement::Approval(ApprovalAsk::new(
                        format!("Acme Corp - {amount} EUR"),
                        ["crm:update"],
                    ))
                }
            },
            self.approver.clone(),
        )
    }

    pub fn credential_layer(&self) -> CredentialLayer {
        CredentialLayer::new(
            TokenTool::new(self.vault.clone(), "salesforce", &["api"]),
            "acme",
        )
    }

    /// How many times the vault was read.
    pub fn vault_reads(&self) -> usize {
        self.vault_audit
            .events()
            .iter()
            .filter(|e| e.action == AuditAction::VaultAccess)
            .count()
    }

    /// The user answers the next request on the phone.
    pub async fn answer(&mut self, approve: bool) -> ApprovalRequest {
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
}
