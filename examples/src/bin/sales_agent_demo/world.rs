//! Everything the scenario runs on, started in process: Acme's authority
//! (OpenID provider, token endpoint, CIBA OP, Token Vault grant) and the
//! guarded CRM MCP server on loopback ports, the "Google" identity provider
//! stand-in (a second authority on loopback, reached as the corporate
//! authority's federated connection), the security console on the
//! authority, the seed FGA store, and the vault holding Sarah's Salesforce
//! token. How the agent side reaches them is the wiring's ([`Parties`]).

use crate::connected::Connected;
use crate::control::{Control, SECURITY_TEAM};
use crate::pricing::Pricing;
use crate::traffic::Traffic;
use crate::wiring::Parties;
use agent_auth::audit::{FanoutSink, MemorySink, SharedSink};
use agent_auth::clock::{ManualClock, SharedClock, SystemClock};
use agent_auth::login::{ClientAuth, LoginClient, LoginConfig};
use agent_auth::secret::SecretString;
use agent_auth::validate::{SecurityEvent, Validator};
use ciba_client::DeliveryMode;
use examples::seed_mcp::{seed_app, seed_engine, seed_fga, seed_policy};
use fga_core::{EmbeddedBackend, FgaBackend};
use mcp_guard::revocation::ssf::{SESSION_REVOKED, SsfReceiver};
use mcp_guard::{Guard, HostPolicy, TrustedIssuer};
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
use reference_authority::ciba::{ApprovalRequest, ChannelDevice, CibaConfig, CibaOp};
use reference_authority::directory::PersonPatch;
use reference_authority::discovery::Discovery;
use reference_authority::governance::Governance;
use reference_authority::registry::Actor;
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, ConnectionAccess, FederatedConnectionGrant,
    OidcConnection, UserSpec, grant_types, paths,
};
use serde_json::json;
use std::error::Error;
use std::sync::Arc;
use token_vault_client::{
    Accessor, ConnectionConfig, Credential, MasterKey, MemoryVaultStore, StaticKeyProvider,
    TokenSet, Vault,
};
use tokio::sync::mpsc::UnboundedReceiver;

/// The sales portal Sarah signs in to.
pub(crate) const PORTAL: &str = "sales-portal";
/// Where the portal receives the login (never served: the demo reads it).
pub(crate) const PORTAL_REDIRECT: &str = "https://portal.acmecorp.example/callback";
/// The sales agent's client id.
pub(crate) const AGENT: &str = "sales-agent-prod-001";
/// The tenant of Acme's vault.
pub(crate) const TENANT: &str = "acme";
/// Sarah's user id at Acme's authority.
pub(crate) const SARAH: &str = "sarah";
/// Sarah's password at Acme (the demo plays her typing it).
pub(crate) const SARAH_PASSWORD: &str = "correct horse battery staple";
/// Sarah's authenticator seed (the demo plays her phone).
pub(crate) const SARAH_TOTP: &[u8] = b"sarah-totp-seed-0123";
/// Sarah's subject at Google.
pub(crate) const SARAH_AT_GOOGLE: &str = "google-uid-1029384756";

const PORTAL_SECRET: &str = "portal-secret-0123456789abcdef";
const AGENT_SECRET: &str = "agent-secret-0123456789abcdef";
const BROKER_SECRET: &str = "broker-secret-0123456789abcdef";
/// The CRM MCP server's name as an SSF receiver.
const CRM_RECEIVER: &str = "crm-mcp";
const CRM_PUSH_SECRET: &str = "crm-push-secret-0123456789abcdef";
const SALESFORCE_TOKEN: &str =
    "00D5e000000abcd!AQ8AQJ3vX9pLmN2qR5sT7uV0wY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3vW5xY7zA9bC1dE3";

/// The running scenario.
pub(crate) struct World {
    /// Acme's authority.
    pub(crate) authority: Authority,
    /// Its issuer URL (loopback).
    pub(crate) issuer: String,
    /// Everything the authority decided, as it recorded it.
    pub(crate) authority_audit: MemorySink,
    /// The authority's tamper-evident audit log: the authority's events and
    /// the agent's tool calls.
    pub(crate) log: AuditLog,
    /// The "Google" stand-in.
    pub(crate) google: Authority,
    /// Its issuer URL (loopback).
    pub(crate) google_url: String,
    /// How the agent side and the people reach the parties.
    pub(crate) parties: Parties,
    /// The requests the loopback servers answered.
    pub(crate) traffic: Traffic,
    /// Shadow-agent discovery, following the audit log.
    pub(crate) discovery: Discovery,
    /// Governance: templates, registration, reviews.
    pub(crate) governance: Governance,
    /// The guarded CRM MCP server's URL.
    pub(crate) mcp: String,
    /// The CIBA OP, where Sarah's answers go.
    pub(crate) ciba: CibaOp,
    /// Sarah's phone: the approval requests she receives.
    pub(crate) phone: UnboundedReceiver<ApprovalRequest>,
    /// The seed FGA store.
    pub(crate) fga: Arc<dyn FgaBackend>,
    /// Acme's vault.
    pub(crate) vault: Vault,
    /// The agent's tool calls, as the audit layer recorded them.
    pub(crate) tool_audit: MemorySink,
    /// The clock everything runs on.
    pub(crate) clock: SharedClock,
    /// The CRM MCP server's clock: the demo moves it through the ten
    /// minutes of phase 8.
    pub(crate) crm_clock: ManualClock,
    /// Detection and response.
    pub(crate) control: Control,
    /// The pricing domain's authorization server (phase 4).
    pub(crate) pricing: Pricing,
    /// The vault's connected accounts at Google (phase 6).
    pub(crate) connected: Connected,
    /// The vault's clock: the demo moves it through phase 6.
    pub(crate) vault_clock: ManualClock,
}

impl World {
    /// Starts everything.
    pub(crate) async fn start(parties: Parties) -> Result<Self, Box<dyn Error>> {
        let clock: SharedClock = Arc::new(SystemClock);
        let traffic = Traffic::default();
        let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let issuer = format!("http://{}", as_listener.local_addr()?);
        let mcp_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mcp_origin = format!("http://{}", mcp_listener.local_addr()?);
        let mcp = format!("{mcp_origin}/mcp");
        let google_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let google_url = format!("http://{}", google_listener.local_addr()?);

        let authority_audit = MemorySink::new();
        let origin = "acmecorp.example/audit-log";
        let log = AuditLog::new(
            origin,
            NoteSigner::generate(origin)?,
            LogStorage::in_memory()?,
        )?;
        let authority = Authority::builder(&issuer)
            .config(AuthorityConfig::for_tests())
            .clock(clock.clone())
            .audit(Arc::new(FanoutSink::new(vec![
                Arc::new(log.clone()),
                Arc::new(authority_audit.clone()),
            ])))
            .build()?;
        register(&authority, &mcp)?;
        authority.register_grant(Arc::new(crate::pricing::exchange_grant()));
        let discovery = Discovery::new();
        log.observe(Arc::new(discovery.clone()));
        let vault_clock = ManualClock::new(clock.now());
        let vault = vault(&log, &vault_clock)?;
        let control = Control::start(&authority, &log, &vault, &traffic).await?;
        let governance = Governance::builder(&authority)
            .vault(vault.clone(), TENANT)
            .build();
        let google = google(&google_url, &issuer)?;
        let connected = crate::connected::start(&google, &vault, google_listener, &traffic).await?;
        authority.register_grant(Arc::new(vault_grant(&vault)));
        authority.add_connection(Arc::new(OidcConnection::new(
            "google",
            google_client(&parties, &google, &issuer, clock.clone()).await?,
        )));
        authority.link_identity("google", SARAH_AT_GOOGLE, SARAH)?;

        let device = ChannelDevice::new();
        let phone = device
            .take_receiver()
            .ok_or("the approval channel has no receiver")?;
        let ciba = CibaOp::install_with(
            &authority,
            Arc::new(device),
            CibaConfig::default().interval(1),
        );
        ciba.register_client(AGENT, DeliveryMode::Poll, None)?;
        let app = reference_authority::http::router(authority.clone())
            .merge(ciba.router())
            .merge(crate::console::router(&governance, &log, &discovery, &control).await?);
        let app = traffic
            .count("authority", app)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(axum::serve(as_listener, app).into_future());
        let pricing = crate::pricing::start(&issuer, &traffic).await?;

        let crm_clock = ManualClock::new(clock.now());
        let guard = Guard::builder(&mcp)?
            .trust(TrustedIssuer::remote_jwks(
                &issuer,
                &format!("{issuer}/jwks"),
            )?)
            .scopes(seed_policy(false))
            .hosts(HostPolicy::loopback())
            .resource_name("Acme CRM MCP server")
            .resource_access(seed_fga()?)
            .audit(Arc::new(log.clone()))
            .clock(Arc::new(crm_clock.clone()))
            .build()?;
        let mut crm = seed_app().layer(guard.layer());
        if parties.over_http() {
            // The kill switch reaches the guard by SSF push (RFC 8935).
            let sets = Validator::<SecurityEvent>::builder_shared(parties.keys_of(&authority)?)
                .issuer(issuer.clone())
                .audience(CRM_RECEIVER)
                .build();
            crm = crm.merge(
                SsfReceiver::new(guard.revocations().clone(), sets)
                    .push_secret(SecretString::new(CRM_PUSH_SECRET))
                    .router("/ssf"),
            );
            let stream = json!({
                "delivery": {
                    "method": "urn:ietf:rfc:8935",
                    "endpoint_url": format!("{mcp_origin}/ssf"),
                    "authorization_header": format!("Bearer {CRM_PUSH_SECRET}"),
                },
                "events_requested": [SESSION_REVOKED],
            });
            control.transmitter.create_stream(
                CRM_RECEIVER,
                stream.as_object().ok_or("a stream is an object")?,
            )?;
        } else {
            guard.revocations().follow(&authority);
        }
        tokio::spawn(axum::serve(mcp_listener, traffic.count("crm", crm)).into_future());

        Ok(Self {
            authority,
            issuer,
            authority_audit,
            log,
            google,
            google_url,
            parties,
            traffic,
            mcp,
            ciba,
            phone,
            fga: Arc::new(EmbeddedBackend::new(seed_engine()?)),
            vault,
            discovery,
            governance,
            tool_audit: MemorySink::new(),
            clock,
            crm_clock,
            control,
            pricing,
            connected,
            vault_clock,
        })
    }

    /// The audit layer of the agent's tools.
    pub(crate) fn audit_layer(&self) -> agent_auth::tool::AuditLayer {
        let sinks: Vec<SharedSink> = vec![
            Arc::new(self.log.clone()),
            Arc::new(self.tool_audit.clone()),
        ];
        agent_auth::tool::AuditLayer::new(Arc::new(FanoutSink::new(sinks)), self.clock.clone())
    }

    /// The agent's client secret (its deployment configuration).
    pub(crate) fn agent_secret(&self) -> &'static str {
        AGENT_SECRET
    }

    /// The portal's login client.
    pub(crate) async fn portal(&self) -> Result<LoginClient, Box<dyn Error>> {
        let config = LoginConfig::new(&self.issuer, PORTAL, PORTAL_REDIRECT)
            .auth(ClientAuth::SecretBasic(SecretString::new(PORTAL_SECRET)));
        Ok(LoginClient::discover(
            self.parties
                .login_backend(&self.authority, self.clock.clone())?,
            config,
            self.clock.clone(),
        )
        .await?)
    }
}

/// Acme's users and clients.
fn register(authority: &Authority, mcp: &str) -> Result<(), Box<dyn Error>> {
    authority.register_user(
        UserSpec::new("sarah.chen")
            .id(SARAH)
            .password(SARAH_PASSWORD)
            .email("sarah@acmecorp.example")
            .totp_secret(SARAH_TOTP),
    )?;
    authority.register_client(
        ClientSpec::confidential(PORTAL, PORTAL_SECRET)
            .trusted_first_party()
            .redirect_uri(PORTAL_REDIRECT)
            .grant_types([grant_types::AUTHORIZATION_CODE])
            .scopes([
                "openid",
                "profile",
                "email",
                "mcp:crm:read",
                "mcp:docs:read",
            ])
            .resources([mcp.to_owned()]),
    )?;
    authority.register_user(UserSpec::new("john").id("john"))?;
    authority.register_user(
        UserSpec::new(SECURITY_TEAM)
            .id(SECURITY_TEAM)
            .password(crate::console::ADMIN_PASSWORD)
            .totp_secret(crate::console::ADMIN_TOTP),
    )?;
    authority.directory().create_person(
        "john",
        PersonPatch::new().display_name("John Smith (Sales Ops)"),
        &Actor::user("security-admin"),
    )?;
    authority.register_client(
        ClientSpec::confidential(AGENT, AGENT_SECRET)
            .name("Sales assistant (GPT)")
            .grant_types([
                agent_auth::exchange::GRANT_TOKEN_EXCHANGE,
                grant_types::CLIENT_CREDENTIALS,
                grant_types::REFRESH_TOKEN,
                ciba_client::GRANT_TYPE,
                token_vault_client::remote::GRANT_TYPE,
            ])
            .scopes(["openid", "mcp:crm:read", "mcp:docs:read", "crm:proposal"])
            .resources([mcp.to_owned()]),
    )?;
    Ok(())
}

/// The vault's Token Vault grant at Acme's authority: the agent may take
/// Sarah's Salesforce and Google tokens, with their scopes.
fn vault_grant(vault: &Vault) -> FederatedConnectionGrant {
    FederatedConnectionGrant::new(vault.clone(), TENANT)
        .connection(
            "salesforce",
            ConnectionAccess::new().client(AGENT).scopes(["api"]),
        )
        .connection(
            crate::connected::CONNECTION,
            ConnectionAccess::new()
                .client(AGENT)
                .scopes(crate::connected::GOOGLE_SCOPES),
        )
}

/// The "Google" stand-in at `url`: its own authority, where Sarah has an
/// account.
fn google(url: &str, acme: &str) -> Result<Authority, Box<dyn Error>> {
    let google = Authority::builder(url)
        .config(AuthorityConfig::for_tests())
        .build()?;
    google.register_user(
        UserSpec::new("sarah.chen@gmail.example")
            .id(SARAH_AT_GOOGLE)
            .password(SARAH_PASSWORD)
            .email("sarah.chen@gmail.example"),
    )?;
    google.register_client(
        ClientSpec::confidential("acme-corp", BROKER_SECRET)
            .trusted_first_party()
            .redirect_uri(format!("{acme}{}", paths::FEDERATION_CALLBACK))
            .grant_types([grant_types::AUTHORIZATION_CODE])
            .scopes(["openid", "profile", "email"]),
    )?;
    Ok(google)
}

/// Acme's authority as Google's relying party.
async fn google_client(
    parties: &Parties,
    google: &Authority,
    acme: &str,
    clock: SharedClock,
) -> Result<LoginClient, Box<dyn Error>> {
    let config = LoginConfig::new(
        google.issuer(),
        "acme-corp",
        format!("{acme}{}", paths::FEDERATION_CALLBACK),
    )
    .auth(ClientAuth::SecretBasic(SecretString::new(BROKER_SECRET)));
    Ok(LoginClient::discover(parties.login_backend(google, clock.clone())?, config, clock).await?)
}

/// Acme's vault with Sarah's Salesforce connection, its accesses in the
/// audit log, on its own clock.
fn vault(log: &AuditLog, clock: &ManualClock) -> Result<Vault, Box<dyn Error>> {
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("acme-2026")?));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .audit(Arc::new(log.clone()))
        .clock(Arc::new(clock.clone()))
        .build();
    vault.add_connection(ConnectionConfig::new("salesforce"));
    vault.store_for(
        &Accessor::trusted_system(TENANT, SARAH, AGENT),
        "salesforce",
        &Credential::OAuth(TokenSet {
            access_token: SecretString::new(SALESFORCE_TOKEN),
            refresh_token: None,
            expires_at: None,
            scopes: vec!["api".into()],
            token_type: "Bearer".into(),
        }),
    )?;
    Ok(vault)
}
