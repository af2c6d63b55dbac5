//! A completion model that answers from a script, in process: no network, no
//! provider. It implements rig's completion wire and transport, so a real
//! rig agent drives it and its tool calls go through rig's real tool path.

mod decoder;
mod wire;

pub use wire::ScriptedWire;

use rig_core::completion::CompletionRequest;
use rig_core::driver::{Exchange, Model, Opened, Opening, Transport};
use rig_core::error::ProviderError;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One reply of the scripted model.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The model answers with text and ends its turn.
    Text(String),
    /// The model calls a tool with JSON arguments.
    ToolCall {
        /// The tool's name.
        name: String,
        /// The arguments, as a model would write them.
        arguments: Value,
    },
}

impl Reply {
    /// A text answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A call of tool `name` with `arguments`.
    pub fn call(name: impl Into<String>, arguments: Value) -> Self {
        Self::ToolCall {
            name: name.into(),
            arguments,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<CompletionRequest>,
}

/// The runtime behind a [`ScriptedModel`]: it hands out one scripted reply
/// per request and records every request it received.
#[derive(Debug, Clone, Default)]
pub struct Script {
    state: Arc<Mutex<State>>,
}

/// A scripted completion model: the scripted wire over its script.
pub type ScriptedModel = Model<ScriptedWire, Script>;

impl Script {
    /// The model answering `replies` in order, one per request.
    ///
    /// ```
    /// use agent_auth_rig::scripted::{Reply, Script};
    /// use serde_json::json;
    ///
    /// let model = Script::model([
    ///     Reply::call("crm_lookup", json!({"account": "acme"})),
    ///     Reply::text("Acme renews in Q3."),
    /// ]);
    /// assert_eq!(model.transport.remaining(), 2);
    /// ```
    pub fn model(replies: impl IntoIterator<Item = Reply>) -> ScriptedModel {
        let script = Self::default();
        lock(&script.state).replies.extend(replies);
        Model::new(ScriptedWire, script)
    }

    /// The replies not yet given.
    pub fn remaining(&self) -> usize {
        lock(&self.state).replies.len()
    }

    /// Every request the model received, in order (what the model saw,
    /// tool results included).
    pub fn requests(&self) -> Vec<CompletionRequest> {
        lock(&self.state).requests.clone()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Transport<ScriptedWire> for Script {
    fn send(&self, request: CompletionRequest, _exchange: Exchange) -> Opening<Reply> {
        let mut state = lock(&self.state);
        state.requests.push(request);
        match state.replies.pop_front() {
            Some(reply) => Opening::ready(Opened::new(futures::stream::iter([Ok(reply)]))),
            None => Opening::failed(ProviderError::Provider(
                "the scripted model has no reply left".to_owned(),
            )),
        }
    }
}
