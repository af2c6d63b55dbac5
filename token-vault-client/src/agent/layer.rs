//! The credential layer: fetches the connection's token for the user the call
//! acts for and puts it into the call's extensions as a [`VaultCredential`].
//! A tool answering [`ToolError::CredentialRejected`] (the provider's 401)
//! gets one retry with a fresh token; a second refusal is consent-required.

use super::{CredentialsContext, TokenTool};
use crate::Accessor;
use crate::error::VaultError;
use agent_auth::secret::Token;
use agent_auth::tool::{Tool, ToolCall, ToolError, ToolFuture, ToolOutput, ready_inner};
use std::task::{Context, Poll};
use tower::ServiceExt as _;

/// The credential a [`CredentialLayer`] fetched for this call.
#[derive(Debug)]
pub struct VaultCredential {
    connection: String,
    token: Token,
}

impl VaultCredential {
    /// A credential for `connection`, as a [`CredentialLayer`] puts it into a
    /// call: for tools tested, or layered, without a vault in front of them.
    pub fn new(connection: impl Into<String>, token: Token) -> Self {
        Self {
            connection: connection.into(),
            token,
        }
    }

    /// The connection it is for.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// The token, to send to the provider (never to the model).
    pub fn token(&self) -> &Token {
        &self.token
    }
}

/// Injects the vault's token for one connection into every call. The user
/// and agent come from the call's verified context, never from its arguments
/// (the vault refuses to serve another user's credential).
#[derive(Debug, Clone)]
pub struct CredentialLayer {
    tool: TokenTool,
    tenant: String,
}

impl CredentialLayer {
    /// Tokens of `tool`'s connection and scopes, for users of `tenant`.
    pub fn new(tool: TokenTool, tenant: impl Into<String>) -> Self {
        Self {
            tool,
            tenant: tenant.into(),
        }
    }

    fn unavailable(&self, reason: &str) -> ToolError {
        ToolError::CredentialUnavailable {
            connection: self.tool.connection().to_owned(),
            reason: reason.to_owned(),
        }
    }

    fn vault_error(&self, e: VaultError) -> ToolError {
        match e {
            VaultError::ConsentRequired(c) => ToolError::ConsentRequired {
                connection: c.connection,
                missing_scopes: c.missing_scopes,
                connect_url: c.reconnect_url,
            },
            // The short code only: storage errors may name local paths.
            other => self.unavailable(other.reason()),
        }
    }

    fn with_credential(&self, mut call: ToolCall, secret: &str) -> ToolCall {
        call.extensions_mut().insert(VaultCredential::new(
            self.tool.connection(),
            Token::new(secret),
        ));
        call
    }

    async fn run<S: Tool>(&self, mut inner: S, call: ToolCall) -> Result<ToolOutput, ToolError> {
        let ctx = call.context();
        let accessor =
            Accessor::from_context(&self.tenant, ctx).map_err(|_| self.unavailable("no_user"))?;
        let key = self.tool.key(
            &accessor,
            &CredentialsContext {
                agent: ctx.agent().to_owned(),
                thread: call.thread().map(str::to_owned),
                tool_call: call.id().map(str::to_owned),
            },
        );
        let first = self
            .tool
            .token(&accessor, &key)
            .await
            .map_err(|e| self.vault_error(e))?;
        let retry = call.clone();
        match inner.call(self.with_credential(call, first.secret())).await {
            Err(ToolError::CredentialRejected) => {}
            done => return done,
        }
        let fresh = self
            .tool
            .refresh_rejected(&accessor, &key, &first)
            .await
            .map_err(|e| self.vault_error(e))?;
        let answer = inner
            .ready()
            .await?
            .call(self.with_credential(retry, fresh.secret()))
            .await;
        match answer {
            Ok(output) => {
                self.tool.remember(&accessor, key, fresh);
                Ok(output)
            }
            Err(ToolError::CredentialRejected) => {
                Err(self.vault_error(self.tool.consent_required()))
            }
            Err(e) => Err(e),
        }
    }
}

impl<S> tower::Layer<S> for CredentialLayer {
    type Service = CredentialService<S>;

    fn layer(&self, inner: S) -> CredentialService<S> {
        CredentialService {
            inner,
            layer: self.clone(),
        }
    }
}

/// A tool inside a [`CredentialLayer`].
#[derive(Debug, Clone)]
pub struct CredentialService<S> {
    inner: S,
    layer: CredentialLayer,
}

impl<S: Tool> tower::Service<ToolCall> for CredentialService<S> {
    type Response = ToolOutput;
    type Error = ToolError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ToolError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: ToolCall) -> ToolFuture {
        let inner = ready_inner(&mut self.inner);
        let layer = self.layer.clone();
        Box::pin(async move { layer.run(inner, call).await })
    }
}
