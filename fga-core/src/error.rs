//! The crate's error type, carrying OpenFGA error codes.

use crate::model::dsl::DslErrors;

/// Errors of the engine, with the OpenFGA error code of each kind ([`Error::code`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The DSL text is invalid.
    #[error("invalid model: {0}")]
    InvalidModel(#[from] DslErrors),
    /// The model JSON does not parse.
    #[error("invalid model JSON: {0}")]
    InvalidModelJson(String),
    /// The model is semantically invalid.
    #[error("invalid model: {0}")]
    InvalidModelSemantics(String),
    /// A tuple does not fit the model (OpenFGA 2027).
    #[error("invalid tuple '{tuple}': {reason}")]
    InvalidTuple {
        /// The tuple, as `object#relation@user`.
        tuple: String,
        /// Why.
        reason: String,
    },
    /// A type the model does not define (OpenFGA 2021).
    #[error("type not found: '{0}'")]
    TypeNotFound(String),
    /// A relation the type does not define (OpenFGA 2022).
    #[error("relation '{type_name}#{relation}' not found")]
    RelationNotFound {
        /// The type.
        type_name: String,
        /// The relation.
        relation: String,
    },
    /// A request field is invalid (OpenFGA 2000).
    #[error("validation error: {0}")]
    Validation(String),
    /// A condition could not be evaluated (OpenFGA 2000).
    #[error("failed to evaluate relationship condition '{condition}': {reason}")]
    Condition {
        /// The condition.
        condition: String,
        /// Why.
        reason: String,
    },
    /// The resolution went deeper than the limit (OpenFGA 2002).
    #[error("resolution depth exceeded")]
    DepthExceeded,
    /// A write of a tuple that already exists, or a delete of one that does not (OpenFGA 2017).
    #[error("cannot {op} tuple '{tuple}': {reason}")]
    WriteConflict {
        /// `write` or `delete`.
        op: &'static str,
        /// The tuple.
        tuple: String,
        /// Why.
        reason: String,
    },
    /// A remote backend failed.
    #[error("backend error: {0}")]
    Backend(String),
    /// A remote OpenFGA server answered with an error.
    #[error("remote error {code}: {message}")]
    Remote {
        /// The OpenFGA error code.
        code: u32,
        /// The server's message.
        message: String,
    },
    /// A store test file is invalid.
    #[error("store test file: {0}")]
    StoreFile(String),
}

impl Error {
    /// The OpenFGA error code of this error.
    pub fn code(&self) -> u32 {
        match self {
            Self::InvalidModel(_) | Self::InvalidModelJson(_) | Self::InvalidModelSemantics(_) => {
                2056
            }
            Self::InvalidTuple { .. } => 2027,
            Self::TypeNotFound(_) => 2021,
            Self::RelationNotFound { .. } => 2022,
            Self::Validation(_) | Self::Condition { .. } | Self::StoreFile(_) => 2000,
            Self::DepthExceeded => 2002,
            Self::WriteConflict { .. } => 2017,
            Self::Backend(_) => 4000,
            Self::Remote { code, .. } => *code,
        }
    }
}
