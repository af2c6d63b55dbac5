//! [`FgaSource`]: an AuthZEN question as one FGA check.

use crate::authzen::source::{DecisionSource, SourceError, Verdict};
use agent_auth::authzen::EvaluationRequest;
use fga_core::{CheckRequest, FgaBackend};
use std::collections::HashMap;
use std::sync::Arc;

/// Permits when the FGA backend holds `resource.type:resource.id # relation @
/// subject.type:subject.id`, the relation being the action's name or the one
/// mapped to it. Abstains otherwise, so that other sources may still permit.
/// The request context is passed as the check's condition context.
///
/// Identifiers that would change the shape of an FGA reference (a `#`, which
/// would make the subject a userset; a `:` in a type; whitespace) are denied.
///
/// ```
/// use fga_core::{EmbeddedBackend, Engine};
/// use reference_authority::authzen::sources::FgaSource;
/// use std::sync::Arc;
/// let engine = Engine::from_dsl("model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n")?;
/// let source = FgaSource::new(Arc::new(EmbeddedBackend::new(engine))).relation("read", "viewer");
/// assert_eq!(source.relation_of("read"), "viewer");
/// assert_eq!(source.relation_of("write"), "write");
/// # Ok::<(), fga_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FgaSource {
    backend: Arc<dyn FgaBackend>,
    relations: HashMap<String, String>,
}

impl std::fmt::Debug for FgaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FgaSource")
            .field("relations", &self.relations)
            .finish_non_exhaustive()
    }
}

impl FgaSource {
    /// Checks the action's name as the relation.
    pub fn new(backend: Arc<dyn FgaBackend>) -> Self {
        Self {
            backend,
            relations: HashMap::new(),
        }
    }

    /// Checks `relation` for the action `action`.
    #[must_use]
    pub fn relation(mut self, action: &str, relation: &str) -> Self {
        self.relations
            .insert(action.to_owned(), relation.to_owned());
        self
    }

    /// The relation checked for `action`.
    pub fn relation_of<'a>(&'a self, action: &'a str) -> &'a str {
        self.relations.get(action).map_or(action, String::as_str)
    }

    /// The check `request` reduces to, or why it has none.
    pub fn check_of(&self, request: &EvaluationRequest) -> Result<CheckRequest, String> {
        self.checked(request).map_err(str::to_owned)
    }

    /// [`FgaSource::check_of`] with a static refusal, so that the hot path
    /// allocates only the check's own strings.
    fn checked(&self, request: &EvaluationRequest) -> Result<CheckRequest, &'static str> {
        let user = reference(&request.subject.kind, &request.subject.id)
            .ok_or("the subject is not an FGA identifier")?;
        let object = reference(&request.resource.kind, &request.resource.id)
            .ok_or("the resource is not an FGA identifier")?;
        let relation = self.relation_of(&request.action.name);
        if !is_name(relation) {
            return Err("the action is not an FGA relation");
        }
        let mut check = CheckRequest::new(object, relation, user);
        if !request.context.is_empty() {
            check.context = Some(request.context.clone());
        }
        Ok(check)
    }
}

/// `type:id`, when neither part can alter the reference's meaning.
fn reference(kind: &str, id: &str) -> Option<String> {
    let id_ok = !id.is_empty() && !id.contains('#') && !id.chars().any(char::is_whitespace);
    (is_name(kind) && id_ok).then(|| joined(&[kind, ":", id]))
}

/// The parts, concatenated into one allocation of the exact size.
fn joined(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 254
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[async_trait::async_trait]
impl DecisionSource for FgaSource {
    fn name(&self) -> &str {
        "fga"
    }

    async fn decide(&self, request: &EvaluationRequest, _now: i64) -> Result<Verdict, SourceError> {
        let check = match self.checked(request) {
            Ok(c) => c,
            Err(reason) => return Ok(Verdict::Deny(reason.to_owned())),
        };
        // The reason is written before the check consumes the request.
        let holds = joined(&[
            &check.object,
            "#",
            &check.relation,
            "@",
            &check.user,
            " holds",
        ]);
        match self.backend.check(check).await {
            Ok(true) => Ok(Verdict::Permit(holds)),
            Ok(false) => Ok(Verdict::Abstain),
            Err(e) => Err(SourceError(format!("check failed: {e}"))),
        }
    }
}
