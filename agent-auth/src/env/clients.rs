//! `from_env` of each client.

use super::{
    AUDIENCE, CLIENT_ID, CLIENT_METADATA_URL, Credential, Env, EnvError, ISSUER, REDIRECT_URI,
    TOKEN_ENDPOINT, credential, required, scopes,
};
use crate::exchange::ExchangeClient;
use crate::login::{ClientAuth as LoginAuth, LoginConfig};
use crate::mcp_client::{InteractiveLogin, McpGrant, Registration};
use crate::oauth::{ClientAuth, TokenEndpoint};

impl LoginConfig {
    /// The login client's settings from `AGENT_AUTH_ISSUER`,
    /// `AGENT_AUTH_CLIENT_ID`, `AGENT_AUTH_REDIRECT_URI` (required),
    /// `AGENT_AUTH_CLIENT_SECRET` (`client_secret_basic`) or
    /// `AGENT_AUTH_PRIVATE_KEY_FILE` (`private_key_jwt`), and
    /// `AGENT_AUTH_SCOPES`.
    ///
    /// ```
    /// use agent_auth::login::LoginConfig;
    /// use std::collections::HashMap;
    /// let env: HashMap<String, String> = [
    ///     ("AGENT_AUTH_ISSUER", "https://idp.example"),
    ///     ("AGENT_AUTH_CLIENT_ID", "portal"),
    ///     ("AGENT_AUTH_REDIRECT_URI", "https://portal.example/cb"),
    /// ].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    /// let config = LoginConfig::from_env(&env).unwrap();
    /// assert_eq!(config.client_id, "portal");
    /// ```
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        let mut config = Self::new(
            required(env, ISSUER)?,
            required(env, CLIENT_ID)?,
            required(env, REDIRECT_URI)?,
        );
        config = config.auth(match credential(env)? {
            Credential::None => LoginAuth::None,
            Credential::Secret(secret) => LoginAuth::SecretBasic(secret),
            Credential::Key(key) => LoginAuth::PrivateKeyJwt(std::sync::Arc::from(key)),
        });
        if let Some(scopes) = scopes(env) {
            config = config.scopes(scopes);
        }
        Ok(config)
    }
}

/// The core client authentication of `AGENT_AUTH_CLIENT_ID`.
fn client_auth(env: &dyn Env) -> Result<ClientAuth, EnvError> {
    let client_id = required(env, CLIENT_ID)?;
    Ok(match credential(env)? {
        Credential::None => ClientAuth::public(client_id),
        Credential::Secret(secret) => ClientAuth::basic(client_id, secret.expose_secret()),
        Credential::Key(key) => ClientAuth::private_key_jwt(client_id, std::sync::Arc::from(key)),
    })
}

impl TokenEndpoint {
    /// The token endpoint `AGENT_AUTH_TOKEN_ENDPOINT`, as
    /// `AGENT_AUTH_CLIENT_ID` with `AGENT_AUTH_CLIENT_SECRET` or
    /// `AGENT_AUTH_PRIVATE_KEY_FILE` (public without either); client
    /// assertions name `AGENT_AUTH_ISSUER` when set (RFC 7523 section 3).
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        let endpoint = required(env, TOKEN_ENDPOINT)?;
        let mut token = Self::new(endpoint, client_auth(env)?).map_err(|_| EnvError::Invalid {
            name: TOKEN_ENDPOINT,
            reason: "not an https (or loopback http) URL",
        })?;
        if let Some(issuer) = env.var(ISSUER) {
            token = token.assertion_audience(issuer);
        }
        Ok(token)
    }
}

impl ExchangeClient {
    /// A token exchange client on [`TokenEndpoint::from_env`].
    /// `AGENT_AUTH_AUDIENCE`, the API to ask tokens for, is read with
    /// [`audience_from_env`].
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        TokenEndpoint::from_env(env).map(Self::from_endpoint)
    }
}

/// `AGENT_AUTH_AUDIENCE`: the audience (API identifier) tokens are asked for.
pub fn audience_from_env(env: &dyn Env) -> Result<String, EnvError> {
    required(env, AUDIENCE)
}

impl McpGrant {
    /// How an MCP client obtains tokens, from the environment:
    /// `AGENT_AUTH_CLIENT_ID` with `AGENT_AUTH_CLIENT_SECRET` or
    /// `AGENT_AUTH_PRIVATE_KEY_FILE`: client credentials; the client id
    /// alone: an interactive login as that pre-registered client;
    /// `AGENT_AUTH_CLIENT_METADATA_URL`: an interactive login with that
    /// client ID metadata document; nothing: an interactive login with
    /// dynamic registration.
    pub fn from_env(env: &dyn Env) -> Result<Self, EnvError> {
        let Some(client_id) = env.var(CLIENT_ID) else {
            if credential(env).map(|c| !matches!(c, Credential::None))? {
                return Err(EnvError::Missing(CLIENT_ID));
            }
            let registration = match env.var(CLIENT_METADATA_URL) {
                Some(url) => Registration::MetadataDocument {
                    url,
                    client_name: "agent".into(),
                },
                None => Registration::Dynamic {
                    client_name: "agent".into(),
                },
            };
            return Ok(Self::Interactive(InteractiveLogin::new(registration)));
        };
        Ok(match credential(env)? {
            Credential::Secret(secret) => Self::ClientSecret { client_id, secret },
            Credential::Key(key) => Self::PrivateKeyJwt { client_id, key },
            Credential::None => {
                Self::Interactive(InteractiveLogin::new(Registration::Preregistered {
                    client_id,
                    secret: None,
                }))
            }
        })
    }
}
