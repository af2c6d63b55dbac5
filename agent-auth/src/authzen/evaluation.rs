//! Access Evaluation (AuthZEN 1.0 section 6) and Access Evaluations
//! (section 7): requests, decisions and batch semantics.

use super::decision::Decision;
use super::entity::{Action, Properties, Resource, Subject};
use super::error::RequestError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One access question: may `subject` do `action` on `resource`, in `context`?
///
/// ```
/// use agent_auth::authzen::{Action, EvaluationRequest, Resource, Subject};
/// let request = EvaluationRequest::new(
///     Subject::new("user", "alice"),
///     Action::new("read"),
///     Resource::new("record", "record-1"),
/// )
/// .with_context("ip", "192.168.1.1");
/// assert_eq!(request.context.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationRequest {
    /// `subject`.
    pub subject: Subject,
    /// `action`.
    pub action: Action,
    /// `resource`.
    pub resource: Resource,
    /// `context` (empty when absent).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Properties,
}

impl EvaluationRequest {
    /// A request without context.
    pub fn new(subject: Subject, action: Action, resource: Resource) -> Self {
        Self {
            subject,
            action,
            resource,
            context: Map::new(),
        }
    }

    /// Adds a context member.
    #[must_use]
    pub fn with_context(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.context.insert(name.into(), value.into());
        self
    }
}

/// How a batch is run (AuthZEN 1.0 section 7.1.2, `options.evaluations_semantic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Semantic {
    /// Every evaluation runs; all results come back in request order (the default).
    #[default]
    ExecuteAll,
    /// Evaluations run in order up to and including the first deny.
    DenyOnFirstDeny,
    /// Evaluations run in order up to and including the first permit.
    PermitOnFirstPermit,
}

impl Semantic {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExecuteAll => "execute_all",
            Self::DenyOnFirstDeny => "deny_on_first_deny",
            Self::PermitOnFirstPermit => "permit_on_first_permit",
        }
    }

    /// Whether a batch stops after `decision`.
    pub fn stops_after(self, decision: bool) -> bool {
        match self {
            Self::ExecuteAll => false,
            Self::DenyOnFirstDeny => !decision,
            Self::PermitOnFirstPermit => decision,
        }
    }
}

/// One entry of `evaluations`: what it sets overrides the request's defaults,
/// whole entity by whole entity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvaluationItem {
    /// `subject`, or the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// `action`, or the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// `resource`, or the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// `context`, or the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Properties>,
}

/// Many questions in one request (AuthZEN 1.0 section 7.1): top-level
/// `subject`, `action`, `resource` and `context` are defaults for each entry.
///
/// ```
/// use agent_auth::authzen::{Action, EvaluationItem, EvaluationsRequest, Resource, Subject};
/// let batch = EvaluationsRequest {
///     subject: Some(Subject::new("user", "bob")),
///     resource: Some(Resource::new("record", "record-1")),
///     evaluations: vec![
///         EvaluationItem { action: Some(Action::new("read")), ..Default::default() },
///         EvaluationItem { action: Some(Action::new("write")), ..Default::default() },
///     ],
///     ..Default::default()
/// };
/// let second = batch.resolve(batch.evaluations.get(1).ok_or("no entry")?, 1)?;
/// assert_eq!((second.subject.id.as_str(), second.action.name.as_str()), ("bob", "write"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvaluationsRequest {
    /// Default `subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Default `action`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Default `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Default `context`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Properties>,
    /// The questions, answered in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<EvaluationItem>,
    /// `options.evaluations_semantic`.
    #[serde(
        default,
        rename = "options",
        skip_serializing_if = "is_default",
        with = "options"
    )]
    pub semantic: Semantic,
}

fn is_default(s: &Semantic) -> bool {
    *s == Semantic::ExecuteAll
}

mod options {
    use super::Semantic;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize, Default)]
    struct Options {
        #[serde(default)]
        evaluations_semantic: Semantic,
    }

    pub(super) fn serialize<S: Serializer>(s: &Semantic, out: S) -> Result<S::Ok, S::Error> {
        Options {
            evaluations_semantic: *s,
        }
        .serialize(out)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Semantic, D::Error> {
        Ok(Options::deserialize(input)?.evaluations_semantic)
    }
}

impl EvaluationsRequest {
    /// The full question of entry `item` (number `index`, for error messages):
    /// each entity the entry omits is the top-level default (AuthZEN 1.0
    /// section 7.1.1); one that neither gives is a [`RequestError::Missing`].
    pub fn resolve(
        &self,
        item: &EvaluationItem,
        index: usize,
    ) -> Result<EvaluationRequest, RequestError> {
        let missing = |name: &str| RequestError::Missing(format!("evaluations[{index}].{name}"));
        Ok(EvaluationRequest {
            subject: item
                .subject
                .clone()
                .or_else(|| self.subject.clone())
                .ok_or_else(|| missing("subject"))?,
            action: item
                .action
                .clone()
                .or_else(|| self.action.clone())
                .ok_or_else(|| missing("action"))?,
            resource: item
                .resource
                .clone()
                .or_else(|| self.resource.clone())
                .ok_or_else(|| missing("resource"))?,
            context: item
                .context
                .clone()
                .or_else(|| self.context.clone())
                .unwrap_or_default(),
        })
    }

    /// The top-level entities as one question, for a request without
    /// entries (AuthZEN 1.0 section 7.1: backwards compatible with the Access
    /// Evaluation API).
    pub fn single(&self) -> Result<EvaluationRequest, RequestError> {
        let missing = |name: &str| RequestError::Missing(name.to_owned());
        Ok(EvaluationRequest {
            subject: self.subject.clone().ok_or_else(|| missing("subject"))?,
            action: self.action.clone().ok_or_else(|| missing("action"))?,
            resource: self.resource.clone().ok_or_else(|| missing("resource"))?,
            context: self.context.clone().unwrap_or_default(),
        })
    }
}

/// The answers of a batch, in request order (AuthZEN 1.0 section 7.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvaluationsResponse {
    /// One decision per evaluation run.
    pub evaluations: Vec<Decision>,
}
