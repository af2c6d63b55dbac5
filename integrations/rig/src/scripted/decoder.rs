//! Writes a scripted [`Reply`] through rig's completion writer, as any
//! provider wire's decoder does.

use super::Reply;
use rig_core::error::ProviderError;
use rig_core::operation::{Block, CallFragment, Completion, Finish};
use rig_core::wire::{Decoder, Flow, Out, WireEvent};
use std::marker::PhantomData;

/// The decoder of the scripted wire.
#[derive(Debug, Default)]
pub struct ReplyDecoder<'id> {
    calls: usize,
    brand: PhantomData<fn(&'id ()) -> &'id ()>,
}

impl<'id> Decoder<'id, Completion, Reply> for ReplyDecoder<'id> {
    type Event = Reply;

    fn classify(&self, frame: Reply) -> WireEvent<Reply> {
        WireEvent::Known(frame)
    }

    fn decode(
        &mut self,
        reply: Reply,
        mut out: Out<'id, Completion>,
    ) -> Result<Flow, ProviderError> {
        match reply {
            Reply::Text(text) => {
                out.run(Block::Text, &text)?;
                out.end_run()?;
            }
            Reply::ToolCall { name, arguments } => {
                self.calls += 1;
                let id = format!("call-{}", self.calls);
                let index = out.fresh_index();
                out.fragment(
                    Some(index),
                    CallFragment {
                        id: Some(&id),
                        name: Some(&name),
                        ..CallFragment::default()
                    },
                )?;
                out.announce(index, arguments)?;
                out.finish(index)?;
            }
        }
        Ok(out.end(Finish::default()))
    }
}
