//! Why a mapping cannot yield an AuthZEN request (COAZ-MCP "Mapping Errors").

/// A mapping error: the PEP does not call the PDP and answers JSON-RPC
/// -32602. Messages name expressions and members, never claim values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The mapping is not an object with exactly one of `evaluation` or
    /// `evaluations` (COAZ-MCP "Mapping Envelopes").
    #[error(
        "COAZ mapping error: the mapping must have exactly one of `evaluation` or `evaluations`"
    )]
    Envelope,
    /// A member has the wrong shape.
    #[error("COAZ mapping error: `{0}` is malformed")]
    Malformed(String),
    /// An expression does not compile or fails to evaluate.
    #[error("COAZ mapping error: expression '{expression}' failed: {reason}")]
    Expression {
        /// The expression, with its `$`.
        expression: String,
        /// The failure.
        reason: String,
    },
    /// `subject.id` is set from something other than the subject-identity
    /// claim: this PEP accepts only token-anchored subjects.
    #[error("COAZ mapping error: subject.id must be the subject-identity claim `$token.{0}`")]
    UnanchoredSubject(String),
    /// An `evaluations` entry sets `subject` (identity smuggling).
    #[error("COAZ mapping error: evaluations[{0}] must not set a subject")]
    SubjectInEntry(usize),
    /// `context.agent` is set from something other than the agent claim.
    #[error("COAZ mapping error: context.agent must be the agent claim `$token.?{0}`")]
    UnanchoredAgent(String),
    /// The validated token lacks the subject-identity claim.
    #[error("COAZ mapping error: the access token has no `{0}` claim")]
    NoSubjectClaim(String),
    /// The resolved `subject.id` differs from the token's claim.
    #[error("COAZ mapping error: subject.id does not match the access token")]
    SubjectMismatch,
}
