//! The agent-facing wrapper: "give this closure a token for `google` with
//! `calendar.readonly`". Tokens are cached per credentials context; a provider
//! 401 gets one retry with a fresh token, then consent-required. Wrappers hold
//! no global state, so they nest (a tool inside another tool, or inside CIBA
//! and FGA wrappers) freely.
//!
//! [`CredentialLayer`] is the same access as a `tower::Layer` over agent-auth's
//! tool calls (`agent_auth::tool`): it nests in any order with the FGA,
//! approval, output filter and audit layers.

mod layer;

pub use layer::{CredentialLayer, CredentialService, VaultCredential};

use crate::backend::CredentialBackend;
use crate::credential::IssuedCredential;
use crate::error::VaultError;
use crate::{Accessor, Vault};
use agent_auth::secret::Token;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

/// Where a tool runs: the agent, the conversation thread, the tool call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CredentialsContext {
    /// The agent.
    pub agent: String,
    /// The thread (conversation), if any.
    pub thread: Option<String>,
    /// The tool call, if any.
    pub tool_call: Option<String>,
}

/// How long a fetched token is reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheScope {
    /// For one tool call.
    #[default]
    ToolCall,
    /// For a thread.
    Thread,
    /// For the agent (every thread).
    Agent,
}

/// What the wrapped closure returns on failure.
#[derive(Debug)]
pub enum ToolError<E> {
    /// The provider answered 401: the token was refused.
    Unauthorized,
    /// Any other failure of the tool.
    Other(E),
}

/// Failure of a wrapped call.
#[derive(Debug, thiserror::Error)]
pub enum TokenToolError<E: std::fmt::Debug> {
    /// The vault refused (consent required, not found, ...).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The tool failed.
    #[error("tool failed: {0:?}")]
    Tool(E),
}

#[derive(Debug)]
struct Cached {
    credential: IssuedCredential,
    epoch: u64,
}

type CacheKey = (String, String, String, Option<String>, Option<String>);

/// A tool's access to one connection with fixed scopes, through any
/// [`CredentialBackend`]: the embedded [`Vault`] or a remote Token Vault.
#[derive(Debug, Clone)]
pub struct TokenTool {
    vault: Arc<dyn CredentialBackend>,
    connection: String,
    scopes: Vec<String>,
    cache_scope: CacheScope,
    cache: Arc<Mutex<HashMap<CacheKey, Cached>>>,
}

impl TokenTool {
    /// Access to `connection` with `scopes` in the embedded `vault`.
    pub fn new(vault: Vault, connection: impl Into<String>, scopes: &[&str]) -> Self {
        Self::with_backend(Arc::new(vault), connection, scopes)
    }

    /// Access to `connection` with `scopes` through any backend (a
    /// [`RemoteSession`](crate::remote::RemoteSession) for a remote vault).
    pub fn with_backend(
        backend: Arc<dyn CredentialBackend>,
        connection: impl Into<String>,
        scopes: &[&str],
    ) -> Self {
        Self {
            vault: backend,
            connection: connection.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            cache_scope: CacheScope::default(),
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Sets how long tokens are reused.
    #[must_use]
    pub fn cache_scope(mut self, scope: CacheScope) -> Self {
        self.cache_scope = scope;
        self
    }

    /// The connection this tool reads.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    pub(crate) fn key(&self, accessor: &Accessor, ctx: &CredentialsContext) -> CacheKey {
        let (thread, call) = match self.cache_scope {
            CacheScope::ToolCall => (ctx.thread.clone(), ctx.tool_call.clone()),
            CacheScope::Thread => (ctx.thread.clone(), None),
            CacheScope::Agent => (None, None),
        };
        (
            accessor.tenant().to_owned(),
            accessor.user().to_owned(),
            ctx.agent.clone(),
            thread,
            call,
        )
    }

    pub(crate) async fn token(
        &self,
        accessor: &Accessor,
        key: &CacheKey,
    ) -> Result<IssuedCredential, VaultError> {
        let epoch = self.vault.user_epoch(accessor);
        let now = self.vault.now();
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            && c.epoch == epoch
            && c.credential.expires_at().is_none_or(|e| e > now + 30)
        {
            return Ok(c.credential.clone());
        }
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let credential = self.vault.get(accessor, &self.connection, &scopes).await?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                key.clone(),
                Cached {
                    credential: credential.clone(),
                    epoch,
                },
            );
        Ok(credential)
    }

    /// Runs `f` with a token for the user `accessor` acts for. On
    /// [`ToolError::Unauthorized`] the token is refreshed (unless another call
    /// already did) and `f` runs once more; a second 401 is consent-required.
    pub async fn call<T, E, F, Fut>(
        &self,
        accessor: &Accessor,
        ctx: &CredentialsContext,
        f: F,
    ) -> Result<T, TokenToolError<E>>
    where
        E: std::fmt::Debug,
        F: Fn(Token) -> Fut,
        Fut: Future<Output = Result<T, ToolError<E>>>,
    {
        let key = self.key(accessor, ctx);
        let first = self.token(accessor, &key).await?;
        match f(Token::new(first.secret())).await {
            Ok(v) => return Ok(v),
            Err(ToolError::Other(e)) => return Err(TokenToolError::Tool(e)),
            Err(ToolError::Unauthorized) => {}
        }
        let fresh = self.refresh_rejected(accessor, &key, &first).await?;
        match f(Token::new(fresh.secret())).await {
            Ok(v) => {
                self.remember(accessor, key, fresh);
                Ok(v)
            }
            Err(ToolError::Other(e)) => Err(TokenToolError::Tool(e)),
            Err(ToolError::Unauthorized) => Err(TokenToolError::Vault(self.consent_required())),
        }
    }

    /// After the provider refused `rejected`: forgets it and asks the vault for
    /// a fresh token (unless another call already refreshed).
    pub(crate) async fn refresh_rejected(
        &self,
        accessor: &Accessor,
        key: &CacheKey,
        rejected: &IssuedCredential,
    ) -> Result<IssuedCredential, VaultError> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        self.vault
            .refresh_rejected(accessor, &self.connection, &scopes, rejected.secret())
            .await
    }

    /// Caches a fresh token that the provider accepted.
    pub(crate) fn remember(
        &self,
        accessor: &Accessor,
        key: CacheKey,
        credential: IssuedCredential,
    ) {
        let epoch = self.vault.user_epoch(accessor);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Cached { credential, epoch });
    }

    /// A fresh token was refused too: the user must reconnect.
    pub(crate) fn consent_required(&self) -> VaultError {
        self.vault
            .consent_required(&self.connection, self.scopes.clone())
    }
}
