//! A guarded tool as a rig tool: rig's tool path calls the tool-layer stack
//! with the verified [`ToolContext`] of the session, never one the model
//! could name.

use crate::refusal::to_rig;
use agent_auth::tool::{BoxTool, ToolCall, ToolContext, ToolOutput};
use rig_core::message::ToolName;
use rig_core::tool::{DynamicTool, ToolExecutionError};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt as _;

/// Numbers the calls rig dispatches: rig names no call, and what the layers
/// keep for one tool call (the vault layer's token cache) must last one call.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// Why a guarded tool cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardedToolError {
    /// rig refuses an empty tool name.
    #[error("a tool needs a non-empty name")]
    EmptyName,
}

/// A tool (with its layers, see [`Guards`](crate::Guards)) offered to a rig
/// agent. Every call rig dispatches becomes a [`ToolCall`] with the session's
/// verified context and the model's arguments; the layers decide.
#[derive(Debug, Clone)]
pub struct GuardedTool {
    name: String,
    description: String,
    parameters: Value,
    tool: BoxTool,
    context: ToolContext,
}

impl GuardedTool {
    /// The tool `name`, described to the model by `description` and the JSON
    /// schema `parameters`, running `tool` for whom `context` names.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        tool: BoxTool,
        context: ToolContext,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            tool,
            context,
        }
    }

    /// Calls the tool with the model's `arguments`, as rig does.
    pub async fn call(&self, arguments: Value) -> Result<ToolOutput, ToolExecutionError> {
        let id = format!("{}-{}", self.name, CALLS.fetch_add(1, Ordering::Relaxed));
        let call = ToolCall::new(self.name.clone(), arguments, self.context.clone()).with_id(id);
        self.tool
            .clone()
            .oneshot(call)
            .await
            .map_err(|e| to_rig(&e))
    }

    /// The rig tool, to give to `AgentBuilder::dynamic_tool`.
    pub fn into_dynamic(self) -> Result<DynamicTool, GuardedToolError> {
        let name = ToolName::new(self.name.clone()).map_err(|_| GuardedToolError::EmptyName)?;
        let description = self.description.clone();
        let parameters = self.parameters.clone();
        Ok(DynamicTool::new(
            name,
            description,
            parameters,
            move |arguments| {
                let tool = self.clone();
                Box::pin(async move { tool.call(arguments).await.map(to_rig_output) })
            },
        ))
    }
}

/// The tool's output as rig's: JSON stays JSON, text stays text.
fn to_rig_output(output: ToolOutput) -> rig_core::tool::ToolOutput {
    match output {
        ToolOutput::Json(value) => rig_core::tool::ToolOutput::json(value),
        other => rig_core::tool::ToolOutput::text(other.to_string()),
    }
}
