//! COAZ-MCP mappings: the declared `x-authzen-mapping` of a tool, or the
//! default `tools/call` mapping, checked when declared and resolved per call.

use super::error::MappingError;
use super::expression::{self, Inputs};
use super::identity::IdentityClaims;
use agent_auth::authzen::{EvaluationRequest, EvaluationsRequest};
use serde_json::{Map, Value, json};

/// A checked mapping.
///
/// ```
/// use mcp_guard::authzen::{IdentityClaims, Mapping, MappingError};
/// let ids = IdentityClaims::default();
/// // `subject.id` from a caller's argument is refused: identity is anchored to the token.
/// let smuggled = serde_json::json!({"evaluation": {
///     "subject": {"id": "$params.arguments.user"},
///     "action": {"name": "read"}, "resource": {"type": "doc", "id": "1"}}});
/// assert!(matches!(Mapping::declared(smuggled, &ids), Err(MappingError::UnanchoredSubject(_))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The envelope's content.
    body: Map<String, Value>,
    /// `evaluations` envelope (else `evaluation`).
    batch: bool,
}

/// What a mapping builds for one call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Built {
    /// For the Access Evaluation API.
    One(EvaluationRequest),
    /// For the Access Evaluations API.
    Many(EvaluationsRequest),
}

impl Mapping {
    /// The default `tools/call` mapping (COAZ-MCP "Default Mappings", Tools).
    pub fn tools_call() -> Self {
        let body = json!({
            "subject": {"type": "identity", "id": "$token.sub"},
            "context": {"agent": "$token.?client_id"},
            "action": {"name": "tools/call"},
            "resource": {"type": "tool", "id": "$params.name"}
        });
        Self {
            body: body.as_object().cloned().unwrap_or_default(),
            batch: false,
        }
    }

    /// Checks a declared mapping (the value of `x-authzen-mapping`): exactly
    /// one envelope; `subject.id`, if set, is the subject-identity claim;
    /// `context.agent`, if set, is the agent claim; no `subject` in an
    /// `evaluations` entry; every expression compiles.
    pub fn declared(mapping: Value, identity: &IdentityClaims) -> Result<Self, MappingError> {
        let Value::Object(envelope) = mapping else {
            return Err(MappingError::Envelope);
        };
        let mut entries = envelope.into_iter();
        let (Some((key, body)), None) = (entries.next(), entries.next()) else {
            return Err(MappingError::Envelope);
        };
        let batch = match key.as_str() {
            "evaluation" => false,
            "evaluations" => true,
            _ => return Err(MappingError::Envelope),
        };
        let Value::Object(body) = body else {
            return Err(MappingError::Malformed(key));
        };
        check_subject(&body, identity)?;
        check_agent(&body, identity, "context")?;
        if batch {
            let list = match body.get("evaluations") {
                Some(Value::Array(list)) if !list.is_empty() => list,
                _ => return Err(MappingError::Malformed("evaluations.evaluations".into())),
            };
            for (i, entry) in list.iter().enumerate() {
                let Value::Object(entry) = entry else {
                    return Err(MappingError::Malformed(format!("evaluations[{i}]")));
                };
                // COAZ-MCP "Declared Mappings": no identity smuggling per entry.
                if entry.contains_key("subject") {
                    return Err(MappingError::SubjectInEntry(i));
                }
                check_agent(entry, identity, &format!("evaluations[{i}].context"))?;
            }
        }
        let mapping = Self { body, batch };
        expression::check(&Value::Object(mapping.body.clone()))?;
        Ok(mapping)
    }

    /// Resolves the mapping for one call and anchors the identity: the
    /// subject is the token's subject-identity claim (verified, COAZ-MCP
    /// "PEP Behavior" step 5) and `context.agent` is the token's agent claim.
    pub(crate) fn build(
        &self,
        token: &Map<String, Value>,
        params: &Value,
        identity: &IdentityClaims,
    ) -> Result<Built, MappingError> {
        let inputs = Inputs::new(token, params);
        let resolved = expression::resolve(&Value::Object(self.body.clone()), &inputs)?;
        let Some(Value::Object(mut body)) = resolved else {
            return Err(MappingError::Malformed("mapping".into()));
        };
        let subject_id = match token.get(identity.subject_claim()) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(MappingError::NoSubjectClaim(
                    identity.subject_claim().into(),
                ));
            }
        };
        anchor_subject(&mut body, &subject_id)?;
        let agent = token.get(identity.agent_claim()).cloned();
        anchor_agent(&mut body, agent.as_ref(), true)?;
        if self.batch {
            if let Some(Value::Array(entries)) = body.get_mut("evaluations") {
                for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
                    if entry.contains_key("subject") {
                        return Err(MappingError::SubjectInEntry(0));
                    }
                    anchor_agent(entry, agent.as_ref(), false)?;
                }
            }
            serde_json::from_value(Value::Object(body))
                .map(Built::Many)
                .map_err(|_| MappingError::Malformed("evaluations".into()))
        } else {
            serde_json::from_value(Value::Object(body))
                .map(Built::One)
                .map_err(|_| MappingError::Malformed("evaluation".into()))
        }
    }
}

fn check_subject(body: &Map<String, Value>, identity: &IdentityClaims) -> Result<(), MappingError> {
    let Some(subject) = body.get("subject") else {
        return Ok(());
    };
    let Value::Object(subject) = subject else {
        return Err(MappingError::Malformed("subject".into()));
    };
    match subject.get("id") {
        None => Ok(()),
        Some(Value::String(s)) if identity.subject_expressions().contains(s) => Ok(()),
        Some(_) => Err(MappingError::UnanchoredSubject(
            identity.subject_claim().into(),
        )),
    }
}

fn check_agent(
    holder: &Map<String, Value>,
    identity: &IdentityClaims,
    path: &str,
) -> Result<(), MappingError> {
    let Some(context) = holder.get("context") else {
        return Ok(());
    };
    let Value::Object(context) = context else {
        return Err(MappingError::Malformed(path.into()));
    };
    match context.get("agent") {
        None => Ok(()),
        Some(Value::String(s)) if identity.agent_expressions().contains(s) => Ok(()),
        Some(_) => Err(MappingError::UnanchoredAgent(identity.agent_claim().into())),
    }
}

/// `subject.type` defaults to `identity`; `subject.id` defaults to, and must
/// equal, the token's subject-identity claim.
fn anchor_subject(body: &mut Map<String, Value>, subject_id: &str) -> Result<(), MappingError> {
    let subject = body
        .entry("subject")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(subject) = subject else {
        return Err(MappingError::Malformed("subject".into()));
    };
    subject
        .entry("type")
        .or_insert_with(|| Value::String("identity".into()));
    match subject.get("id") {
        None => {
            subject.insert("id".into(), Value::String(subject_id.to_owned()));
            Ok(())
        }
        Some(Value::String(id)) if id == subject_id => Ok(()),
        Some(_) => Err(MappingError::SubjectMismatch),
    }
}

/// `context.agent` is the token's agent claim, whatever was resolved; the
/// top level gets a context when the token names an agent.
fn anchor_agent(
    holder: &mut Map<String, Value>,
    agent: Option<&Value>,
    top: bool,
) -> Result<(), MappingError> {
    if !top && !holder.contains_key("context") {
        return Ok(());
    }
    let context = holder
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(context) = context else {
        return Err(MappingError::Malformed("context".into()));
    };
    match agent {
        Some(agent) => {
            context.insert("agent".into(), agent.clone());
        }
        None => {
            context.remove("agent");
        }
    }
    if top && context.is_empty() {
        holder.remove("context");
    }
    Ok(())
}
