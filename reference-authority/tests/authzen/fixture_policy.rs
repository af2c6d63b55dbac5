//! The certification scenario's required policy (section C.1.4), written
//! over the PDP's public extension point. A test fixture, not product code.

use agent_auth::authzen::EvaluationRequest;
use reference_authority::authzen::{DecisionSource, SourceError, Verdict};
use serde_json::Value;

/// - everyone the fixture knows may `read`;
/// - `write` on an archived resource needs the subject property `role: admin`;
///   on any other resource it is `alice`'s;
/// - `delete` is `alice`'s, and soft only (`properties.soft == true`).
#[derive(Debug)]
pub(crate) struct FixturePolicy {
    pub(crate) readers: Vec<String>,
}

#[reference_authority::async_trait]
impl DecisionSource for FixturePolicy {
    fn name(&self) -> &str {
        "fixture"
    }

    async fn decide(&self, r: &EvaluationRequest, _now: i64) -> Result<Verdict, SourceError> {
        let archived = r.resource.property("status") == Some(&Value::from("archived"));
        let admin = r.subject.property("role") == Some(&Value::from("admin"));
        let alice = r.subject.id == "alice";
        let permit = match r.action.name.as_str() {
            "read" => self.readers.contains(&r.subject.id),
            "write" if archived => admin,
            "write" => alice,
            "delete" => alice && r.action.property("soft") == Some(&Value::Bool(true)),
            _ => false,
        };
        Ok(if permit {
            Verdict::Permit(format!("fixture rule for {}", r.action.name))
        } else {
            Verdict::Abstain
        })
    }
}
