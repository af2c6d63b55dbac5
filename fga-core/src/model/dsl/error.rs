//! Errors of the DSL parser and validator, shaped like the official tooling's.

use std::fmt;

/// What kind of problem a [`DslError`] reports (the official `errorType` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A semantic rule is broken; the official `metadata.errorType`.
    Semantic(crate::model::validate::ValidationKind),
}

impl ErrorKind {
    /// The official `errorType` string (`syntax-error` for syntax errors).
    pub fn error_type(self) -> &'static str {
        match self {
            Self::Syntax => "syntax-error",
            Self::Semantic(kind) => kind.error_type(),
        }
    }
}

/// A zero-based line and column range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, zero-based.
    pub line: usize,
    /// Start column, zero-based.
    pub column_start: usize,
    /// End column, exclusive.
    pub column_end: usize,
}

/// One error in a DSL document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DslError {
    kind: ErrorKind,
    message: String,
    position: Option<Position>,
    symbol: Option<String>,
}

impl DslError {
    pub(crate) fn new(
        kind: ErrorKind,
        message: String,
        position: Option<(usize, usize, usize)>,
        symbol: Option<String>,
    ) -> Self {
        Self {
            kind,
            message,
            position: position.map(|(line, column_start, column_end)| Position {
                line,
                column_start,
                column_end,
            }),
            symbol,
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, worded as the official tooling words it for semantic errors.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the text, when known.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The offending symbol, when there is one.
    pub fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }
}

impl fmt::Display for DslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}: {}", p.line + 1, p.column_start + 1, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// All the errors found in one DSL document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the model: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct DslErrors(pub Vec<DslError>);
