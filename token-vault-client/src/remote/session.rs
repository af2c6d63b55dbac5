//! A remote Token Vault as a [`CredentialBackend`]: the client with the
//! user's token it presents.

use super::{RemoteVault, SubjectToken};
use crate::backend::CredentialBackend;
use crate::credential::IssuedCredential;
use crate::error::{ConsentRequired, VaultError};
use crate::vault::Accessor;
use agent_auth::secret::SecretString;

/// A [`RemoteVault`] with the token of the user an agent acts for: the
/// remote side of [`CredentialBackend`]. The authority validates the subject
/// token on every exchange, so the user is the token's, whatever the
/// accessor says; build the accessor from the same validated token.
#[derive(Debug, Clone)]
pub struct RemoteSession {
    vault: RemoteVault,
    subject: SecretString,
    refresh: bool,
}

impl RemoteSession {
    /// A session presenting the user's access token.
    pub fn with_access_token(vault: RemoteVault, access_token: SecretString) -> Self {
        Self {
            vault,
            subject: access_token,
            refresh: false,
        }
    }

    /// A session presenting the user's refresh token.
    pub fn with_refresh_token(vault: RemoteVault, refresh_token: SecretString) -> Self {
        Self {
            vault,
            subject: refresh_token,
            refresh: true,
        }
    }

    fn subject(&self) -> SubjectToken<'_> {
        let token = self.subject.expose_secret();
        if self.refresh {
            SubjectToken::RefreshToken(token)
        } else {
            SubjectToken::AccessToken(token)
        }
    }
}

#[crate::async_trait]
impl CredentialBackend for RemoteSession {
    async fn get(
        &self,
        _accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        self.vault
            .federated_token(self.subject(), connection, scopes, None)
            .await
    }

    /// The federated-connection grant has no listing: unsupported.
    async fn connected_accounts(&self, _accessor: &Accessor) -> Result<Vec<String>, VaultError> {
        Err(VaultError::Unsupported(
            "listing connected accounts of a remote vault",
        ))
    }

    fn consent_required(&self, connection: &str, missing_scopes: Vec<String>) -> VaultError {
        VaultError::ConsentRequired(ConsentRequired {
            connection: connection.to_owned(),
            missing_scopes,
            reconnect_url: None,
        })
    }

    /// The remote vault ends the user's access when the user's session at
    /// the authority ends; a client cannot: unsupported.
    async fn logout(&self, _accessor: &Accessor) -> Result<usize, VaultError> {
        Err(VaultError::Unsupported(
            "logout through a remote vault client",
        ))
    }
}
