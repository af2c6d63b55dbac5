//! The seed scenario, end to end, as far as the workspace plays it today: the
//! corporate identity provider signs Sarah's ID token and the sales agent's
//! access token for the CRM MCP server; each token is accepted only as its own
//! kind; the MCP server filters resources through FGA; every decision lands in
//! one audit log, printed as JSON lines.
//!
//! Run: `cargo run -p examples --bin sales-agent-demo`

use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, JsonLinesSink, Outcome};
use agent_auth::clock::{SharedClock, SystemClock};
use agent_auth::jose::{Algorithm, KeySet, SigningKey, sign_compact};
use agent_auth::validate::{AccessToken, Claims, IdToken, TokenKind, Validator};
use fga_core::{CheckRequest, Engine, TupleKey};
use std::error::Error;
use std::sync::Arc;

const IDP: &str = "https://login.acmecorp.example";
const PORTAL: &str = "sales-portal";
const MCP: &str = "https://mcp.acmecorp.example/crm";
const AGENT: &str = "sales-agent-prod-001";

const MODEL: &str = "model
  schema 1.1

type user

type team
  relations
    define member: [user]

type resource
  relations
    define reader: [user, team#member]
";

fn main() -> Result<(), Box<dyn Error>> {
    let clock: SharedClock = Arc::new(SystemClock);
    let audit = JsonLinesSink::new(std::io::stdout());
    let now = clock.now();

    println!("# 1. The corporate IdP publishes its signing keys");
    let keys = Arc::new(KeySet::new(
        SigningKey::generate(Algorithm::Es256)?,
        clock.clone(),
    ));
    println!("{}", serde_json::to_string(&keys.jwks())?);

    println!("\n# 2. Sarah signs in; the portal receives her ID token");
    let mut id = base_claims(now, "sarah@acmecorp.example", PORTAL);
    id.extra.insert("nonce".into(), "n-0S6_WzA2Mj".into());
    id.extra
        .insert("amr".into(), serde_json::json!(["pwd", "otp"]));
    let id_token = sign_compact(&keys.active(), IdToken::PROFILE.mint_typ, &id)?;
    let id_validator = Validator::<IdToken>::builder_shared(keys.clone())
        .issuer(IDP)
        .audience(PORTAL)
        .clock(clock.clone())
        .build();
    let sarah = id_validator.validate_cached(id_token.expose_secret())?;
    println!("ID token valid for {:?}", sarah.sub);
    record(
        &audit,
        now,
        AuditAction::Authentication,
        Outcome::Success,
        "sarah@acmecorp.example",
    );

    println!("\n# 3. The agent gets an access token for the CRM MCP server, acting for Sarah");
    let mut at = base_claims(now, "sarah@acmecorp.example", MCP);
    at.extra.insert("client_id".into(), AGENT.into());
    at.extra
        .insert("scope".into(), "mcp:crm:read mcp:docs:read".into());
    let access_token = sign_compact(&keys.active(), AccessToken::PROFILE.mint_typ, &at)?;
    let at_validator = Validator::<AccessToken>::builder_shared(keys.clone())
        .issuer(IDP)
        .audience(MCP)
        .clock(clock.clone())
        .build();
    let granted = at_validator.validate_cached(access_token.expose_secret())?;
    println!(
        "access token valid, scopes: {:?}",
        granted.scopes().collect::<Vec<_>>()
    );
    record(
        &audit,
        now,
        AuditAction::TokenValidated,
        Outcome::Success,
        "sarah@acmecorp.example",
    );

    println!("\n# 4. A token of one kind is never accepted as another");
    match at_validator.validate_cached(id_token.expose_secret()) {
        Err(e) => println!("ID token presented as an access token: refused ({e})"),
        Ok(_) => return Err("an ID token passed as an access token".into()),
    }
    record(
        &audit,
        now,
        AuditAction::TokenValidated,
        Outcome::Denied,
        "sarah@acmecorp.example",
    );

    println!("\n# 5. The MCP server shows Sarah only the resources FGA allows");
    let mut fga = Engine::from_dsl(MODEL)?;
    fga.write(
        &[
            TupleKey::new("team:sales", "member", "user:sarah"),
            TupleKey::new(
                "resource:crm+3A//contacts/acme-corp",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new(
                "resource:docs+3A//proposals/templates",
                "reader",
                "team:sales#member",
            ),
            TupleKey::new(
                "resource:pricing+3A//executive-discounts",
                "reader",
                "user:cfo",
            ),
        ],
        &[],
    )?;
    for (uri, object) in [
        (
            "crm://contacts/acme-corp",
            "resource:crm+3A//contacts/acme-corp",
        ),
        (
            "docs://proposals/templates",
            "resource:docs+3A//proposals/templates",
        ),
        (
            "pricing://executive-discounts",
            "resource:pricing+3A//executive-discounts",
        ),
    ] {
        let allowed = fga.check(&CheckRequest::new(object, "reader", "user:sarah"))?;
        println!("{uri}: {}", if allowed { "shown" } else { "denied" });
        let outcome = if allowed {
            Outcome::Success
        } else {
            Outcome::Denied
        };
        audit.record(
            &AuditEvent::new(now, AuditAction::AuthorizationDecision, outcome)
                .agent(AGENT)
                .user("sarah@acmecorp.example")
                .detail("resource", uri),
        );
    }
    Ok(())
}

fn base_claims(now: i64, subject: &str, audience: &str) -> Claims {
    let mut c = Claims::new();
    c.iss = Some(IDP.into());
    c.sub = Some(subject.into());
    c.aud = vec![audience.into()];
    c.iat = Some(now);
    c.exp = Some(now + 600);
    c.jti = Some(format!("{audience}-{now}"));
    c
}

fn record(audit: &impl AuditSink, now: i64, action: AuditAction, outcome: Outcome, user: &str) {
    audit.record(
        &AuditEvent::new(now, action, outcome)
            .agent(AGENT)
            .user(user)
            .issuer(IDP),
    );
}
