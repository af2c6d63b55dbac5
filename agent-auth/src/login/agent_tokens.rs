//! Access tokens for an agent acting as itself (client credentials), cached and
//! renewed ahead of expiry, one request at a time.

use super::{ClientError, LoginClient, TokenSet};
use crate::secret::Token;
use std::sync::Arc;

/// A cached client-credentials token for one scope and resource.
///
/// Concurrent callers share one renewal: the cache is behind an async mutex, so
/// a thousand callers at expiry cause one token request.
#[derive(Debug, Clone)]
pub struct AgentTokens {
    client: Arc<LoginClient>,
    scope: Vec<String>,
    resource: Option<String>,
    cached: Arc<tokio::sync::Mutex<Option<TokenSet>>>,
}

impl AgentTokens {
    /// Tokens with `scope` for `resource` (RFC 8707), from `client`.
    pub fn new(
        client: Arc<LoginClient>,
        scope: impl IntoIterator<Item = impl Into<String>>,
        resource: Option<String>,
    ) -> Self {
        Self {
            client,
            scope: scope.into_iter().map(Into::into).collect(),
            resource,
            cached: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// A valid access token: the cached one, or a new one when the cached token
    /// expires within the client's refresh margin.
    pub async fn access_token(&self) -> Result<Token, ClientError> {
        let mut cached = self.cached.lock().await;
        let now = self.client.clock.now();
        let margin = self.client.config.refresh_ahead;
        if let Some(tokens) = cached.as_ref()
            && tokens.expires_at.is_none_or(|at| at - now > margin)
        {
            return Ok(tokens.access_token.clone());
        }
        let scope: Vec<&str> = self.scope.iter().map(String::as_str).collect();
        let fresh = self
            .client
            .client_credentials(&scope, self.resource.as_deref())
            .await?;
        let token = fresh.access_token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token (after a 401 from a resource server, say).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}
