//! The done-when of the audit trail: Sarah's agent reads a CRM contact
//! through mcp-guard, and every event of that action (login, token issue,
//! the guard's decision, the FGA Check) is in the authority's one log, each
//! with an inclusion proof that verifies against the signed checkpoint.
//!
//! Not in the trail yet: the agent side (the login RP client, the MCP client
//! and the exchange clients of agent-auth emit no events of their own); the
//! authority's events stand for the login and the token.

use super::common::{ORIGIN, signer};
use agent_auth::audit::{AuditAction, FgaAuditHook, Outcome};
use agent_auth::clock::ManualClock;
use axum::body::Body;
use axum::http::Request;
use fga_core::backend::Hooked;
use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::verify::TrustedIssuer;
use mcp_guard::{Guard, ResourceAccess, ScopePolicy, UriMapping, admit};
use reference_authority::audit_log::{AuditLog, AuditQuery, LogStorage, verify_entry};
use reference_authority::*;
use std::sync::Arc;

const ISSUER: &str = "https://idp.example";
const MCP: &str = "https://crm.example/mcp";
const REDIRECT: &str = "https://agent.example/callback";
const SECRET: &str = "agent-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const AGENT: &str = "sales-agent-prod-001";

#[tokio::test]
async fn sarahs_crm_read_is_in_the_log_from_login_to_fga_decision_with_proofs() {
    let clock = ManualClock::new(1_750_000_000);
    let log = AuditLog::new(ORIGIN, signer(), LogStorage::in_memory().unwrap()).unwrap();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(log.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(AGENT, SECRET)
                .trusted_first_party()
                .redirect_uri(REDIRECT)
                .scopes(["openid", "mcp:crm:read"])
                .resources([MCP]),
        )
        .unwrap();

    // 1. Sarah logs in and authorizes her agent for the CRM (code flow, PKCE).
    let session = authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", AGENT),
        ("redirect_uri", REDIRECT),
        ("scope", "openid mcp:crm:read"),
        ("resource", MCP),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let AuthorizeOutcome::Redirect(url) = authority.authorize(&params, Some(&session)).unwrap()
    else {
        panic!("expected a redirect");
    };
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens = authority
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("resource", MCP),
            ]))
            .basic(AGENT, SECRET),
        )
        .await
        .unwrap();

    // 2. The CRM's MCP server: mcp-guard with FGA, both emitting into the log.
    let mut engine = Engine::from_dsl(
        "model\n  schema 1.1\ntype user\ntype resource\n  relations\n    define reader: [user]\n",
    )
    .unwrap();
    engine
        .write(
            &[TupleKey::new(
                "resource:crm+3A//contacts/acme-corp",
                "reader",
                "user:user-sarah",
            )],
            &[],
        )
        .unwrap();
    let sink: agent_auth::audit::SharedSink = Arc::new(log.clone());
    let fga = Hooked::new(
        EmbeddedBackend::new(engine),
        Arc::new(FgaAuditHook::new(
            Arc::clone(&sink),
            Arc::new(clock.clone()),
        )),
    );
    let guard = Guard::builder(MCP)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            ISSUER,
            authority.keys().active().verifying_key().clone(),
        ))
        .scopes(ScopePolicy::new().resource("crm://*", &["mcp:crm:read"]))
        .resource_access(ResourceAccess::new(
            Arc::new(fga),
            "reader",
            UriMapping::escaped("resource"),
        ))
        .audit(Arc::clone(&sink))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();

    // 3. The agent reads the contact.
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "resources/read",
        "params": {"uri": "crm://contacts/acme-corp"}
    });
    let request = Request::post("/mcp")
        .header("host", "crm.example")
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("Bearer {}", tokens.access_token.expose_secret()),
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    assert!(
        admit(&guard, request).await.is_ok(),
        "the guard refused the read"
    );

    // 4. The investigator's view: every event of the action, in order.
    let trail = log.query(&AuditQuery::new().user("user-sarah")).unwrap();
    let steps: Vec<(AuditAction, Outcome, Option<&str>)> = trail
        .iter()
        .map(|e| {
            (
                e.event.action.clone(),
                e.event.outcome,
                e.event.agent.as_deref(),
            )
        })
        .collect();
    let expected = [
        // The password login, then the authorization request it answers.
        (AuditAction::Authentication, Outcome::Success, None),
        (AuditAction::Authentication, Outcome::Success, Some(AGENT)),
        (AuditAction::TokenIssued, Outcome::Success, Some(AGENT)),
        (AuditAction::AuthorizationDecision, Outcome::Success, None),
        (
            AuditAction::AuthorizationDecision,
            Outcome::Success,
            Some(AGENT),
        ),
    ];
    assert_eq!(steps, expected, "{trail:#?}");
    let issued = &trail[2].event;
    let fga_decision = &trail[3].event;
    let guard_decision = &trail[4].event;
    assert_eq!(
        fga_decision.target.as_deref(),
        Some("resource:crm+3A//contacts/acme-corp")
    );
    assert!(fga_decision.details.contains_key("model_id"));
    assert_eq!(
        guard_decision.target.as_deref(),
        Some("crm://contacts/acme-corp")
    );
    // The guard's decision names the very token the authority issued.
    assert_eq!(
        guard_decision.token_jti.as_deref(),
        issued.details["jti"].as_str()
    );

    // 5. Each one is provably in the log the checkpoint signs.
    let checkpoint = log.checkpoint();
    let size = log.size();
    for entry in &trail {
        let bytes = log.entry_bytes(entry.index).unwrap();
        let proof = log.inclusion_proof(entry.index, size).unwrap();
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
    // Nothing secret went into the log.
    for index in 0..size {
        let bytes = String::from_utf8(log.entry_bytes(index).unwrap()).unwrap();
        assert!(!bytes.contains(tokens.access_token.expose_secret()));
        assert!(!bytes.contains("correct horse battery"));
        assert!(!bytes.contains(SECRET));
    }
}
