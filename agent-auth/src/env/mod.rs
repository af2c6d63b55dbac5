//! Configuration from conventional environment variables, one call per
//! client (as the Auth0 AI SDKs do): [`LoginConfig::from_env`](crate::login::LoginConfig::from_env),
//! [`ExchangeClient::from_env`](crate::exchange::ExchangeClient::from_env),
//! [`TokenEndpoint::from_env`](crate::oauth::TokenEndpoint::from_env) and
//! [`McpGrant::from_env`](crate::mcp_client::McpGrant::from_env). The
//! variables are read through [`Env`], so tests pass a map instead of
//! changing the process environment. Errors name the variable, never its value.
//!
//! | variable | meaning |
//! |---|---|
//! | `AGENT_AUTH_ISSUER` | the authorization server's issuer |
//! | `AGENT_AUTH_CLIENT_ID` | the client id |
//! | `AGENT_AUTH_CLIENT_SECRET` | its secret (confidential client) |
//! | `AGENT_AUTH_PRIVATE_KEY_FILE` | or a PEM private key for `private_key_jwt` |
//! | `AGENT_AUTH_PRIVATE_KEY_ALG` | its JWS algorithm (default `ES256`) |
//! | `AGENT_AUTH_REDIRECT_URI` | the login client's redirect URI |
//! | `AGENT_AUTH_SCOPES` | space-separated scopes |
//! | `AGENT_AUTH_AUDIENCE` | the audience (API) tokens are asked for |
//! | `AGENT_AUTH_TOKEN_ENDPOINT` | the token endpoint of the exchange client |
//! | `AGENT_AUTH_CLIENT_METADATA_URL` | the MCP client's metadata document URL |

#[cfg(feature = "http")]
mod clients;

#[cfg(feature = "http")]
pub use clients::audience_from_env;

use crate::jose::{Algorithm, SigningKey};
use crate::secret::SecretString;
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroizing;

/// The issuer.
pub const ISSUER: &str = "AGENT_AUTH_ISSUER";
/// The client id.
pub const CLIENT_ID: &str = "AGENT_AUTH_CLIENT_ID";
/// The client secret.
pub const CLIENT_SECRET: &str = "AGENT_AUTH_CLIENT_SECRET";
/// The path of a PEM private key (`private_key_jwt`).
pub const PRIVATE_KEY_FILE: &str = "AGENT_AUTH_PRIVATE_KEY_FILE";
/// The key's JWS algorithm.
pub const PRIVATE_KEY_ALG: &str = "AGENT_AUTH_PRIVATE_KEY_ALG";
/// The login client's redirect URI.
pub const REDIRECT_URI: &str = "AGENT_AUTH_REDIRECT_URI";
/// Space-separated scopes.
pub const SCOPES: &str = "AGENT_AUTH_SCOPES";
/// The audience tokens are asked for.
pub const AUDIENCE: &str = "AGENT_AUTH_AUDIENCE";
/// The exchange client's token endpoint.
pub const TOKEN_ENDPOINT: &str = "AGENT_AUTH_TOKEN_ENDPOINT";
/// The MCP client's client ID metadata document URL.
pub const CLIENT_METADATA_URL: &str = "AGENT_AUTH_CLIENT_METADATA_URL";

/// Where variables come from.
pub trait Env {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// A setting is missing or unusable. Never contains a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A required variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn required(env: &dyn Env, name: &'static str) -> Result<String, EnvError> {
    env.var(name).ok_or(EnvError::Missing(name))
}

/// The client's credential, from the environment.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
#[derive(Debug)]
pub(crate) enum Credential {
    None,
    Secret(SecretString),
    Key(Box<SigningKey>),
}

/// The client secret or private key; setting both is an error.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn credential(env: &dyn Env) -> Result<Credential, EnvError> {
    match (env.var(CLIENT_SECRET), env.var(PRIVATE_KEY_FILE)) {
        (Some(_), Some(_)) => Err(EnvError::Invalid {
            name: CLIENT_SECRET,
            reason: "set either a client secret or a private key file, not both",
        }),
        (Some(secret), None) => Ok(Credential::Secret(SecretString::new(secret))),
        (None, Some(path)) => {
            let alg = match env.var(PRIVATE_KEY_ALG) {
                Some(name) => Algorithm::from_name(&name).ok_or(EnvError::Invalid {
                    name: PRIVATE_KEY_ALG,
                    reason: "unknown JWS algorithm",
                })?,
                None => Algorithm::Es256,
            };
            let pem =
                Zeroizing::new(
                    std::fs::read_to_string(path).map_err(|_| EnvError::Invalid {
                        name: PRIVATE_KEY_FILE,
                        reason: "the file cannot be read",
                    })?,
                );
            let key = SigningKey::from_pem(alg, &pem).map_err(|_| EnvError::Invalid {
                name: PRIVATE_KEY_FILE,
                reason: "not a PEM private key of that algorithm",
            })?;
            Ok(Credential::Key(Box::new(key)))
        }
        (None, None) => Ok(Credential::None),
    }
}

/// The scopes, split on spaces.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn scopes(env: &dyn Env) -> Option<Vec<String>> {
    env.var(SCOPES).map(|s| {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}
