//! A control point to look at: the reference authority with its audit log,
//! detection, discovery, governance and kill switch, the security console,
//! and a fleet of agents in the states the console shows (a registered
//! sales agent with live tokens and a risk spike, a shadow agent nobody
//! registered, an open review campaign, thousands of staged agents). Used
//! by the `security-console` program and the console's tests.

use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, Outcome};
use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
use reference_authority::console::Console;
use reference_authority::detection::{
    Action, DetectionConfig, Detector, Responder, ResponsePolicy,
};
use reference_authority::directory::PersonPatch;
use reference_authority::discovery::Discovery;
use reference_authority::governance::Governance;
use reference_authority::governance::reviews::{Cadence, CampaignSchedule};
use reference_authority::kill_switch::KillSwitch;
use reference_authority::registry::{Actor, AgentSpec, Entitlement, NewGrant, Principal};
use reference_authority::signals::Transmitter;
use reference_authority::{Authority, ClientSpec, UserSpec};
use std::error::Error;
use std::sync::Arc;
use token_vault_client::{MasterKey, MemoryVaultStore, StaticKeyProvider, Vault};

/// The security admin's user id (console admin through FGA).
pub const ADMIN: &str = "secadmin";
/// A signed-in user who is not a console admin.
pub const NOT_ADMIN: &str = "mallory";
/// The registered sales agent and its OAuth client.
pub const SALES_AGENT: &str = "sales-agent";
/// The sales agent's OAuth client.
pub const SALES_CLIENT: &str = "sales-agent-prod-001";
/// The sales agent's client secret (its deployment configuration).
const SALES_SECRET: &str = "sales-agent-secret-0123456789";
/// The client someone set up for an AI assistant and never registered.
pub const SHADOW_CLIENT: &str = "sales-assistant-gpt";
/// The agent whose review waits for the security admin.
pub const SOC_AGENT: &str = "soc-triage-agent";

/// The console's authorization model: admins of the console object.
const CONSOLE_MODEL: &str =
    "model\n  schema 1.1\ntype user\ntype console\n  relations\n    define admin: [user]\n";

/// An FGA store of the console's model where `admin` (a user id) is the
/// admin of `console:security`.
pub async fn console_admins(admin: &str) -> Result<EmbeddedBackend, Box<dyn Error>> {
    let admins = EmbeddedBackend::new(Engine::from_dsl(CONSOLE_MODEL)?);
    admins
        .write(
            vec![TupleKey::new(
                "console:security",
                "admin",
                format!("user:{admin}"),
            )],
            vec![],
        )
        .await?;
    Ok(admins)
}

/// Who signs in, and how many filler agents the fleet has.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The password of every user of the world.
    pub password: String,
    /// The TOTP secret of [`ADMIN`] and [`NOT_ADMIN`].
    pub totp_secret: Vec<u8>,
    /// Staged agents besides the named ones.
    pub fleet: usize,
}

/// The served world.
#[derive(Debug)]
pub struct ConsoleWorld {
    /// The issuer URL (the server's origin).
    pub issuer: String,
    /// The authority.
    pub authority: Authority,
    /// The audit log.
    pub log: AuditLog,
    /// The sales agent's client secret (never shown by the console).
    pub sales_secret: String,
    /// The server task.
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Builds the world on `listener` and serves it; returns once the sales
/// agent holds live tokens and its spike has been assessed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: Settings,
) -> Result<ConsoleWorld, Box<dyn Error>> {
    let issuer = format!("http://{}", listener.local_addr()?);
    let origin = format!("{}/audit-log", issuer.trim_start_matches("http://"));
    let log = AuditLog::new(
        &origin,
        NoteSigner::generate(&origin)?,
        LogStorage::in_memory()?,
    )?;
    let authority = Authority::builder(&issuer)
        .audit(Arc::new(log.clone()))
        .build()?;
    let detector = Detector::new(DetectionConfig::default());
    let discovery = Discovery::new();
    log.observe(Arc::new(detector.clone()));
    log.observe(Arc::new(discovery.clone()));
    // History first: the detector reads each agent's events in time order.
    activity(&log, authority.now());
    people(&authority, &settings)?;
    let admins = console_admins(ADMIN).await?;
    let vault = Vault::builder(
        Arc::new(MemoryVaultStore::new()),
        Arc::new(StaticKeyProvider::new(MasterKey::generate(
            "console-world",
        )?)),
    )
    .build();
    let governance = Governance::builder(&authority)
        .vault(vault, issuer.clone())
        .build();
    let sales_secret = agents(&authority, &settings)?;
    let transmitter = Transmitter::install(&authority);
    let kill = KillSwitch::new(&authority).signals(transmitter.clone());
    let console = Console::builder(governance.clone(), log.clone(), Arc::new(admins))
        .discovery(discovery)
        .detector(detector.clone())
        .kill_switch(kill)
        .plain_http_loopback()
        .build()?;
    console.install()?;
    let app = reference_authority::http::router(authority.clone())
        .merge(reference_authority::audit_log::router(
            log.clone(),
            authority.clone(),
        ))
        .merge(console.router().await?);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    // The sales agent holds live tokens; after its week of normal reads and
    // 100 reads in ten minutes, the responder tells the owners and the team.
    for _ in 0..2 {
        token(&issuer, SALES_CLIENT, &sales_secret).await?;
    }
    let responder = Responder::new(
        &authority,
        detector,
        ResponsePolicy::default()
            .on_high(vec![Action::Notify])
            .security_team(vec![ADMIN.into()]),
    );
    responder.process_pending().await;
    // The monthly review opens now.
    let now = authority.now();
    governance.schedule_campaign(
        CampaignSchedule::new("monthly-agent-review", Cadence::Monthly, now - 60),
        &Actor::user(ADMIN),
    )?;
    governance.run_reviews(now).await?;
    Ok(ConsoleWorld {
        issuer,
        authority,
        log,
        sales_secret,
        server,
    })
}

fn people(authority: &Authority, s: &Settings) -> Result<(), Box<dyn Error>> {
    let admin = Actor::system("console-world");
    for (id, name, mfa) in [
        (ADMIN, "Security admin", true),
        (NOT_ADMIN, "Mallory", true),
        ("john", "John Smith", false),
        ("sarah", "Sarah", false),
    ] {
        let mut user = UserSpec::new(id).id(id).password(&s.password);
        if mfa {
            user = user.totp_secret(s.totp_secret.clone());
        }
        authority.register_user(user)?;
        authority
            .directory()
            .create_person(id, PersonPatch::new().display_name(name), &admin)?;
    }
    Ok(())
}

/// The named agents and the fleet; returns the sales agent's secret.
fn agents(authority: &Authority, s: &Settings) -> Result<String, Box<dyn Error>> {
    let actor = Actor::user(ADMIN);
    let registry = authority.registry();
    let sales_secret = SALES_SECRET.to_owned();
    for (agent, client, secret, owner, scope, resource) in [
        (
            SALES_AGENT,
            SALES_CLIENT,
            sales_secret.as_str(),
            "john",
            "crm:read",
            "crm://contacts",
        ),
        (
            SOC_AGENT,
            "soc-triage",
            "soc-triage-secret-0123456789",
            ADMIN,
            "siem:read",
            "siem://alerts",
        ),
    ] {
        authority.register_client(
            ClientSpec::confidential(client, secret)
                .grant_types(["client_credentials"])
                .scopes([scope]),
        )?;
        registry.register(
            AgentSpec::new(agent, agent.replace('-', " "))
                .client(client)
                .owner(Principal::Person(owner.into()))
                .sponsor(owner),
            &actor,
        )?;
        registry.grant(
            agent,
            NewGrant::new(Entitlement::scope(scope, resource)),
            &actor,
        )?;
        registry.activate(agent, &actor)?;
    }
    authority.register_client(
        ClientSpec::confidential(SHADOW_CLIENT, "shadow-secret-0123456789")
            .name("Sales assistant (GPT)")
            .grant_types(["client_credentials"])
            .scopes(["crm:read"]),
    )?;
    for i in 0..s.fleet {
        registry.register(
            AgentSpec::new(format!("fleet-agent-{i:05}"), format!("Fleet agent {i:05}"))
                .owner(Principal::Person("john".into())),
            &actor,
        )?;
    }
    Ok(sales_secret)
}

/// A week of the sales agent's normal reads, the shadow client's tool calls,
/// then the sales agent's spike in the last ten minutes.
fn activity(log: &AuditLog, now: i64) {
    let read = |agent: &str, resource: String, time: i64| {
        AuditEvent::new(time, AuditAction::AuthorizationDecision, Outcome::Success)
            .agent(agent)
            .user("sarah")
            .target(resource)
            .detail("network", "10.0.0.0/24")
            .detail("tool", "crm_search")
            .detail("method", "tools/call")
            .detail("resource_server", "https://crm-mcp.example")
    };
    let today = now - now.rem_euclid(86_400);
    for day in (1..=8).rev() {
        for i in 0..12 {
            let t = today - day * 86_400 + 9 * 3600 + i * 2400;
            log.record(&read(SALES_CLIENT, format!("crm://contacts/c{day}-{i}"), t));
            if i < 2 {
                log.record(&read(
                    SHADOW_CLIENT,
                    format!("crm://contacts/s{day}-{i}"),
                    t + 60,
                ));
            }
        }
    }
    for i in 0..100 {
        log.record(&read(
            SALES_CLIENT,
            format!("crm://contacts/bulk-{i}"),
            now - 600 + i * 6,
        ));
    }
}

/// A client-credentials token for `client` (the agent at work).
async fn token(issuer: &str, client: &str, secret: &str) -> Result<(), Box<dyn Error>> {
    let r = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "crm:read")])
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("the token endpoint answered {}", r.status()).into());
    }
    Ok(())
}
