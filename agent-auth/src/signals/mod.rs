//! The shared receiver of security signals (feature `signals`): Security
//! Event Tokens (RFC 8417) carrying CAEP and RISC events from a Shared
//! Signals Framework 1.0 transmitter, and Global Token Revocation requests,
//! turned into typed [`Signal`]s for every [`SignalSubscriber`]: a resource
//! guard refusing tokens, a vault wiping credentials, a CIBA client cancelling
//! approvals, a login client ending sessions, exchange caches dropping tokens.
//!
//! - [`SetReceiver`]: one token profile (`secevent+jwt`), freshness and
//!   bounded replay memory ([`ReplayGuard`]), issuer-scoped subjects
//!   ([`Subject`], RFC 9493), requested events only, stream verification;
//! - [`PushEndpoint`]: RFC 8935 push, transport-agnostic (202 / 400 with the
//!   RFC's error JSON), served by axum with `PushEndpoint::router`
//!   (feature `server`);
//! - [`PollClient`]: RFC 8936 poll with `ack`, `setErrs`, `maxEvents` and
//!   `returnImmediately` (feature `http`);
//! - [`TransmitterConfig`], [`StreamClient`]: SSF 1.0 configuration
//!   discovery, stream creation, reading, update, replacement, deletion,
//!   status and verification (feature `http`);
//! - [`gtr_subject`]: the body of a Global Token Revocation request.
//!
//! See `docs/signals.md` in the workspace for the guide.

mod error;
mod event;
mod gtr;
#[cfg(feature = "http")]
mod poll;
mod push;
#[cfg(feature = "server")]
mod push_axum;
mod receiver;
mod replay;
mod status;
#[cfg(feature = "http")]
mod stream;
mod subject;
mod subscriber;
mod verification;

pub use error::SetError;
pub use event::{Signal, SignalKind, caep, risc, ssf};
pub use gtr::{GtrRequestError, gtr_subject};
#[cfg(feature = "http")]
pub use poll::{PollClient, PollError, PollReport};
pub use push::{PushAnswer, PushEndpoint, SET_MEDIA_TYPE};
pub use receiver::{SetReceiver, SetReceiverBuilder};
pub use replay::{DEFAULT_CAPACITY, DEFAULT_LEEWAY, DEFAULT_MAX_AGE, Refusal, ReplayGuard, Stamp};
pub use status::StreamStatus;
#[cfg(feature = "http")]
pub use stream::{
    Delivery, POLL_DELIVERY, PUSH_DELIVERY, Stream, StreamClient, StreamError, StreamState,
    TransmitterConfig,
};
pub use subject::{Subject, SubjectError};
pub use subscriber::SignalSubscriber;
