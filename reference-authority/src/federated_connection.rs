//! The vault's federated-connection token exchange (Auth0-style Token Vault)
//! served by the authority: an agent presents its user's token and gets the
//! connection's access token from the embedded vault, never its refresh token.
//!
//! Nothing is handed out by default: each connection names the clients that
//! may take its tokens and the scopes they may ask for ([`ConnectionAccess`]).

use crate::provider::{
    AuthenticatedClient, Authority, ErrorCode, GrantHandler, OAuthError, Params, TokenResponse,
};
use agent_auth::secret::Token;
use std::collections::{BTreeMap, BTreeSet};
use token_vault_client::remote::{
    ACCESS_TOKEN_TYPE, GRANT_TYPE, NOT_CONNECTED, REFRESH_TOKEN_TYPE, REQUESTED_TOKEN_TYPE,
};
use token_vault_client::{Accessor, IssuedCredential, Vault, VaultError};

/// Who may take one connection's tokens through the grant, and which scopes.
#[derive(Debug, Clone, Default)]
pub struct ConnectionAccess {
    clients: BTreeSet<String>,
    scopes: BTreeSet<String>,
    subject_scope: Option<String>,
}

impl ConnectionAccess {
    /// No client and no scope yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `client_id` take the connection's tokens for its users.
    #[must_use]
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.clients.insert(client_id.into());
        self
    }

    /// The scopes of the connection a client may ask for; a credential
    /// holding any other is not handed out.
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// A scope the subject token must carry (the user consented to this use
    /// of the connection when the token was granted).
    #[must_use]
    pub fn subject_scope(mut self, scope: impl Into<String>) -> Self {
        self.subject_scope = Some(scope.into());
        self
    }
}

/// The federated-connection token exchange on the reference authority,
/// answered from the embedded vault. The subject token is an access token
/// for this authority, or a refresh token, that it issued to the calling
/// client for a user; the user is the one it was issued for.
#[derive(Debug, Clone)]
pub struct FederatedConnectionGrant {
    vault: Vault,
    tenant: String,
    connections: BTreeMap<String, ConnectionAccess>,
}

/// What a subject token stands for.
struct Subject {
    user: String,
    scope: Vec<String>,
}

impl FederatedConnectionGrant {
    /// The grant over `vault`, for credentials stored under `tenant`, with
    /// no connection open to any client yet.
    pub fn new(vault: Vault, tenant: impl Into<String>) -> Self {
        Self {
            vault,
            tenant: tenant.into(),
            connections: BTreeMap::new(),
        }
    }

    /// Opens `connection` to the clients and scopes of `access`.
    #[must_use]
    pub fn connection(mut self, connection: impl Into<String>, access: ConnectionAccess) -> Self {
        self.connections.insert(connection.into(), access);
        self
    }

    async fn run(
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
        let subject = match subject_type {
            ACCESS_TOKEN_TYPE => access_token_subject(authority, client, subject)?,
            REFRESH_TOKEN_TYPE => refresh_token_subject(authority, client, subject)?,
            _ => {
                // RFC 8693 section 2.2.2.
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedTokenType,
                    "subject_token_type must be an access token or a refresh token",
                ));
            }
        };
        if params.get("login_hint").is_some_and(|h| h != subject.user) {
            return Err(OAuthError::invalid_grant(
                "login_hint does not match the subject",
            ));
        }
        let access = self
            .connections
            .get(connection)
            .filter(|a| a.clients.contains(client.id()))
            .ok_or_else(|| {
                OAuthError::unauthorized_client("the client may not use this connection")
            })?;
        if let Some(needed) = &access.subject_scope
            && !subject.scope.contains(needed)
        {
            return Err(OAuthError::invalid_scope(
                "the subject token does not grant this connection",
            ));
        }
        let asked = params.list("scope");
        if asked.iter().any(|s| !access.scopes.contains(s)) {
            return Err(OAuthError::invalid_scope(
                "a requested scope is not allowed for this connection",
            ));
        }
        let asked_refs: Vec<&str> = asked.iter().map(String::as_str).collect();
        let accessor = Accessor::trusted_system(&self.tenant, subject.user, client.id());
        let credential = self
            .vault
            .get(&accessor, connection, &asked_refs)
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
        // The upstream token cannot be narrowed: one holding more than the
        // connection allows is not handed out at all.
        if granted.iter().any(|s| !access.scopes.contains(s)) {
            return Err(OAuthError::invalid_scope(
                "the connection's token holds scopes not allowed for this client",
            ));
        }
        // The response names what was asked (all allowed when nothing was)
        // and granted, never more.
        let scope: Vec<String> = granted
            .iter()
            .filter(|s| asked.is_empty() || asked.contains(s))
            .cloned()
            .collect();
        let now = authority.now();
        Ok(TokenResponse {
            access_token: Token::new(token.expose_secret()),
            token_type,
            expires_in: expires_at.map_or(3600, |e| (e - now).max(0)),
            refresh_token: None,
            id_token: None,
            scope: Some(scope.join(" ")),
            issued_token_type: Some(REQUESTED_TOKEN_TYPE.to_owned()),
            extra: serde_json::Map::new(),
        })
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
        self.run(authority, client, params).await
    }
}

/// The user of an access token this authority issued to `client`, for this
/// authority (RFC 9068 validation; the `client_id` claim names the client,
/// section 2.2; `aud` names this authority, not a resource server the token
/// was meant for, RFC 8707 section 2). A token of no user (client
/// credentials: `sub` is the client itself, RFC 9068 section 2.2) or of a
/// subject this authority does not know is refused. Anything else is
/// `invalid_grant` (RFC 6749 section 5.2).
fn access_token_subject(
    authority: &Authority,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<Subject, OAuthError> {
    let claims = authority
        .verify_access_token(token)
        .map_err(|_| OAuthError::invalid_grant("the subject token is not valid"))?;
    if claims.str("client_id") != Some(client.id()) {
        return Err(OAuthError::invalid_grant(
            "the subject token was issued to another client",
        ));
    }
    if !claims.aud.iter().any(|a| a == authority.issuer()) {
        return Err(OAuthError::invalid_grant(
            "the subject token was issued for another audience",
        ));
    }
    let user = claims
        .sub
        .clone()
        .filter(|sub| sub != client.id())
        .ok_or_else(|| OAuthError::invalid_grant("the subject token has no user"))?;
    known_user(authority, &user)?;
    Ok(Subject {
        user,
        scope: claims.scopes().map(str::to_owned).collect(),
    })
}

/// The user of a live refresh token this authority issued to `client`: a
/// refresh token is bound to its client (RFC 6749 section 6), and an
/// unknown, expired, rotated or revoked one is `invalid_grant` (section
/// 5.2; rotation per RFC 9700 section 4.14.2). The token is not consumed.
fn refresh_token_subject(
    authority: &Authority,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<Subject, OAuthError> {
    let grant = authority
        .refresh_token_grant(token, client.id())
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the subject token is not a live refresh token of this client",
            )
        })?;
    let user = grant
        .user_id
        .ok_or_else(|| OAuthError::invalid_grant("the subject token has no user"))?;
    known_user(authority, &user)?;
    Ok(Subject {
        user,
        scope: grant.scope,
    })
}

fn known_user(authority: &Authority, user: &str) -> Result<(), OAuthError> {
    match authority.user(user) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(OAuthError::invalid_grant(
            "the subject token's subject is not a user of this authority",
        )),
        Err(_) => Err(OAuthError::server_error("user lookup failed")),
    }
}
