//! Tools from async closures.

use super::{ToolCall, ToolError, ToolOutput};
use std::future::Future;
use std::task::{Context, Poll};

/// A tool made of an async closure; see [`tool_fn`].
#[derive(Clone)]
pub struct ToolFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for ToolFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolFn").finish_non_exhaustive()
    }
}

/// Makes a tool of `f(call)`. The closure reads the arguments, who acts, and
/// what layers added (`call.extensions()`).
pub fn tool_fn<F, Fut>(f: F) -> ToolFn<F>
where
    F: FnMut(ToolCall) -> Fut,
    Fut: Future<Output = Result<ToolOutput, ToolError>>,
{
    ToolFn { f }
}

impl<F, Fut> tower::Service<ToolCall> for ToolFn<F>
where
    F: FnMut(ToolCall) -> Fut,
    Fut: Future<Output = Result<ToolOutput, ToolError>>,
{
    type Response = ToolOutput;
    type Error = ToolError;
    type Future = Fut;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ToolError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Fut {
        (self.f)(call)
    }
}
