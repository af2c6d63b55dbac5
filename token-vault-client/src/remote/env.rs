//! `from_env` of the remote vault client and session, on the variables of
//! [`agent_auth::env`].

use super::{RemoteSession, RemoteVault};
use agent_auth::env::{Env, EnvError};
use agent_auth::oauth::TokenEndpoint;
use agent_auth::secret::SecretString;

/// The user's access token a [`RemoteSession`] presents.
pub const ACCESS_TOKEN: &str = "AGENT_AUTH_ACCESS_TOKEN";
/// Or the user's refresh token.
pub const REFRESH_TOKEN: &str = "AGENT_AUTH_REFRESH_TOKEN";

impl RemoteVault {
    /// A client of the token endpoint `AGENT_AUTH_TOKEN_ENDPOINT`, as
    /// `AGENT_AUTH_CLIENT_ID` with `AGENT_AUTH_CLIENT_SECRET` or
    /// `AGENT_AUTH_PRIVATE_KEY_FILE` ([`TokenEndpoint::from_env`]).
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        TokenEndpoint::from_env(env).map(Self::from_endpoint)
    }
}

impl RemoteSession {
    /// A session of [`RemoteVault::from_env`] presenting the user's token
    /// from `AGENT_AUTH_ACCESS_TOKEN` or `AGENT_AUTH_REFRESH_TOKEN` (exactly
    /// one of them). Errors name the variable, never its value.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use token_vault_client::remote::RemoteSession;
    /// let env: HashMap<String, String> = [
    ///     ("AGENT_AUTH_TOKEN_ENDPOINT", "https://idp.example/oauth/token"),
    ///     ("AGENT_AUTH_CLIENT_ID", "agent"),
    ///     ("AGENT_AUTH_CLIENT_SECRET", "client-secret"),
    ///     ("AGENT_AUTH_REFRESH_TOKEN", "the-users-refresh-token"),
    /// ].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    /// let session = RemoteSession::from_env(&env).unwrap();
    /// assert!(!format!("{session:?}").contains("the-users-refresh-token"));
    /// ```
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        let subject = (env.var(ACCESS_TOKEN), env.var(REFRESH_TOKEN));
        if let (Some(_), Some(_)) = subject {
            return Err(EnvError::Invalid {
                name: ACCESS_TOKEN,
                reason: "set either an access token or a refresh token, not both",
            });
        }
        let vault = RemoteVault::from_env(env)?;
        match subject {
            (Some(access), _) => Ok(Self::with_access_token(vault, SecretString::new(access))),
            (None, Some(refresh)) => {
                Ok(Self::with_refresh_token(vault, SecretString::new(refresh)))
            }
            (None, None) => Err(EnvError::Missing(ACCESS_TOKEN)),
        }
    }
}
