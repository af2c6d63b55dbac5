//! Decision sources (FGA relations, request context), their combination
//! (deny overrides), batch semantics, search paging and the audit trail.

use crate::fixture_policy::FixturePolicy;
use crate::harness;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::authzen::{
    Action, EvaluationItem, EvaluationRequest, EvaluationsRequest, PageRequest, RequestError,
    Resource, Semantic, Subject, SubjectSearch, paths,
};
use reference_authority::authzen::sources::{ContextRules, FgaSource, RiskLevel};
use reference_authority::authzen::{DecisionSource, EntityDirectory, SourceError, Verdict};
use serde_json::json;

fn fga() -> FgaSource {
    crate::sources_fixture()
}

fn ask(subject: &str, action: &str, doc: &str) -> EvaluationRequest {
    EvaluationRequest::new(
        Subject::new("user", subject),
        Action::new(action),
        Resource::new("doc", doc),
    )
}

#[tokio::test]
async fn an_fga_relation_permits_and_its_absence_denies() {
    let h = harness(|b| b.source(fga()));
    let yes = h.pdp.evaluate(&ask("alice", "read", "1")).await;
    assert!(yes.decision);
    assert_eq!(yes.reason(), Some("fga: doc:1#viewer@user:alice holds"));
    let no = h.pdp.evaluate(&ask("bob", "read", "1")).await;
    assert!(!no.decision);
    assert_eq!(no.reason(), Some("no source permits this request"));
}

#[tokio::test]
async fn a_subject_id_with_a_hash_cannot_become_an_fga_userset() {
    let h = harness(|b| b.source(fga()));
    // `doc:1#viewer` as a user would be a userset reference.
    let mut request = ask("alice", "read", "1");
    request.subject = Subject::new("doc", "1#viewer");
    let d = h.pdp.evaluate(&request).await;
    assert!(!d.decision);
    assert!(d.reason().unwrap().contains("not an FGA identifier"));
}

#[tokio::test]
async fn a_failing_source_denies_and_is_audited_as_an_error() {
    let h = harness(|b| {
        b.source(FixturePolicy {
            readers: vec!["alice".into()],
        })
        .source(fga())
    });
    // `write` is no relation of the model: the FGA check fails.
    let mut request = ask("alice", "read", "1");
    request.action = Action::new("write");
    request.resource = Resource::new("doc", "1");
    let d = h.pdp.evaluate(&request).await;
    assert!(!d.decision);
    let event = h.audit.events().into_iter().last().unwrap();
    assert_eq!(event.action, AuditAction::AuthorizationDecision);
    assert_eq!(event.outcome, Outcome::Error);
}

#[derive(Debug)]
struct Never;

#[reference_authority::async_trait]
impl DecisionSource for Never {
    fn name(&self) -> &str {
        "never"
    }
    async fn decide(&self, _: &EvaluationRequest, _: i64) -> Result<Verdict, SourceError> {
        Ok(Verdict::Deny("frozen".into()))
    }
}

#[tokio::test]
async fn a_deny_overrides_a_permit() {
    let h = harness(|b| b.source(fga()).source(Never));
    let d = h.pdp.evaluate(&ask("alice", "read", "1")).await;
    assert!(!d.decision);
    assert_eq!(d.reason(), Some("never: frozen"));
}

#[tokio::test]
async fn each_decision_is_audited_with_subject_agent_and_reason() {
    let h = harness(|b| b.source(fga()));
    let request = ask("alice", "read", "1").with_context("agent", "sales-agent");
    h.pdp.evaluate(&request).await;
    h.pdp.evaluate(&ask("bob", "read", "1")).await;
    let decisions: Vec<_> = h
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::AuthorizationDecision)
        .collect();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0].outcome, Outcome::Success);
    assert_eq!(decisions[0].user.as_deref(), Some("user:alice"));
    assert_eq!(decisions[0].agent.as_deref(), Some("sales-agent"));
    assert_eq!(decisions[0].details["resource"], "doc:1");
    assert_eq!(decisions[1].outcome, Outcome::Denied);
    assert_eq!(
        decisions[1].reason.as_deref(),
        Some("no source permits this request")
    );
}

#[tokio::test]
async fn context_rules_deny_outside_hours_by_the_pdp_clock() {
    // NOW is 15:06:40 UTC.
    let h = harness(|b| {
        b.source(ContextRules::default().hours_utc(8, 14))
            .source(fga())
    });
    // The caller's claimed time changes nothing: the PDP's clock decides.
    let request = ask("alice", "read", "1").with_context("time", "2025-06-27T09:00Z");
    let d = h.pdp.evaluate(&request).await;
    assert!(!d.decision);
    assert!(
        d.reason()
            .unwrap()
            .starts_with("context: outside the allowed hours")
    );
    h.clock.advance(20 * 3600); // 11:06 the next day
    assert!(h.pdp.evaluate(&request).await.decision);
}

#[tokio::test]
async fn context_rules_deny_unknown_networks_and_high_risk() {
    let rules = ContextRules::default()
        .network("10.0.0.0/8".parse().unwrap())
        .max_risk(RiskLevel::Medium);
    let h = harness(|b| b.source(rules).source(fga()));
    let base = || ask("alice", "read", "1");
    let inside = base()
        .with_context("ip", "10.2.3.4")
        .with_context("risk_level", "low");
    assert!(h.pdp.evaluate(&inside).await.decision);
    let outside = base()
        .with_context("ip", "192.168.1.1")
        .with_context("risk_level", "low");
    assert!(!h.pdp.evaluate(&outside).await.decision);
    let risky = base()
        .with_context("ip", "10.2.3.4")
        .with_context("risk_level", "high");
    assert!(!h.pdp.evaluate(&risky).await.decision);
    // Absent or malformed members fail closed.
    assert!(
        !h.pdp
            .evaluate(&base().with_context("risk_level", "low"))
            .await
            .decision
    );
    let bad_ip = base()
        .with_context("ip", "10.0.0.1/8")
        .with_context("risk_level", "low");
    assert!(!h.pdp.evaluate(&bad_ip).await.decision);
    let unknown_risk = base()
        .with_context("ip", "10.2.3.4")
        .with_context("risk_level", "none");
    assert!(!h.pdp.evaluate(&unknown_risk).await.decision);
}

fn batch(semantic: Semantic) -> EvaluationsRequest {
    EvaluationsRequest {
        subject: Some(Subject::new("user", "alice")),
        action: Some(Action::new("read")),
        evaluations: ["2", "1", "3"]
            .into_iter()
            .map(|doc| EvaluationItem {
                resource: Some(Resource::new("doc", doc)),
                ..EvaluationItem::default()
            })
            .collect(),
        semantic,
        ..EvaluationsRequest::default()
    }
}

#[tokio::test]
async fn batch_semantics_stop_where_the_specification_says() {
    let h = harness(|b| b.source(fga()));
    let token = h.pep_token().await;
    for (semantic, expected) in [
        (Semantic::ExecuteAll, vec![false, true, false]),
        (Semantic::DenyOnFirstDeny, vec![false]),
        (Semantic::PermitOnFirstPermit, vec![false, true]),
    ] {
        let request = batch(semantic);
        let embedded = h.pdp.evaluations(&request).await.unwrap();
        let decisions: Vec<bool> = embedded.evaluations.iter().map(|d| d.decision).collect();
        assert_eq!(decisions, expected, "{semantic:?}");
        let (status, remote) = h
            .post(
                paths::EVALUATIONS,
                &token,
                &serde_json::to_value(&request).unwrap(),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            remote,
            serde_json::to_value(&embedded).unwrap(),
            "{semantic:?}"
        );
    }
}

#[tokio::test]
async fn a_malformed_top_level_refuses_the_whole_batch() {
    let h = harness(|b| b.source(fga()));
    let token = h.pep_token().await;
    let before = h.audit.events().len();
    let body = json!({"subject": {"type": "user"}, "action": {"name": "read"},
        "evaluations": [{"resource": {"type": "doc", "id": "1"}}]});
    let (status, answer) = h.post(paths::EVALUATIONS, &token, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "invalid_request");
    // Nothing was decided.
    assert!(
        !h.audit.events()[before..]
            .iter()
            .any(|e| e.action == AuditAction::AuthorizationDecision)
    );
}

fn directory() -> EntityDirectory {
    (1..=5).fold(EntityDirectory::default(), |d, i| {
        d.subject(Subject::new("user", format!("u{i}")))
    })
}

fn everyone_reads(n: usize) -> FixturePolicy {
    FixturePolicy {
        readers: (1..=n).map(|i| format!("u{i}")).collect(),
    }
}

fn search(page: PageRequest) -> SubjectSearch {
    SubjectSearch {
        subject_type: "user".into(),
        action: Action::new("read"),
        resource: Resource::new("doc", "1"),
        context: Default::default(),
        page,
    }
}

#[tokio::test]
async fn search_pages_follow_next_token_to_the_end() {
    let h = harness(|b| b.directory(directory()).source(everyone_reads(5)));
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = h
            .pdp
            .search_subjects(&search(PageRequest {
                token: token.clone(),
                limit: Some(2),
            }))
            .await
            .unwrap();
        let info = page.page.unwrap();
        assert_eq!(info.total, Some(5));
        seen.extend(page.results.into_iter().map(|s| s.id));
        if info.next_token.is_empty() {
            break;
        }
        token = Some(info.next_token);
    }
    assert_eq!(seen, ["u1", "u2", "u3", "u4", "u5"]);
}

#[tokio::test]
async fn a_page_token_of_another_search_is_refused() {
    let h = harness(|b| b.directory(directory()).source(everyone_reads(5)));
    let first = h
        .pdp
        .search_subjects(&search(PageRequest {
            token: None,
            limit: Some(1),
        }))
        .await
        .unwrap();
    let token = first.page.unwrap().next_token;
    let mut other = search(PageRequest {
        token: Some(token),
        limit: Some(1),
    });
    other.resource = Resource::new("doc", "2");
    assert_eq!(
        h.pdp.search_subjects(&other).await,
        Err(RequestError::PageToken)
    );
    let pep = h.pep_token().await;
    let body = json!({"subject": {"type": "user"}, "action": {"name": "read"},
        "resource": {"type": "doc", "id": "1"}, "page": {"token": "0.forged"}});
    assert_eq!(h.post(paths::SEARCH_SUBJECT, &pep, &body).await.0, 400);
}

#[tokio::test]
async fn search_results_agree_with_evaluations() {
    let h = harness(|b| b.directory(directory()).source(everyone_reads(3)));
    let page = h
        .pdp
        .search_subjects(&search(PageRequest::default()))
        .await
        .unwrap();
    let ids: Vec<_> = page.results.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2", "u3"]);
    for i in 1..=5 {
        let d = h.pdp.evaluate(&ask(&format!("u{i}"), "read", "1")).await;
        assert_eq!(d.decision, i <= 3);
    }
}
