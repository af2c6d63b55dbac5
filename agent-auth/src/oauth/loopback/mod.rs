//! Interactive login of a native app (RFC 8252): the browser hook, the
//! loopback redirect listener and the parser of the one request it reads.

mod browser;
#[cfg(feature = "http")]
mod listener;
#[cfg(feature = "http")]
mod page;
mod request;

pub use browser::{BrowserHook, PrintUrl};
#[cfg(feature = "http")]
pub use listener::{LoopbackError, LoopbackRedirect};
pub use request::{
    CallbackRequest, CallbackRequestError, MAX_REQUEST_HEAD, parse_callback_request,
};
