//! The guard as an AuthZEN enforcement point (COAZ-MCP binding): how a
//! `tools/call` becomes an AuthZEN request, one test per rule on the
//! subject and agent identity, and fail-closed answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::authzen::{EvaluationRequest, RemotePdp};
use agent_auth::oauth::HttpClient;
use agent_auth::secret::SecretString;
use common::*;
use mcp_guard::authzen::{AuthzenHook, IdentityClaims, MappingError};
use reference_authority::authzen::{DecisionSource, Pdp, SourceError, Verdict};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Records what the PDP is asked; denies resources named `forbidden...`.
#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<Vec<EvaluationRequest>>>);

impl Recorder {
    fn seen(&self) -> Vec<EvaluationRequest> {
        self.0.lock().unwrap().clone()
    }
}

#[reference_authority::async_trait]
impl DecisionSource for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    async fn decide(&self, r: &EvaluationRequest, _: i64) -> Result<Verdict, SourceError> {
        self.0.lock().unwrap().push(r.clone());
        Ok(if r.resource.id.starts_with("forbidden") {
            Verdict::Deny("forbidden".into())
        } else {
            Verdict::Permit("recorded".into())
        })
    }
}

fn pdp(recorder: &Recorder) -> Arc<Pdp> {
    Arc::new(
        Pdp::builder("https://pdp.example")
            .source(recorder.clone())
            .build(),
    )
}

/// Calls `tool` through a guard with `hook`, with a token of `claims`.
async fn call(
    f: &Fixture,
    hook: AuthzenHook,
    claims: &agent_auth::validate::Claims,
    tool: &str,
    args: Value,
) -> Value {
    let app = app(&f.builder().tool_hook(Arc::new(hook)).build().unwrap());
    let body = rpc("tools/call", json!({"name": tool, "arguments": args}));
    let (status, _, body) = send(&app, post(Some(&f.sign(claims)), body)).await;
    assert_eq!(status, 200, "{body}");
    if !body.starts_with('{') {
        // The MCP service answered: the guard let the call through.
        return json!("allowed");
    }
    serde_json::from_str(&body).unwrap()
}

fn claims(f: &Fixture) -> agent_auth::validate::Claims {
    f.claims(ISS_A, "mcp:crm:read")
}

fn get_customer() -> Value {
    json!({"evaluation": {
        "subject": {"type": "identity", "id": "$token.sub"},
        "action": {"name": "get_customer"},
        "resource": {"type": "customer", "id": "$params.arguments.id"},
        "context": {"agent": "$token.?client_id", "case": "$params.arguments.case"}
    }})
}

#[tokio::test]
async fn default_mapping_asks_tools_call_on_the_tool_for_token_sub_with_agent_context() {
    let f = Fixture::new();
    let r = Recorder::default();
    let answer = call(
        &f,
        AuthzenHook::new(pdp(&r)),
        &claims(&f),
        "crm_lookup",
        json!({"q": 1}),
    )
    .await;
    assert_eq!(answer, "allowed");
    let seen = r.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        serde_json::to_value(&seen[0]).unwrap(),
        json!({"subject": {"type": "identity", "id": "sarah"}, "action": {"name": "tools/call"},
            "resource": {"type": "tool", "id": "crm_lookup"}, "context": {"agent": "sales-agent"}})
    );
}

#[tokio::test]
async fn declared_mapping_builds_the_profile_example_request() {
    let f = Fixture::new();
    let r = Recorder::default();
    let hook = AuthzenHook::new(pdp(&r))
        .declare("get_customer", get_customer())
        .unwrap();
    let args = json!({"id": "cust-12345", "case": "case-67890"});
    assert_eq!(
        call(&f, hook, &claims(&f), "get_customer", args).await,
        "allowed"
    );
    assert_eq!(
        serde_json::to_value(&r.seen()[0]).unwrap(),
        json!({"subject": {"type": "identity", "id": "sarah"}, "action": {"name": "get_customer"},
            "resource": {"type": "customer", "id": "cust-12345"},
            "context": {"agent": "sales-agent", "case": "case-67890"}})
    );
}

#[tokio::test]
async fn subject_id_is_the_token_sub_whatever_the_arguments_say() {
    let f = Fixture::new();
    let r = Recorder::default();
    let hook = AuthzenHook::new(pdp(&r))
        .declare("get_customer", get_customer())
        .unwrap();
    let args = json!({"id": "c1", "case": "k", "sub": "mallory", "subject": {"id": "mallory"}, "agent": "evil"});
    call(&f, hook, &claims(&f), "get_customer", args).await;
    let seen = &r.seen()[0];
    assert_eq!(seen.subject.id, "sarah");
    assert_eq!(seen.context["agent"], "sales-agent");
}

#[test]
fn subject_id_from_the_callers_arguments_is_refused() {
    let mapping = json!({"evaluation": {"subject": {"id": "$params.arguments.user"},
        "action": {"name": "a"}, "resource": {"type": "t", "id": "1"}}});
    let err = AuthzenHook::new(pdp(&Recorder::default()))
        .declare("t", mapping)
        .unwrap_err();
    assert_eq!(err, MappingError::UnanchoredSubject("sub".into()));
}

#[test]
fn subject_id_from_a_mapping_literal_is_refused() {
    let mapping = json!({"evaluation": {"subject": {"type": "identity", "id": "alice@example.com"},
        "action": {"name": "a"}, "resource": {"type": "t", "id": "1"}}});
    let err = AuthzenHook::new(pdp(&Recorder::default()))
        .declare("t", mapping)
        .unwrap_err();
    assert_eq!(err, MappingError::UnanchoredSubject("sub".into()));
}

#[tokio::test]
async fn a_mapping_without_subject_gets_the_token_subject_and_type_identity() {
    let f = Fixture::new();
    let r = Recorder::default();
    let mapping = json!({"evaluation": {"action": {"name": "read"}, "resource": {"type": "doc", "id": "$params.arguments.id"}}});
    let hook = AuthzenHook::new(pdp(&r))
        .declare("read_doc", mapping)
        .unwrap();
    call(&f, hook, &claims(&f), "read_doc", json!({"id": "d1"})).await;
    let seen = &r.seen()[0];
    assert_eq!(
        (seen.subject.kind.as_str(), seen.subject.id.as_str()),
        ("identity", "sarah")
    );
    // Agent identity is added even when the mapping forgot it.
    assert_eq!(seen.context["agent"], "sales-agent");
}

#[test]
fn a_subject_inside_an_evaluations_entry_is_refused() {
    let mapping = json!({"evaluations": {
    "subject": {"type": "identity", "id": "$token.sub"},
    "evaluations": [
        {"action": {"name": "read"}, "resource": {"type": "o", "id": "a"}},
        {"subject": {"type": "identity", "id": "$token.sub"}, "action": {"name": "write"}, "resource": {"type": "o", "id": "b"}}
    ]}});
    let err = AuthzenHook::new(pdp(&Recorder::default()))
        .declare("copy", mapping)
        .unwrap_err();
    assert_eq!(err, MappingError::SubjectInEntry(1));
}

#[test]
fn agent_context_from_a_literal_or_the_arguments_is_refused() {
    for agent in [
        "http://agentprovider.com/agent-app-id",
        "$params.arguments.agent",
        "$token.sub",
    ] {
        let mapping = json!({"evaluation": {"subject": {"id": "$token.sub"}, "action": {"name": "a"},
            "resource": {"type": "t", "id": "1"}, "context": {"agent": agent}}});
        let err = AuthzenHook::new(pdp(&Recorder::default()))
            .declare("t", mapping)
            .unwrap_err();
        assert_eq!(
            err,
            MappingError::UnanchoredAgent("client_id".into()),
            "{agent}"
        );
    }
}

#[tokio::test]
async fn agent_context_is_the_validated_client_id_of_the_token() {
    let f = Fixture::new();
    let r = Recorder::default();
    let other_agent = claims(&f).with("client_id", "travel-agent");
    call(
        &f,
        AuthzenHook::new(pdp(&r)),
        &other_agent,
        "crm_lookup",
        json!({}),
    )
    .await;
    assert_eq!(r.seen()[0].context["agent"], "travel-agent");
}

#[tokio::test]
async fn an_on_behalf_of_claim_is_the_subject_and_the_agent_stays_in_context() {
    let f = Fixture::new();
    let r = Recorder::default();
    let hook = AuthzenHook::new(pdp(&r))
        .identity(IdentityClaims::default().on_behalf_of("act_for"))
        .declare(
            "read_doc",
            json!({"evaluation": {"subject": {"id": "$token.act_for"},
            "action": {"name": "read"}, "resource": {"type": "doc", "id": "d"}}}),
        )
        .unwrap();
    let mut c = claims(&f).with("act_for", "user-42");
    c.sub = Some("sales-agent".into());
    call(&f, hook.clone(), &c, "read_doc", json!({})).await;
    let seen = &r.seen()[0];
    assert_eq!(seen.subject.id, "user-42");
    assert_eq!(seen.context["agent"], "sales-agent");
    // With the designation, `$token.sub` no longer anchors the subject.
    let sub_mapping = json!({"evaluation": {"subject": {"id": "$token.sub"}, "action": {"name": "a"}, "resource": {"type": "t", "id": "1"}}});
    assert_eq!(
        hook.declare("t", sub_mapping).unwrap_err(),
        MappingError::UnanchoredSubject("act_for".into())
    );
}

#[tokio::test]
async fn a_token_without_the_subject_claim_is_a_mapping_error_and_the_pdp_is_not_called() {
    let f = Fixture::new();
    let r = Recorder::default();
    let hook =
        AuthzenHook::new(pdp(&r)).identity(IdentityClaims::default().on_behalf_of("act_for"));
    let answer = call(&f, hook, &claims(&f), "crm_lookup", json!({})).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert_eq!(answer["id"], 7);
    assert!(r.seen().is_empty());
}

#[tokio::test]
async fn a_failing_expression_is_a_mapping_error_and_the_pdp_is_not_called() {
    let f = Fixture::new();
    let r = Recorder::default();
    let hook = AuthzenHook::new(pdp(&r))
        .declare("get_customer", get_customer())
        .unwrap();
    // `case` is missing from the arguments.
    let answer = call(&f, hook, &claims(&f), "get_customer", json!({"id": "c1"})).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("COAZ mapping error")
    );
    assert!(r.seen().is_empty());
}

#[tokio::test]
async fn a_deny_is_json_rpc_error_minus_32001() {
    let f = Fixture::new();
    let r = Recorder::default();
    let answer = call(
        &f,
        AuthzenHook::new(pdp(&r)),
        &claims(&f),
        "forbidden_tool",
        json!({}),
    )
    .await;
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
}

#[tokio::test]
async fn a_multi_evaluation_mapping_needs_every_decision_to_permit() {
    let f = Fixture::new();
    let r = Recorder::default();
    let copy = json!({"evaluations": {
    "subject": {"type": "identity", "id": "$token.sub"},
    "context": {"agent": "$token.?client_id"},
    "evaluations": [
        {"action": {"name": "read"}, "resource": {"type": "storage_object", "id": "$params.arguments.source"}},
        {"action": {"name": "write"}, "resource": {"type": "storage_object", "id": "$params.arguments.destination"}}
    ]}});
    let hook = AuthzenHook::new(pdp(&r))
        .declare("copy_object", copy)
        .unwrap();
    let ok = json!({"source": "/bucket/reports/q1.pdf", "destination": "/bucket/archive/q1.pdf"});
    assert_eq!(
        call(&f, hook.clone(), &claims(&f), "copy_object", ok).await,
        "allowed"
    );
    let seen = r.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|s| s.subject.id == "sarah" && s.context["agent"] == "sales-agent")
    );
    let half = json!({"source": "/bucket/reports/q1.pdf", "destination": "forbidden/q1.pdf"});
    let answer = call(&f, hook, &claims(&f), "copy_object", half).await;
    assert_eq!(answer["error"]["code"], -32001);
}

#[test]
fn a_mapping_with_both_or_neither_envelope_is_refused() {
    let hook = AuthzenHook::new(pdp(&Recorder::default()));
    for mapping in [
        json!({}),
        json!({"evaluation": {}, "evaluations": {}}),
        json!({"decide": {}}),
        json!([]),
    ] {
        assert_eq!(
            hook.clone().declare("t", mapping).unwrap_err(),
            MappingError::Envelope
        );
    }
}

#[tokio::test]
async fn an_unreachable_pdp_fails_closed_with_minus_32603() {
    let f = Fixture::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let remote = RemotePdp::new(HttpClient::new().unwrap(), &base).bearer(SecretString::new("t"));
    let answer = call(
        &f,
        AuthzenHook::new(Arc::new(remote)),
        &claims(&f),
        "crm_lookup",
        json!({}),
    )
    .await;
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "Authorization service unavailable"
    );
}

#[tokio::test]
async fn a_remote_pdp_over_loopback_decides_like_the_embedded_one() {
    use reference_authority::authzen::http::{Callers, PDP_SCOPE, router};
    use reference_authority::{Authority, AuthorityConfig, ClientSpec, Params, TokenRequest};
    let f = Fixture::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(base.clone())
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("pep", "pep-secret-0123456789")
                .grant_types(["client_credentials"])
                .scopes([PDP_SCOPE])
                .resources([base.as_str()]),
        )
        .unwrap();
    let r = Recorder::default();
    let embedded = Pdp::builder(base.clone()).source(r.clone()).build();
    let app = router(embedded, Callers::new(authority.clone(), base.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let token = authority
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "client_credentials"),
                ("scope", PDP_SCOPE),
                ("resource", base.as_str()),
            ]))
            .basic("pep", "pep-secret-0123456789"),
        )
        .await
        .unwrap()
        .access_token;
    let remote = RemotePdp::discover(HttpClient::new().unwrap(), &base)
        .await
        .unwrap()
        .bearer(SecretString::new(token.expose_secret()));
    let hook = AuthzenHook::new(Arc::new(remote));
    assert_eq!(
        call(&f, hook.clone(), &claims(&f), "crm_lookup", json!({})).await,
        "allowed"
    );
    let answer = call(&f, hook, &claims(&f), "forbidden_tool", json!({})).await;
    assert_eq!(answer["error"]["code"], -32001);
    assert_eq!(r.seen().len(), 2);
    server.abort();
}

#[tokio::test]
async fn the_resolved_subject_is_verified_against_the_token_claim() {
    let f = Fixture::new();
    let r = Recorder::default();
    // Declared for `sub`, enforced for the on-behalf-of claim: the resolved
    // `subject.id` (the agent's `sub`) differs from `act_for`, a mapping error.
    let hook = AuthzenHook::new(pdp(&r))
        .declare(
            "read_doc",
            json!({"evaluation": {"subject": {"id": "$token.sub"},
            "action": {"name": "read"}, "resource": {"type": "doc", "id": "d"}}}),
        )
        .unwrap()
        .identity(IdentityClaims::default().on_behalf_of("act_for"));
    let c = claims(&f).with("act_for", "user-42");
    let answer = call(&f, hook, &c, "read_doc", json!({})).await;
    assert_eq!(answer["error"]["code"], -32602);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not match")
    );
    assert!(r.seen().is_empty());
}
