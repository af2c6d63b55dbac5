//! The bearer token of one connection to a protected MCP server, and when to
//! obtain a new one: transport-agnostic, so any MCP client (rmcp's streamable
//! HTTP transport, a hand-written one) puts the token on its requests and
//! hands each 401 or 403 it receives to [`McpAuthSession::on_rejection`].

use super::authorize::{McpAuthError, McpAuthorizer, McpToken};
use super::challenge::BearerChallenge;
use crate::secret::Token;
use std::sync::{PoisonError, RwLock};

/// What one request has already done about rejections: the MCP authorization
/// specification allows one authorization after a 401 and one step-up after a
/// 403 `insufficient_scope`, so a server that keeps refusing cannot loop the
/// client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestAttempt {
    authorized: bool,
    stepped_up: bool,
}

impl RequestAttempt {
    /// A request not yet rejected.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What the caller does after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// A new token was obtained: send the request again with
    /// [`McpAuthSession::bearer`].
    WithNewToken,
    /// Give up: the rejection stands (return it to the application).
    No,
}

/// The token of one agent at one MCP server (the `resource`), obtained and
/// replaced by an [`McpAuthorizer`].
#[derive(Debug)]
pub struct McpAuthSession {
    authorizer: McpAuthorizer,
    resource: String,
    token: RwLock<Option<McpToken>>,
}

impl McpAuthSession {
    /// A session for the MCP server at `resource` (its URL, which is also the
    /// RFC 8707 resource indicator), with no token until the first 401.
    pub fn new(authorizer: McpAuthorizer, resource: impl Into<String>) -> Self {
        Self {
            authorizer,
            resource: resource.into(),
            token: RwLock::new(None),
        }
    }

    /// The MCP server URL.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The access token to send (RFC 6750 section 2.1), if one was obtained.
    pub fn bearer(&self) -> Option<Token> {
        self.token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|t| t.access_token.clone())
    }

    /// The scope the current token was asked for.
    pub fn scope(&self) -> Vec<String> {
        self.token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|t| t.scope.clone())
            .unwrap_or_default()
    }

    /// Reacts to an HTTP `status` with its `WWW-Authenticate` header:
    /// - 401 (RFC 6750 section 3.1 `invalid_token`, or no token): obtain a
    ///   token, once per request, with the challenge's `resource_metadata`
    ///   and `scope` (MCP authorization, "Authorization Server Discovery");
    /// - 403 `insufficient_scope` (RFC 6750 section 3.1): step up once per
    ///   request with the challenge's scope (MCP "Scope Challenge Handling");
    /// - anything else, or a repeated rejection: [`Retry::No`].
    ///
    /// An unparsable header counts as a challenge without parameters. On
    /// error the current token is kept.
    pub async fn on_rejection(
        &self,
        attempt: &mut RequestAttempt,
        status: u16,
        www_authenticate: Option<&str>,
    ) -> Result<Retry, McpAuthError> {
        let challenge =
            www_authenticate.and_then(|h| BearerChallenge::from_header(h).ok().flatten());
        match status {
            401 if !attempt.authorized => attempt.authorized = true,
            403 if !attempt.stepped_up
                && challenge
                    .as_ref()
                    .is_some_and(BearerChallenge::is_insufficient_scope) =>
            {
                attempt.stepped_up = true;
            }
            _ => return Ok(Retry::No),
        }
        let token = self
            .authorizer
            .authorize(&self.resource, challenge.as_ref())
            .await?;
        *self.token.write().unwrap_or_else(PoisonError::into_inner) = Some(token);
        Ok(Retry::WithNewToken)
    }
}
