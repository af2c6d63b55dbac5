//! The sales agent: a rig agent driven by the scripted model, whose tools sit
//! behind the guard layers. Each step, the model calls one tool; rig's tool
//! path runs it; the model sees the (filtered) result.

use agent_auth::audit::{AuditEvent, Outcome};
use agent_auth_rig::GuardedTool;
use agent_auth_rig::scripted::{Reply, Script};
use rig_agent::AgentBuilder;
use serde_json::Value;
use std::error::Error;

/// What one step produced.
#[derive(Debug)]
pub(crate) struct Step {
    /// The tool result as the model saw it.
    pub(crate) seen: Value,
    /// The audit layer's event of the call.
    pub(crate) audit: AuditEvent,
}

impl Step {
    /// The decision, from the audit event: `allowed`, `denied` or `error`.
    pub(crate) fn decision(&self) -> &'static str {
        match self.audit.outcome {
            Outcome::Success => "allowed",
            Outcome::Denied => "denied",
            _ => "error",
        }
    }

    /// The reason: the refusal's code and the text the model saw, or the
    /// tool's output.
    pub(crate) fn reason(&self) -> String {
        match &self.audit.reason {
            Some(code) => format!("{code}: {}", text_of(&self.seen)),
            None => text_of(&self.seen),
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.len() == 1 => items.first().map(text_of).unwrap_or_default(),
        Value::Object(o) if o.contains_key("value") => {
            o.get("value").map(text_of).unwrap_or_default()
        }
        Value::Object(o) if o.contains_key("text") => {
            o.get("text").map(text_of).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// The tool result the run's transcript holds.
fn tool_result(messages: &Value) -> Option<Value> {
    messages.as_array()?.iter().find_map(|m| {
        m.get("content")?
            .as_array()?
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("toolresult"))
            .and_then(|c| c.get("content").cloned())
    })
}

/// The agent, asked `prompt`, decides (by script) to call `tool` with
/// `arguments`; returns what happened.
pub(crate) async fn step(
    tools: &[GuardedTool],
    audit: &agent_auth::audit::MemorySink,
    prompt: &str,
    tool: &str,
    arguments: Value,
) -> Result<Step, Box<dyn Error>> {
    let model = Script::model([Reply::call(tool, arguments), Reply::text("Done.")]);
    let dynamic = tools
        .iter()
        .map(|t| t.clone().into_dynamic())
        .collect::<Result<Vec<_>, _>>()?;
    let agent = AgentBuilder::new(model)
        .preamble("You are Acme's sales agent. Act only for the signed-in user.")
        .dynamic_tools(dynamic)
        .build();
    let before = audit.events().len();
    let response = agent.prompt(prompt).max_turns(3).await?;
    let seen = tool_result(&serde_json::to_value(&response.messages)?)
        .ok_or("the agent made no tool call")?;
    let events = audit.events();
    let event = events
        .get(before..)
        .and_then(|new| new.last().cloned())
        .ok_or("the tool call left no audit event")?;
    Ok(Step { seen, audit: event })
}
