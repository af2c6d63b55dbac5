//! The agent registry and the directory: lifecycle rules, accountability
//! invariants, token refusal for disabled agents, tombstones, the derived
//! dependency map, events, and persistence with SQLite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod accountability;
#[cfg(feature = "server")]
mod ciba;
mod concurrency;
mod dependencies;
mod directory;
mod events;
mod invariants;
mod lifecycle;
#[cfg(feature = "sqlite")]
mod persistence;
mod tokens;
mod tombstone;
#[cfg(feature = "http")]
mod webhook;

use agent_auth::audit::MemorySink;
use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey};
use reference_authority::directory::{Email, GroupSpec, PersonPatch};
use reference_authority::notify::RecordingNotifier;
use reference_authority::registry::{Actor, AgentRecord, AgentSpec, Principal};
use reference_authority::*;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const NOW: i64 = 1_750_000_000;
/// The secret of the agent's confidential client: must never show up in a tombstone.
const AGENT_SECRET: &str = "sales-agent-secret-do-not-leak-0123";
const PORTAL_SECRET: &str = "portal-secret-0123456789";
const REDIRECT: &str = "https://portal.example/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    notes: RecordingNotifier,
    agent_key: SigningKey,
}

fn admin() -> Actor {
    Actor::user("admin")
}

/// People: maria manages sarah; tom is in the `sales-ops` group; alice is an
/// end user. Clients: `sales-agent` (secret, client credentials),
/// `sales-agent-jwt` (private_key_jwt with a kid), `portal` (code flow and
/// refresh, for a user's tokens).
fn fixture_with(store: Option<Arc<dyn Store>>) -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let mut builder = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()));
    if let Some(store) = store {
        builder = builder.store(store);
    }
    let authority = builder.build().unwrap();
    let notes = RecordingNotifier::new();
    authority.registry().set_notifier(Arc::new(notes.clone()));
    for (id, manager) in [
        ("maria", None),
        ("sarah", Some("maria")),
        ("tom", None),
        ("alice", None),
    ] {
        authority
            .register_user(UserSpec::new(id).id(id).password("correct horse battery"))
            .unwrap();
        authority
            .directory()
            .create_person(
                id,
                PersonPatch::new()
                    .display_name(id.to_uppercase())
                    .emails(vec![Email::work(format!("{id}@acme.example"))])
                    .manager(manager.map(str::to_owned)),
                &admin(),
            )
            .unwrap();
    }
    authority
        .directory()
        .create_group(
            GroupSpec::new("sales-ops", "Sales operations").member("tom"),
            &admin(),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", AGENT_SECRET)
                .grant_types([
                    grant_types::CLIENT_CREDENTIALS,
                    grant_types::AUTHORIZATION_CODE,
                    grant_types::REFRESH_TOKEN,
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ])
                .scopes(["openid", "offline_access", "crm:read"])
                .trusted_first_party()
                .redirect_uri(REDIRECT)
                .resources(["https://crm.example/mcp"]),
        )
        .unwrap();
    let agent_key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("agent-key-1");
    let jwks = serde_json::json!({"keys": [agent_key.verifying_key().to_jwk().unwrap()]});
    authority
        .register_client(
            ClientSpec::private_key_jwt("sales-agent-jwt", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", PORTAL_SECRET)
                .trusted_first_party()
                .redirect_uri(REDIRECT),
        )
        .unwrap();
    Fixture {
        authority,
        clock,
        audit,
        notes,
        agent_key,
    }
}

fn fixture() -> Fixture {
    fixture_with(None)
}

/// The sales agent, owned by sarah and the sales-ops group, sponsored by sarah.
fn sales_agent() -> AgentSpec {
    AgentSpec::new("sales-agent-prod-001", "Sales agent")
        .purpose("Prepares proposals")
        .owner(Principal::Person("sarah".into()))
        .sponsor("sarah")
        .client("sales-agent")
}

/// Registers the sales agent and activates it.
fn register_active(f: &Fixture) -> AgentRecord {
    active(f, sales_agent())
}

/// Agent `a1` on the `sales-agent` client, owned by `owner`, sponsored by `sponsor`.
fn a1(owner: Principal, sponsor: &str) -> AgentSpec {
    AgentSpec::new("a1", "A")
        .owner(owner)
        .sponsor(sponsor)
        .client("sales-agent")
}

/// Registers the agent `spec` describes (STAGED).
fn staged(f: &Fixture, spec: AgentSpec) -> AgentRecord {
    f.authority.registry().register(spec, &admin()).unwrap()
}

/// Registers the agent `spec` describes and activates it.
fn active(f: &Fixture, spec: AgentSpec) -> AgentRecord {
    let id = staged(f, spec).id;
    f.authority.registry().activate(&id, &admin()).unwrap()
}

fn client_credentials() -> TokenRequest {
    TokenRequest::new(Params::from_pairs([("grant_type", "client_credentials")]))
        .basic("sales-agent", AGENT_SECRET)
}
