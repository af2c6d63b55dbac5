//! The OpenFGA DSL (schema 1.1): parse with validation, and render.

mod error;
mod locate;
mod parse;
mod write;

pub use error::{DslError, DslErrors, ErrorKind, Position};
pub use write::to_dsl;

use crate::model::types::AuthorizationModel;
use crate::model::validate::validate;

/// Parses DSL text and validates it; errors carry the official wording, kind and position.
pub fn parse(text: &str) -> Result<AuthorizationModel, DslErrors> {
    let model = parse_syntax_only(text)?;
    let errors = validate(&model);
    if errors.is_empty() {
        return Ok(model);
    }
    Err(DslErrors(
        errors
            .into_iter()
            .map(|e| {
                let position = locate::locate(text, &e.anchor);
                let symbol = e.anchor.symbol.clone();
                DslError::new(ErrorKind::Semantic(e.kind), e.message, position, symbol)
            })
            .collect(),
    ))
}

/// Parses DSL text without semantic validation (syntax errors only).
pub fn parse_syntax_only(text: &str) -> Result<AuthorizationModel, DslErrors> {
    parse::parse_syntax(text).map_err(DslErrors)
}
