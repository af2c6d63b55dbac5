//! FGA on MCP resources (the seed case), tool visibility, the tool-call hook,
//! and the three revocation feeds.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::Clock;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::secret::SecretString;
use agent_auth::validate::{Claims, SecurityEvent, StaticKeys, Validator};
use axum::body::Body;
use axum::http::Request;
use common::*;
use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::revocation::gtr::{BearerSecret, Caller, GlobalTokenRevocation};
use mcp_guard::revocation::ssf::{SESSION_REVOKED, SsfReceiver};
use mcp_guard::{Principal, ResourceAccess, Subject, ToolCallHook, ToolDecision, UriMapping};
use serde_json::json;
use std::sync::Arc;

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

fn seed_fga() -> ResourceAccess {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    engine
        .write(
            &[
                TupleKey::new("team:sales", "member", "user:a|sarah"),
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
                    "user:a|cfo",
                ),
            ],
            &[],
        )
        .unwrap();
    ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(engine)),
        "reader",
        UriMapping::escaped("resource"),
    )
    .issuer_aliases(&[(ISS_A, "a"), (ISS_B, "b")])
    .unwrap()
}

const SEED: [&str; 3] = [
    "crm://contacts/acme-corp",
    "docs://proposals/templates",
    "pricing://executive-discounts",
];

#[tokio::test]
async fn seed_case_resources_filtered_and_read_checked() {
    let f = Fixture::new();
    let guard = f.builder().resource_access(seed_fga()).build().unwrap();
    let sarah = guard
        .verifier()
        .verify(&f.token("mcp:crm:read mcp:docs:read"))
        .await
        .unwrap();
    let visible = guard.visible_resources(&sarah, SEED.to_vec(), |u| u).await;
    assert_eq!(
        visible,
        ["crm://contacts/acme-corp", "docs://proposals/templates"]
    );
    // Scopes filter first: without mcp:docs:read the docs resource is hidden too.
    let crm_only = guard
        .verifier()
        .verify(&f.token("mcp:crm:read"))
        .await
        .unwrap();
    let visible = guard
        .visible_resources(&crm_only, SEED.to_vec(), |u| u)
        .await;
    assert_eq!(visible, ["crm://contacts/acme-corp"]);

    let app = app(&guard);
    let token = f.token("mcp:crm:read mcp:docs:read");
    let read = |uri: &str| rpc("resources/read", json!({"uri": uri}));
    let (s, _, body) = send(&app, post(Some(&token), read("crm://contacts/acme-corp"))).await;
    assert_eq!(s, 200);
    assert!(body.starts_with("sarah|"), "reached the server: {body}");
    let (s, _, body) = send(
        &app,
        post(Some(&token), read("pricing://executive-discounts")),
    )
    .await;
    assert_eq!(s, 200);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["code"], -32002, "{body}");
    assert_eq!(answer["id"], 7);
    // An unmapped URI fails closed.
    let (_, _, body) = send(&app, post(Some(&token), read("crm://"))).await;
    assert!(body.contains("-32002"), "{body}");
}

#[tokio::test]
async fn tools_list_shows_only_callable_tools() {
    let f = Fixture::new();
    let guard = f.builder().build().unwrap();
    let p = guard
        .verifier()
        .verify(&f.token("mcp:crm:read"))
        .await
        .unwrap();
    let tools = vec!["crm_lookup", "calendar_today", "ping_tool"];
    assert_eq!(
        guard.visible_tools(&p, tools, |t| t),
        ["crm_lookup", "ping_tool"]
    );
}

#[derive(Debug)]
struct NoBigDeals;

#[async_trait::async_trait]
impl ToolCallHook for NoBigDeals {
    async fn authorize(&self, p: &Principal, tool: &str, args: &serde_json::Value) -> ToolDecision {
        if tool == "crm_lookup" && args["amount"].as_i64().unwrap_or(0) > 100_000 {
            return ToolDecision::Deny {
                reason: format!("{} needs approval", p.subject.as_deref().unwrap_or("?")),
            };
        }
        ToolDecision::Allow
    }
}

#[tokio::test]
async fn tool_call_hook_decides() {
    let f = Fixture::new();
    let app = app(&f.builder().tool_hook(Arc::new(NoBigDeals)).build().unwrap());
    let token = f.token("mcp:crm:read");
    let call = |amount: i64| {
        rpc(
            "tools/call",
            json!({"name": "crm_lookup", "arguments": {"amount": amount}}),
        )
    };
    let (s, _, body) = send(&app, post(Some(&token), call(10))).await;
    assert_eq!(s, 200);
    assert!(body.starts_with("sarah|"));
    let (_, _, body) = send(&app, post(Some(&token), call(450_000))).await;
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["message"], "sarah needs approval");
}

fn gtr_request(auth: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::post("/gtr").header("content-type", "application/json");
    if let Some(a) = auth {
        b = b.header("authorization", format!("Bearer {a}"));
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn global_token_revocation_endpoint() {
    let f = Fixture::new();
    let guard = f.builder().build().unwrap();
    let app = app(&guard);
    let token = f.token("mcp:crm:read");
    assert_eq!(
        send(&app, post(Some(&token), rpc("tools/list", json!({}))))
            .await
            .0,
        200
    );

    let gtr = GlobalTokenRevocation::new(
        guard.revocations().clone(),
        Arc::new(BearerSecret::new(
            Caller::new("okta", &[ISS_A]),
            SecretString::new("gtr-secret-0123456789"),
        )),
    )
    .subjects(Arc::new(
        |s: &Subject| !matches!(s, Subject::Opaque(id) if id == "nobody"),
    ))
    .clock(f.shared_clock())
    .router("/gtr");
    let secret = Some("gtr-secret-0123456789");
    let sarah = json!({"sub_id": {"format": "iss_sub", "iss": ISS_A, "sub": "sarah"}}).to_string();
    assert_eq!(send(&gtr, gtr_request(None, &sarah)).await.0, 401);
    assert_eq!(send(&gtr, gtr_request(Some("wrong"), &sarah)).await.0, 401);
    assert_eq!(send(&gtr, gtr_request(secret, "{")).await.0, 400);
    assert_eq!(send(&gtr, gtr_request(secret, "{}")).await.0, 400);
    assert_eq!(
        send(
            &gtr,
            gtr_request(
                secret,
                &json!({"sub_id": {"format": "phone_number", "phone_number": "+1"}}).to_string()
            )
        )
        .await
        .0,
        422
    );
    assert_eq!(
        send(
            &gtr,
            gtr_request(
                secret,
                &json!({"subject": {"format": "opaque", "id": "nobody"}}).to_string()
            )
        )
        .await
        .0,
        404
    );
    // Okta's `subject` spelling.
    let okta = json!({"subject": {"format": "iss_sub", "iss": ISS_A, "sub": "sarah"}}).to_string();
    assert_eq!(send(&gtr, gtr_request(secret, &okta)).await.0, 204);
    let (s, ch, _) = send(&app, post(Some(&token), rpc("tools/list", json!({})))).await;
    assert_eq!(s, 401);
    assert_eq!(
        param(&ch.unwrap(), "error_description").as_deref(),
        Some("token revoked")
    );
    // A token issued after the revocation works again.
    f.clock.advance(5);
    assert_eq!(
        send(
            &app,
            post(Some(&f.token("mcp:crm:read")), rpc("tools/list", json!({})))
        )
        .await
        .0,
        200
    );
}

#[derive(Debug)]
struct OnlyOwnIssuer;

#[async_trait::async_trait]
impl mcp_guard::revocation::gtr::RevocationAuth for OnlyOwnIssuer {
    async fn authenticate(&self, _: &axum::http::HeaderMap) -> Option<Caller> {
        Some(Caller::new(ISS_B, &[ISS_A, ISS_B]))
    }
    async fn may_revoke(&self, caller: &Caller, subject: &Subject) -> bool {
        matches!(subject, Subject::IssSub { iss, .. } if iss == caller.name())
    }
}

#[tokio::test]
async fn global_token_revocation_forbidden_for_other_issuers_subjects() {
    let gtr =
        GlobalTokenRevocation::new(Default::default(), Arc::new(OnlyOwnIssuer)).router("/gtr");
    let body = json!({"sub_id": {"format": "iss_sub", "iss": ISS_A, "sub": "sarah"}}).to_string();
    assert_eq!(send(&gtr, gtr_request(None, &body)).await.0, 403);
}

#[tokio::test]
async fn ssf_session_revoked_push() {
    let f = Fixture::new();
    let guard = f.builder().build().unwrap();
    let app = app(&guard);
    let token = f.token("mcp:crm:read");
    let transmitter = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("ssf-1");
    let validator = Validator::<SecurityEvent>::builder(StaticKeys::single(
        transmitter.verifying_key().clone(),
    ))
    .issuer("https://ssf.example")
    .audience(RESOURCE)
    .clock(f.shared_clock())
    .build();
    let receiver = SsfReceiver::new(guard.revocations().clone(), validator)
        .token_issuers(&[ISS_A])
        .clock(f.shared_clock())
        .router("/ssf");
    let set = |iss: &str, aud: &str, typ: &str| {
        let mut c = Claims::new()
            .with("events", json!({SESSION_REVOKED: {"event_timestamp": NOW}}))
            .with(
                "sub_id",
                json!({"format": "iss_sub", "iss": ISS_A, "sub": "sarah"}),
            );
        c.iss = Some(iss.into());
        c.aud = vec![aud.into()];
        c.iat = Some(f.clock.now());
        c.jti = Some("set-1".into());
        sign_compact(&transmitter, Some(typ), &c)
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    let push = |body: String| {
        Request::post("/ssf")
            .header("content-type", "application/secevent+jwt")
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _, body) = send(
        &receiver,
        push(set("https://evil.example", RESOURCE, "secevent+jwt")),
    )
    .await;
    assert_eq!(
        (
            s,
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["err"].as_str()
        ),
        (400, Some("invalid_issuer"))
    );
    let (s, _, body) = send(
        &receiver,
        push(set("https://ssf.example", "https://other", "secevent+jwt")),
    )
    .await;
    assert_eq!(
        (
            s,
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["err"].as_str()
        ),
        (400, Some("invalid_audience"))
    );
    let (s, _, _) = send(&receiver, push(set("https://ssf.example", RESOURCE, "JWT"))).await;
    assert_eq!(s, 400, "a SET must be typed secevent+jwt");
    assert_eq!(
        send(&app, post(Some(&token), rpc("tools/list", json!({}))))
            .await
            .0,
        200
    );
    let (s, _, _) = send(
        &receiver,
        push(set("https://ssf.example", RESOURCE, "secevent+jwt")),
    )
    .await;
    assert_eq!(s, 202);
    let (s, ch, _) = send(&app, post(Some(&token), rpc("tools/list", json!({})))).await;
    assert_eq!(s, 401);
    assert_eq!(
        param(&ch.unwrap(), "error_description").as_deref(),
        Some("token revoked")
    );
}

#[tokio::test]
async fn authority_events_revoke_at_once() {
    use reference_authority::{Authority, AuthorityConfig, AuthorityEvent};
    let f = Fixture::new();
    let authority = Authority::builder(ISS_A)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    let guard = f.builder().build().unwrap();
    guard.revocations().follow(&authority);
    let app = app(&guard);
    let c = f.claims(ISS_A, "mcp:crm:read");
    let token = f.sign(&c);
    assert_eq!(
        send(&app, post(Some(&token), rpc("tools/list", json!({}))))
            .await
            .0,
        200
    );
    authority.emit(AuthorityEvent::AccessTokenRevoked {
        issuer: ISS_A.into(),
        jti: c.jti.clone().unwrap(),
        exp: c.exp.unwrap(),
    });
    assert_eq!(
        send(&app, post(Some(&token), rpc("tools/list", json!({}))))
            .await
            .0,
        401
    );
    let other = f.token("mcp:docs:read");
    assert_eq!(
        send(&app, post(Some(&other), rpc("tools/list", json!({}))))
            .await
            .0,
        200
    );
    authority.emit(AuthorityEvent::UserLoggedOut {
        issuer: ISS_A.into(),
        user_id: "sarah".into(),
    });
    assert_eq!(
        send(&app, post(Some(&other), rpc("tools/list", json!({}))))
            .await
            .0,
        401
    );
}
