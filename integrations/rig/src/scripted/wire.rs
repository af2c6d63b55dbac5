//! The scripted completion wire: the payload is rig's request as it is, each
//! frame one scripted [`Reply`].

use super::Reply;
use super::decoder::ReplyDecoder;
use rig_core::completion::options::{Mapping, OptionFields, OptionMap};
use rig_core::completion::{Accepts, CompletionRequest, ReplayTarget};
use rig_core::error::EncodeError;
use rig_core::message::Api;
use rig_core::operation::Completion;
use rig_core::wire::document::{Reassemble, Serves};
use rig_core::wire::{Descriptor, Mode, Wire};

/// The provider name records and telemetry give the scripted model.
const PROVIDER: &str = "scripted";
/// The wire format's name.
const API: Api = Api::from_static("agent-auth.scripted");

/// The wire of a [`ScriptedModel`](super::ScriptedModel).
#[derive(Debug, Clone, Default)]
pub struct ScriptedWire;

impl ReplayTarget for ScriptedWire {
    fn api(&self) -> Api {
        API
    }

    fn provider(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        PROVIDER
    }

    fn accepts(&self, _model: &str) -> Accepts {
        Accepts::ALL
    }

    /// A script sends nothing for any option.
    fn map_options(&self, _request: &CompletionRequest, fields: OptionFields<'_>) -> OptionMap {
        let OptionFields {
            reasoning,
            cache,
            service_tier,
            verbosity,
            parallel_tool_calls,
            top_p,
            seed,
            stop,
        } = fields;
        let ignored = |set: bool| {
            if set {
                Mapping::Omit("a scripted reply ignores options")
            } else {
                Mapping::Nothing
            }
        };
        OptionMap {
            reasoning: ignored(reasoning.is_some()),
            cache: ignored(cache.is_some()),
            service_tier: ignored(service_tier.is_some()),
            verbosity: ignored(verbosity.is_some()),
            parallel_tool_calls: ignored(parallel_tool_calls.is_some()),
            top_p: ignored(top_p.is_some()),
            seed: ignored(seed.is_some()),
            stop: ignored(!stop.is_empty()),
        }
    }

    fn states_finish_reason(&self) -> bool {
        false
    }
}

/// The reply document: none (a script has no provider document).
#[derive(Debug, Default)]
pub struct NoDocument;

impl Reassemble<Reply> for NoDocument {
    fn absorb(&mut self, _frame: &Reply) {}

    fn finish(self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

impl Serves<Completion> for NoDocument {}

impl Wire for ScriptedWire {
    type Op = Completion;
    type Payload = CompletionRequest;
    type Frame = Reply;
    type Decoder<'id> = ReplyDecoder<'id>;
    type Reassembler = NoDocument;

    fn describe(&self) -> Descriptor<'_> {
        Descriptor::new(PROVIDER).model(PROVIDER).replay(self)
    }

    fn encode(
        &self,
        request: CompletionRequest,
        _mode: Mode,
    ) -> Result<CompletionRequest, EncodeError> {
        Ok(request)
    }

    fn decoder<'id>(&self) -> ReplyDecoder<'id> {
        ReplyDecoder::default()
    }
}
