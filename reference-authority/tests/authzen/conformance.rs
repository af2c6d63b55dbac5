//! The AuthZEN Authorization API 1.0 certification scenario (Basic, Batch,
//! Search, Discovery), read from the conformance folder at test time: its
//! fixture tables configure the directory, its identifier rules and every
//! request/expectation pair it lists are checked against the PDP over HTTP.

use crate::fixture_policy::FixturePolicy;
use crate::scenario::{self, Case, Endpoint, Scenario};
use crate::{Harness, ISSUER, harness, post};
use agent_auth::authzen::{Action, EvaluationRequest, Resource, Subject, paths};
use axum::body::Body;
use axum::http::Request;
use reference_authority::authzen::EntityDirectory;
use serde_json::{Value, json};

const SUITE: &str = "authzen";
const FILE: &str = "authorization-api-1_0-scenario.md";

/// The scenario, or `None` (reported, or a failure when conformance is required).
fn load() -> Option<Scenario> {
    conformance::read(SUITE, FILE).map(|text| scenario::read(&text))
}

/// The PDP configured with the scenario's fixture (section C.1).
fn configured(s: &Scenario) -> Harness {
    let mut directory = EntityDirectory::default();
    for e in &s.subjects {
        let mut subject = Subject::new(&e.kind, &e.id);
        subject.properties = e.properties.clone();
        directory = directory.subject(subject);
    }
    for e in &s.resources {
        let mut resource = Resource::new(&e.kind, &e.id);
        resource.properties = e.properties.clone();
        directory = directory.resource(resource);
    }
    for a in &s.actions {
        directory = directory.action(Action::new(a));
    }
    let readers = s.subjects.iter().map(|e| e.id.clone()).collect();
    harness(|b| b.directory(directory).source(FixturePolicy { readers }))
}

fn check_decision(section: &str, expected: &Value, actual: &Value) {
    let decision = actual.get("decision").and_then(Value::as_bool);
    assert!(
        decision.is_some(),
        "{section}: no boolean decision in {actual}"
    );
    if let Some(want) = expected.get("decision").and_then(Value::as_bool) {
        assert_eq!(decision, Some(want), "{section}: {actual}");
    }
    if let Some(context) = actual.get("context") {
        assert!(context.is_object(), "{section}: context is not an object");
    }
}

fn check_search(case: &Case, expected: Option<&Value>, actual: &Value) {
    let section = &case.section;
    let results = actual["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{section}: no results array in {actual}"));
    let searched_type = match case.endpoint {
        Endpoint::SubjectSearch => case.request["subject"]["type"].as_str(),
        Endpoint::ResourceSearch => case.request["resource"]["type"].as_str(),
        _ => None,
    };
    for r in results {
        match searched_type {
            Some(t) => {
                assert_eq!(r["type"].as_str(), Some(t), "{section}: {r}");
                assert!(r["id"].is_string(), "{section}: {r}");
            }
            None => assert!(r["name"].is_string(), "{section}: {r}"),
        }
    }
    if let Some(page) = actual.get("page") {
        assert!(page.is_object(), "{section}: page is not an object");
        assert!(page["next_token"].is_string(), "{section}: {page}");
    }
    let Some(expected) = expected.and_then(|e| e["results"].as_array()) else {
        return;
    };
    if expected.is_empty() {
        assert!(
            results.is_empty(),
            "{section}: expected no results, got {actual}"
        );
    }
    for want in expected {
        assert!(
            results.contains(want),
            "{section}: {want} missing from {actual}"
        );
    }
}

fn check(case: &Case, status: u16, actual: &Value) {
    let section = &case.section;
    assert_eq!(
        status, case.status,
        "{section}: {} -> {actual}",
        case.request
    );
    if status != 200 {
        return;
    }
    match case.endpoint {
        Endpoint::Evaluation => {
            check_decision(section, case.body.as_ref().unwrap_or(&json!({})), actual)
        }
        Endpoint::Evaluations => match case.body.as_ref().and_then(|b| b.get("evaluations")) {
            Some(Value::Array(expected)) => {
                let got = actual["evaluations"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{section}: no evaluations in {actual}"));
                assert_eq!(got.len(), expected.len(), "{section}: {actual}");
                for (want, got) in expected.iter().zip(got) {
                    check_decision(section, want, got);
                }
            }
            _ => check_decision(section, case.body.as_ref().unwrap_or(&json!({})), actual),
        },
        _ => check_search(case, case.body.as_ref(), actual),
    }
}

#[tokio::test]
async fn certification_scenario_requests_get_the_expected_answers() {
    let Some(s) = load() else { return };
    // The parser must have found the scenario's cases, not silently nothing.
    assert!(s.cases.len() >= 50, "only {} cases read", s.cases.len());
    for level in [
        "c-2-2-1", "c-3-2-2", "c-3-4-1", "c-4-2-1", "c-4-4-3", "c-4-6-2", "c-4-7-2",
    ] {
        assert!(
            s.cases.iter().any(|c| c.section == level),
            "no case of {level}"
        );
    }
    let h = configured(&s);
    let token = h.pep_token().await;
    let mut next_token = String::new();
    for case in &s.cases {
        let mut request = case.request.clone();
        if request["page"]["token"]
            .as_str()
            .is_some_and(|t| t.starts_with('<'))
        {
            // C.4.5.2 is sent only after a non-empty next_token (C.4.5.1 asks for one result).
            assert!(
                !next_token.is_empty(),
                "{}: no next_token to follow",
                case.section
            );
            request["page"]["token"] = Value::String(next_token.clone());
        }
        let (status, body) = h.post(case.endpoint.path(), &token, &request).await;
        check(case, status, &body);
        if let Some(t) = body["page"]["next_token"].as_str() {
            next_token = t.to_owned();
        }
    }
}

#[tokio::test]
async fn fixture_identifier_rules_hold_embedded_and_over_http() {
    let Some(s) = load() else { return };
    assert_eq!(
        s.rules.len(),
        4,
        "section C.1.4 lists four identifier rules"
    );
    let h = configured(&s);
    let token = h.pep_token().await;
    for rule in &s.rules {
        let request = EvaluationRequest::new(
            Subject::new(s.kind_of_subject(&rule.subject), &rule.subject),
            Action::new(&rule.action),
            Resource::new(s.kind_of_resource(&rule.resource), &rule.resource),
        );
        let embedded = h.pdp.evaluate(&request).await;
        let (status, remote) = h
            .post(
                paths::EVALUATION,
                &token,
                &serde_json::to_value(&request).unwrap(),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(embedded.decision, rule.decision, "{rule:?}");
        assert_eq!(serde_json::to_value(&embedded).unwrap(), remote, "{rule:?}");
    }
}

#[tokio::test]
async fn transport_errors_headers_and_idempotency_of_the_scenario() {
    let Some(s) = load() else { return };
    assert!(s.section("c-2-4-3").contains("Content-Type"));
    assert!(s.section("c-2-4-4").contains("not valid JSON"));
    assert!(s.section("c-2-4-5").contains("empty"));
    assert!(s.section("c-2-5-1").contains("X-Request-ID"));
    let h = configured(&s);
    let token = h.pep_token().await;
    let rule_1 = json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
        "resource": {"type": "record", "id": "record-1"}});
    for path in [paths::EVALUATION, paths::EVALUATIONS, paths::SEARCH_SUBJECT] {
        // C.2.4.3: not application/json.
        let request = Request::post(path)
            .header("content-type", "text/plain")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(rule_1.to_string()))
            .unwrap();
        assert_eq!(h.send(request).await.0, 400, "{path}");
        // C.2.4.4 and C.2.4.5.
        assert_eq!(
            h.send(post(path, Some(&token), "{\"subject\":")).await.0,
            400
        );
        assert_eq!(h.send(post(path, Some(&token), "")).await.0, 400);
    }
    // C.2.5.1: X-Request-ID echoed, on answers and on errors alike.
    for body in [rule_1.to_string(), String::new()] {
        let mut request = post(paths::EVALUATION, Some(&token), body);
        request
            .headers_mut()
            .insert("x-request-id", "req-42".parse().unwrap());
        let (_, headers, _) = h.send(request).await;
        assert_eq!(headers.get("x-request-id").unwrap(), "req-42");
    }
    // C.2.5.2: absent, no failure. C.2.6: same decision every time. C.5.2: JSON.
    for _ in 0..3 {
        let (status, headers, body) = h
            .send(post(paths::EVALUATION, Some(&token), rule_1.to_string()))
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers.get("content-type").unwrap(), "application/json");
        assert_eq!(body["decision"], true);
    }
}

#[tokio::test]
async fn discovery_metadata_names_every_endpoint() {
    let Some(s) = load() else { return };
    assert!(s.section("c-6-3").contains("policy_decision_point"));
    let h = configured(&s);
    let request = Request::get(paths::METADATA).body(Body::empty()).unwrap();
    let (status, headers, body) = h.send(request).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert_eq!(body["policy_decision_point"], ISSUER);
    for (member, path) in [
        ("access_evaluation_endpoint", paths::EVALUATION),
        ("access_evaluations_endpoint", paths::EVALUATIONS),
        ("search_subject_endpoint", paths::SEARCH_SUBJECT),
        ("search_resource_endpoint", paths::SEARCH_RESOURCE),
        ("search_action_endpoint", paths::SEARCH_ACTION),
    ] {
        assert_eq!(body[member], format!("{ISSUER}{path}"), "{member}");
        assert!(body[member].as_str().unwrap().starts_with("https://"));
    }
}
