//! Why a request body is refused (HTTP 400 at a PDP).

/// A malformed AuthZEN request. Messages name the field, never echo values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is empty (certification scenario C.2.4.5).
    #[error("the request body is empty")]
    Empty,
    /// The body is not JSON (C.2.4.4).
    #[error("the request body is not valid JSON (line {line}, column {column})")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// A required member is absent (AuthZEN 1.0 sections 5 to 8: `REQUIRED`).
    #[error("`{0}` is required")]
    Missing(String),
    /// A member has the wrong JSON type (C.2.4.6).
    #[error("`{field}` must be {expected}")]
    Type {
        /// The member, as a dotted path (`subject.id`, `evaluations[1].action`).
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A required string is empty.
    #[error("`{0}` must not be empty")]
    EmptyValue(String),
    /// A page token that this PDP did not issue for this query.
    #[error("the page token is not valid for this search")]
    PageToken,
}
