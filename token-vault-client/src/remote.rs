//! The remote backend, Auth0-style Token Vault: an agent presents its user's
//! token at the authority's token endpoint with the grant
//! [`GRANT_TYPE`] and gets the federated connection's access token back.
//!
//! [`RemoteVault`] (feature `http`) is the client; the `reference-authority`
//! crate serves the grant over the embedded vault.

/// The grant type.
pub const GRANT_TYPE: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// `requested_token_type`.
pub const REQUESTED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
/// `subject_token_type` of an access token (RFC 8693).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// `subject_token_type` of a refresh token (RFC 8693).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// The error code when the user has no usable connection (Auth0's name).
pub const NOT_CONNECTED: &str = "federated_connection_refresh_token_not_found";

/// The user's token an agent presents as `subject_token` (RFC 8693 section
/// 2.1), with its `subject_token_type` (section 3).
#[derive(Clone, Copy)]
pub enum SubjectToken<'a> {
    /// An access token of the authority (`...:token-type:access_token`).
    AccessToken(&'a str),
    /// A refresh token of the authority (`...:token-type:refresh_token`).
    RefreshToken(&'a str),
}

impl SubjectToken<'_> {
    /// The token.
    ///
    /// # Security
    /// The value is a credential: send it to the token endpoint only.
    pub fn expose_secret(&self) -> &str {
        match self {
            Self::AccessToken(t) | Self::RefreshToken(t) => t,
        }
    }

    /// Its `subject_token_type`.
    pub fn token_type(&self) -> &'static str {
        match self {
            Self::AccessToken(_) => ACCESS_TOKEN_TYPE,
            Self::RefreshToken(_) => REFRESH_TOKEN_TYPE,
        }
    }
}

impl std::fmt::Debug for SubjectToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AccessToken(_) => f.write_str("AccessToken([redacted])"),
            Self::RefreshToken(_) => f.write_str("RefreshToken([redacted])"),
        }
    }
}

#[cfg(feature = "http")]
pub use client::RemoteVault;
#[cfg(feature = "http")]
pub use session::RemoteSession;

#[cfg(feature = "http")]
pub use env::{ACCESS_TOKEN, REFRESH_TOKEN};

#[cfg(feature = "http")]
mod env;
#[cfg(feature = "http")]
mod session;

#[cfg(feature = "http")]
mod client {
    use super::{GRANT_TYPE, NOT_CONNECTED, REQUESTED_TOKEN_TYPE, SubjectToken};
    use crate::credential::IssuedCredential;
    use crate::error::{ConsentRequired, VaultError};
    use agent_auth::oauth::{ClientAuth, Form, HttpClient, TokenEndpoint, TokenError};
    use agent_auth::secret::SecretString;

    /// A client of a remote Token Vault (the authority's token endpoint), on
    /// the OAuth core's [`TokenEndpoint`].
    #[derive(Debug, Clone)]
    pub struct RemoteVault {
        endpoint: TokenEndpoint,
    }

    impl RemoteVault {
        /// A client authenticating with `client_secret_basic`, over the
        /// default [`HttpClient`].
        pub fn new(
            token_endpoint: impl Into<String>,
            client_id: impl Into<String>,
            client_secret: SecretString,
        ) -> Result<Self, VaultError> {
            let auth = ClientAuth::basic(client_id, client_secret.expose_secret());
            TokenEndpoint::new(token_endpoint, auth)
                .map(Self::from_endpoint)
                .map_err(VaultError::TokenEndpoint)
        }

        /// A client authenticating with `auth`, sending through `http` (your
        /// own transport or `reqwest::Client`).
        pub fn with_http(
            http: HttpClient,
            token_endpoint: impl Into<String>,
            auth: ClientAuth,
        ) -> Result<Self, VaultError> {
            TokenEndpoint::with_http(http, token_endpoint, auth)
                .map(Self::from_endpoint)
                .map_err(VaultError::TokenEndpoint)
        }

        /// A client of an already configured token endpoint.
        pub fn from_endpoint(endpoint: TokenEndpoint) -> Self {
            Self { endpoint }
        }

        /// Exchanges the user's access or refresh token for the access token
        /// of `connection` (with at least `scopes`).
        ///
        /// Errors: `federated_connection_refresh_token_not_found` and
        /// `invalid_scope` are [`VaultError::ConsentRequired`] (the user must
        /// connect the account); any other OAuth error, `invalid_grant` for a
        /// subject token that is expired, revoked or another client's among
        /// them, is [`VaultError::Refused`] with the error code; a failed
        /// exchange otherwise is [`VaultError::TokenEndpoint`] with its cause.
        pub async fn federated_token(
            &self,
            subject: SubjectToken<'_>,
            connection: &str,
            scopes: &[&str],
            login_hint: Option<&str>,
        ) -> Result<IssuedCredential, VaultError> {
            let mut form = Form::new().with("grant_type", GRANT_TYPE);
            form.push_secret("subject_token", SecretString::new(subject.expose_secret()));
            form.push("subject_token_type", subject.token_type());
            form.push("requested_token_type", REQUESTED_TOKEN_TYPE);
            form.push("connection", connection);
            if !scopes.is_empty() {
                form.push("scope", scopes.join(" "));
            }
            if let Some(hint) = login_hint {
                form.push("login_hint", hint);
            }
            let response = match self.endpoint.request(form).await {
                Ok(response) => response,
                Err(TokenError::Refused { error, .. }) => {
                    return Err(refused(&error, connection, scopes));
                }
                Err(other) => return Err(VaultError::TokenEndpoint(other)),
            };
            let expires_at = response.expires_in.map(|s| {
                use agent_auth::clock::Clock as _;
                agent_auth::clock::SystemClock.now() + s
            });
            Ok(IssuedCredential::AccessToken {
                token: response.access_token,
                token_type: response.token_type,
                expires_at,
                scopes: response.scope.unwrap_or_default().into(),
            })
        }
    }

    /// The vault's reading of an OAuth error of the remote vault.
    fn refused(code: &str, connection: &str, scopes: &[&str]) -> VaultError {
        match code {
            NOT_CONNECTED | "invalid_scope" => VaultError::ConsentRequired(ConsentRequired {
                connection: connection.to_owned(),
                missing_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                reconnect_url: None,
            }),
            // Only the code: descriptions are the server's text.
            other if is_error_code(other) => VaultError::Refused(other.to_owned()),
            _ => VaultError::Refused("malformed_error".to_owned()),
        }
    }

    /// An `error` value as RFC 6749 section 5.2 allows it (printable ASCII
    /// without `"` and `\\`), short enough to carry in an error.
    fn is_error_code(code: &str) -> bool {
        !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }
}
