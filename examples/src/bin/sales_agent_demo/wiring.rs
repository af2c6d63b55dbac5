//! How the agent side and the people reach the other parties. In process,
//! they call the authorities and the vault directly. With `--http`, every
//! party is reached over loopback HTTP through the library's remote
//! clients: the token endpoint, the authorities' JWKS, the login client's
//! HTTP backend, the remote Token Vault (the authority's
//! federated-connection grant), and Sarah's browser on the login pages.
//! The phases are the same either way; only these calls differ.

use crate::browser::Browser;
use crate::world::{AGENT, TENANT, World};
use agent_auth::clock::SharedClock;
use agent_auth::jwks::RemoteJwks;
use agent_auth::login::{HttpBackend, LoginBackend};
use agent_auth::oauth::{ClientAuth, Form, TokenEndpoint};
use agent_auth::secret::{SecretString, Token};
use agent_auth::validate::KeySource;
use reference_authority::{Authority, InMemoryBackend, Params, TokenRequest, paths};
use std::error::Error;
use std::sync::Arc;
use token_vault_client::TokenTool;
use token_vault_client::agent::CredentialLayer;
use token_vault_client::remote::{RemoteSession, RemoteVault};

/// The wiring the demo runs on.
#[derive(Debug)]
pub(crate) enum Parties {
    /// Direct calls.
    InProcess,
    /// Loopback HTTP; Sarah's browser.
    Http(Browser),
}

impl Parties {
    /// `--http` on the command line: over HTTP.
    pub(crate) fn from_args() -> Result<Self, Box<dyn Error>> {
        if std::env::args().any(|a| a == "--http") {
            Ok(Self::Http(Browser::new()?))
        } else {
            Ok(Self::InProcess)
        }
    }

    /// Whether the parties are reached over HTTP.
    pub(crate) fn over_http(&self) -> bool {
        matches!(self, Self::Http(_))
    }

    /// How a login client reaches `authority` (whose issuer is its URL).
    pub(crate) fn login_backend(
        &self,
        authority: &Authority,
        clock: SharedClock,
    ) -> Result<Arc<dyn LoginBackend>, Box<dyn Error>> {
        Ok(match self {
            Self::InProcess => Arc::new(InMemoryBackend::new(authority.clone())),
            Self::Http(_) => Arc::new(HttpBackend::with_clock(clock)?),
        })
    }

    /// The keys of `authority`, as a party validating its tokens gets them.
    pub(crate) fn keys_of(
        &self,
        authority: &Authority,
    ) -> Result<Arc<dyn KeySource>, Box<dyn Error>> {
        Ok(match self {
            Self::InProcess => authority.keys().clone(),
            Self::Http(_) => Arc::new(RemoteJwks::new(&format!(
                "{}{}",
                authority.issuer(),
                paths::JWKS
            ))?),
        })
    }
}

/// What the token endpoint issued the agent.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The access token.
    pub(crate) access_token: Token,
    /// The refresh token, when one was issued.
    pub(crate) refresh_token: Option<Token>,
}

impl World {
    /// The agent's request to Acme's token endpoint, with its client secret;
    /// parameters named `*_token` are sent as secrets.
    pub(crate) async fn agent_token(
        &self,
        params: &[(&str, &str)],
    ) -> Result<Issued, Box<dyn Error>> {
        if !self.parties.over_http() {
            let issued = self
                .authority
                .token(
                    &TokenRequest::new(Params::from_pairs(params.iter().copied()))
                        .basic(AGENT, self.agent_secret()),
                )
                .await?;
            return Ok(Issued {
                access_token: issued.access_token,
                refresh_token: issued.refresh_token,
            });
        }
        let endpoint = TokenEndpoint::new(
            format!("{}{}", self.issuer, paths::TOKEN),
            ClientAuth::basic(AGENT, self.agent_secret()),
        )?;
        let mut form = Form::new();
        for (name, value) in params {
            if name.ends_with("_token") {
                form.push_secret(*name, SecretString::new(*value));
            } else {
                form.push(*name, *value);
            }
        }
        let issued = endpoint.request(form).await?;
        Ok(Issued {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
        })
    }

    /// The credential layer fetching Sarah's `connection` token with
    /// `scope`: from the embedded vault, or over HTTP from the authority's
    /// Token Vault grant, presenting `refresh` (the agent's delegated grant
    /// for Sarah).
    pub(crate) fn credential_layer(
        &self,
        refresh: Option<&Token>,
        connection: &str,
        scope: &str,
    ) -> Result<CredentialLayer, Box<dyn Error>> {
        let tool = if self.parties.over_http() {
            let refresh = refresh.ok_or("the delegated grant has no refresh token")?;
            let remote = RemoteVault::new(
                format!("{}{}", self.issuer, paths::TOKEN),
                AGENT,
                SecretString::new(self.agent_secret()),
            )?;
            let session = RemoteSession::with_refresh_token(
                remote,
                SecretString::new(refresh.expose_secret()),
            );
            TokenTool::with_backend(Arc::new(session), connection, &[scope])
        } else {
            TokenTool::new(self.vault.clone(), connection, &[scope])
        };
        Ok(CredentialLayer::new(tool, TENANT))
    }
}
