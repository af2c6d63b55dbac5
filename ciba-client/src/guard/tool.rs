//! Tools from closures, and the context a tool runs with.

use super::{GuardError, Tool};
use crate::client::ApprovedTokens;
use std::future::Future;
use std::sync::Arc;

/// What a tool runs with: the approved tokens of the innermost guard that asked.
#[derive(Debug, Clone, Default)]
pub struct ToolContext {
    approval: Option<Arc<ApprovedTokens>>,
}

impl ToolContext {
    /// A context without approval.
    pub fn new() -> Self {
        Self::default()
    }

    /// The approved tokens, when a guard asked a person.
    pub fn approval(&self) -> Option<&ApprovedTokens> {
        self.approval.as_deref()
    }

    pub(crate) fn with_approval(mut self, tokens: Arc<ApprovedTokens>) -> Self {
        self.approval = Some(tokens);
        self
    }
}

/// A tool made of an async closure.
#[derive(Debug, Clone)]
pub struct FnTool<F>(F);

/// Makes a [`Tool`] of `f(args, ctx)`.
pub fn tool_fn<F>(f: F) -> FnTool<F> {
    FnTool(f)
}

#[async_trait::async_trait]
impl<A, F, Fut, O> Tool<A> for FnTool<F>
where
    A: Send + 'static,
    F: Fn(A, ToolContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, GuardError>> + Send,
    O: Send,
{
    type Output = O;

    async fn call(&self, args: A, ctx: ToolContext) -> Result<O, GuardError> {
        (self.0)(args, ctx).await
    }
}
