//! Responses to risk changes (feature `server`): what each level does, and
//! the responder that does it, audited with the detections behind it.

mod actions;
mod gate;
mod policy;
mod responder;

pub(crate) use gate::{Gate, Gates};
pub use policy::{Action, ResponsePolicy};
pub use responder::{Responder, ResponseReport};
