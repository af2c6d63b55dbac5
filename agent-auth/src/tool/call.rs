//! A tool call: which tool, with what arguments, for whom.

use super::{Extensions, ToolContext};
use serde_json::Value;

/// One call of a tool. The name and arguments come from the model; the
/// [`ToolContext`] (who acts) comes from verified inputs and cannot be changed
/// once the call is made; layers add what they learn to the [`Extensions`].
#[derive(Debug, Clone)]
pub struct ToolCall {
    name: String,
    arguments: Value,
    context: ToolContext,
    thread: Option<String>,
    id: Option<String>,
    extensions: Extensions,
}

impl ToolCall {
    /// A call of tool `name` with JSON `arguments`, made by whom `context` names.
    pub fn new(name: impl Into<String>, arguments: Value, context: ToolContext) -> Self {
        Self {
            name: name.into(),
            arguments,
            context,
            thread: None,
            id: None,
            extensions: Extensions::new(),
        }
    }

    /// Names the conversation thread (the agent framework's id).
    #[must_use]
    pub fn in_thread(mut self, thread: impl Into<String>) -> Self {
        self.thread = Some(thread.into());
        self
    }

    /// Names this call (the agent framework's tool-call id).
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, as the model wrote them: untrusted input.
    pub fn arguments(&self) -> &Value {
        &self.arguments
    }

    /// Who acts.
    pub fn context(&self) -> &ToolContext {
        &self.context
    }

    /// The conversation thread, if named.
    pub fn thread(&self) -> Option<&str> {
        self.thread.as_deref()
    }

    /// The tool-call id, if named.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// What layers added.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// What layers added, to add more.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}
