//! What a tool returns to the model.

use serde_json::Value;

/// A tool's result: JSON or text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolOutput {
    /// A JSON document.
    Json(Value),
    /// Plain text.
    Text(String),
}

impl ToolOutput {
    /// JSON output.
    pub fn json(value: impl Into<Value>) -> Self {
        Self::Json(value.into())
    }

    /// Text output.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// The JSON document, if the output is JSON.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Self::Json(v) => Some(v),
            Self::Text(_) => None,
        }
    }

    /// The text, if the output is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Json(_) => None,
        }
    }
}

impl std::fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(v) => write!(f, "{v}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}
