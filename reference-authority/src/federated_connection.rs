//! The vault's federated-connection token exchange (Auth0-style Token Vault)
//! served by the authority: an agent presents its user's token and gets the
//! connection's access token from the embedded vault, never its refresh token.

use crate::provider::{
    AuthenticatedClient, Authority, ErrorCode, GrantHandler, OAuthError, Params, TokenResponse,
};
use agent_auth::secret::Token;
use token_vault_client::remote::{
    ACCESS_TOKEN_TYPE, GRANT_TYPE, NOT_CONNECTED, REFRESH_TOKEN_TYPE, REQUESTED_TOKEN_TYPE,
};
use token_vault_client::{Accessor, IssuedCredential, Vault, VaultError};

/// The federated-connection token exchange on the reference authority,
/// answered from the embedded vault. The subject token is an access token
/// or a refresh token this authority issued to the calling client; the
/// user is the one it was issued for.
#[derive(Debug, Clone)]
pub struct FederatedConnectionGrant {
    vault: Vault,
    tenant: String,
}

impl FederatedConnectionGrant {
    /// The grant over `vault`, for credentials stored under `tenant`.
    pub fn new(vault: Vault, tenant: impl Into<String>) -> Self {
        Self {
            vault,
            tenant: tenant.into(),
        }
    }
}

#[async_trait::async_trait]
impl GrantHandler for FederatedConnectionGrant {
    fn grant_type(&self) -> &str {
        GRANT_TYPE
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let subject = params.require("subject_token")?;
        let subject_type = params.require("subject_token_type")?;
        let connection = params.require("connection")?;
        if params.get("requested_token_type") != Some(REQUESTED_TOKEN_TYPE) {
            return Err(OAuthError::invalid_request(
                "requested_token_type must be the federated connection access token type",
            ));
        }
        let user = match subject_type {
            ACCESS_TOKEN_TYPE => access_token_user(authority, client, subject)?,
            REFRESH_TOKEN_TYPE => refresh_token_user(authority, client, subject)?,
            _ => {
                // RFC 8693 section 2.2.2.
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedTokenType,
                    "subject_token_type must be an access token or a refresh token",
                ));
            }
        };
        if params.get("login_hint").is_some_and(|h| h != user) {
            return Err(OAuthError::invalid_grant(
                "login_hint does not match the subject",
            ));
        }
        let scopes = params.list("scope");
        let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let accessor = Accessor::new(&self.tenant, user, client.id());
        let credential = self
            .vault
            .get(&accessor, connection, &scope_refs)
            .await
            .map_err(|e| match e {
                VaultError::NotFound(_) | VaultError::ConsentRequired(_) => OAuthError::new(
                    ErrorCode::Extension(NOT_CONNECTED.into()),
                    "the user has no usable connection with these scopes",
                ),
                VaultError::Expired(_) => {
                    OAuthError::invalid_grant("the connection credential expired")
                }
                _ => OAuthError::server_error("token vault failure"),
            })?;
        let IssuedCredential::AccessToken {
            token,
            token_type,
            expires_at,
            scopes: granted,
        } = credential
        else {
            return Err(OAuthError::invalid_request(
                "the connection does not hold OAuth tokens",
            ));
        };
        let now = authority.now();
        Ok(TokenResponse {
            access_token: Token::new(token.expose_secret()),
            token_type,
            expires_in: expires_at.map_or(3600, |e| (e - now).max(0)),
            refresh_token: None,
            id_token: None,
            scope: Some(granted.join(" ")),
            issued_token_type: Some(REQUESTED_TOKEN_TYPE.to_owned()),
            extra: serde_json::Map::new(),
        })
    }
}

/// The user of an access token this authority issued to `client`
/// (RFC 9068 validation; the `client_id` claim names the client, RFC 9068
/// section 2.2). Anything else is `invalid_grant` (RFC 6749 section 5.2).
fn access_token_user(
    authority: &Authority,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<String, OAuthError> {
    let claims = authority
        .verify_access_token(token)
        .map_err(|_| OAuthError::invalid_grant("the subject token is not valid"))?;
    let token_client = claims
        .get("client_id")
        .and_then(|v| v.as_str().map(str::to_owned));
    if token_client.as_deref() != Some(client.id()) {
        return Err(OAuthError::invalid_grant(
            "the subject token was issued to another client",
        ));
    }
    claims
        .sub
        .clone()
        .ok_or_else(|| OAuthError::invalid_grant("the subject token has no user"))
}

/// The user of a live refresh token this authority issued to `client`: a
/// refresh token is bound to its client (RFC 6749 section 6), and an
/// unknown, expired, rotated or revoked one is `invalid_grant` (section
/// 5.2; rotation per RFC 9700 section 4.14.2). The token is not consumed.
fn refresh_token_user(
    authority: &Authority,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<String, OAuthError> {
    let grant = authority
        .refresh_token_grant(token, client.id())
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the subject token is not a live refresh token of this client",
            )
        })?;
    grant
        .user_id
        .ok_or_else(|| OAuthError::invalid_grant("the subject token has no user"))
}
