//! OAuth 2.0 with a third-party provider over HTTP, on the OAuth core of
//! `agent-auth` ([`TokenEndpoint`], [`ClientAuth`], [`HttpClient`], [`Pkce`]):
//! the token endpoint client (refresh with rotation, code exchange) and the
//! connected-accounts authorization-code flow (PKCE, state) that fills the
//! vault.

use crate::credential::{Credential, TokenSet};
use crate::error::VaultError;
use crate::vault::{
    Accessor, RefreshError, RefreshedTokens, RevokeError, RevokedToken, TokenRefresher,
    TokenRevoker, Vault,
};
use agent_auth::clock::Clock as _;
use agent_auth::oauth::{
    ClientAuth, Form, HttpClient, HttpRequest, Pkce, TokenEndpoint, TokenError, TokenResponse,
    check_url,
};
use agent_auth::secret::SecretString;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// A provider's OAuth endpoints and our client registration there.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    authorization_endpoint: String,
    redirect_uri: String,
    endpoint: TokenEndpoint,
    revocation_endpoint: Option<String>,
}

fn random(n: usize) -> Result<String, VaultError> {
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| VaultError::Crypto)?;
    Ok(agent_auth::jose::base64url::encode(&b))
}

impl OAuthClient {
    /// A client authenticating with `client_secret_basic` when it has a
    /// secret, as a public client (`none`) otherwise, over the default
    /// [`HttpClient`].
    pub fn new(
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<SecretString>,
        redirect_uri: impl Into<String>,
    ) -> Result<Self, VaultError> {
        let auth = match client_secret {
            Some(secret) => ClientAuth::basic(client_id, secret.expose_secret()),
            None => ClientAuth::public(client_id),
        };
        let endpoint =
            TokenEndpoint::new(token_endpoint, auth).map_err(VaultError::TokenEndpoint)?;
        Self::from_endpoint(authorization_endpoint, endpoint, redirect_uri)
    }

    /// A client authenticating with `auth` (any method of the core, e.g.
    /// `private_key_jwt`), sending through `http` (your own transport or
    /// `reqwest::Client`).
    pub fn with_http(
        http: HttpClient,
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
        auth: ClientAuth,
        redirect_uri: impl Into<String>,
    ) -> Result<Self, VaultError> {
        let endpoint = TokenEndpoint::with_http(http, token_endpoint, auth)
            .map_err(VaultError::TokenEndpoint)?;
        Self::from_endpoint(authorization_endpoint, endpoint, redirect_uri)
    }

    /// A client of an already configured token endpoint.
    ///
    /// The authorization endpoint must be https (http only on loopback):
    /// RFC 6749 section 3.1 requires TLS there, since the user signs in at it.
    pub fn from_endpoint(
        authorization_endpoint: impl Into<String>,
        endpoint: TokenEndpoint,
        redirect_uri: impl Into<String>,
    ) -> Result<Self, VaultError> {
        let authorization_endpoint = authorization_endpoint.into();
        check_url(&authorization_endpoint).map_err(|_| {
            VaultError::Invalid(
                "authorization endpoint must be https (http only on loopback)".into(),
            )
        })?;
        Ok(Self {
            authorization_endpoint,
            redirect_uri: redirect_uri.into(),
            endpoint,
            revocation_endpoint: None,
        })
    }

    /// The provider's RFC 7009 revocation endpoint (its metadata's
    /// `revocation_endpoint`, RFC 8414 section 2); `None` keeps the client
    /// without revocation. Must be https (http only on loopback).
    pub fn revocation_endpoint(mut self, url: Option<String>) -> Result<Self, VaultError> {
        if let Some(u) = &url {
            check_url(u).map_err(|_| {
                VaultError::Invalid(
                    "revocation endpoint must be https (http only on loopback)".into(),
                )
            })?;
        }
        self.revocation_endpoint = url;
        Ok(self)
    }

    /// The authorization endpoint.
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        self.endpoint.url()
    }

    /// Our client id at the provider.
    pub fn client_id(&self) -> &str {
        self.endpoint.auth().client_id()
    }

    /// Our redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Posts a token request with the client's authentication.
    pub async fn token_request(&self, form: Form) -> Result<TokenResponse, TokenError> {
        self.endpoint.request(form).await
    }
}

/// The vault's view of a token response.
fn refreshed(response: TokenResponse) -> RefreshedTokens {
    RefreshedTokens {
        access_token: SecretString::new(response.access_token.expose_secret()),
        refresh_token: response
            .refresh_token
            .map(|t| SecretString::new(t.expose_secret())),
        expires_in: response.expires_in,
        scopes: response.scope,
        token_type: Some(response.token_type),
    }
}

#[async_trait::async_trait]
impl TokenRefresher for OAuthClient {
    /// RFC 6749 section 6; `invalid_grant` (section 5.2: the refresh token is
    /// invalid, expired or revoked) is [`RefreshError::ConsentGone`].
    async fn refresh(
        &self,
        refresh_token: &SecretString,
        _scopes: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        let mut form = Form::new().with("grant_type", "refresh_token");
        form.push_secret("refresh_token", refresh_token.clone());
        match self.token_request(form).await {
            Ok(response) => Ok(refreshed(response)),
            Err(e) if e.oauth_code() == Some("invalid_grant") => {
                Err(RefreshError::ConsentGone("invalid_grant".into()))
            }
            Err(e) => Err(RefreshError::Endpoint(e)),
        }
    }

    /// RFC 6749 section 6 with `scope`: the provider issues an access token
    /// with those scopes only (a subset of the grant, which keeps its own).
    async fn refresh_narrowed(
        &self,
        refresh_token: &SecretString,
        scopes: &[String],
    ) -> Option<Result<RefreshedTokens, RefreshError>> {
        let mut form = Form::new().with("grant_type", "refresh_token");
        form.push_secret("refresh_token", refresh_token.clone());
        form.push("scope", scopes.join(" "));
        Some(match self.token_request(form).await {
            Ok(response) => Ok(refreshed(response)),
            Err(e) if e.oauth_code() == Some("invalid_grant") => {
                Err(RefreshError::ConsentGone("invalid_grant".into()))
            }
            Err(e) => Err(RefreshError::Endpoint(e)),
        })
    }
}

#[async_trait::async_trait]
impl TokenRevoker for OAuthClient {
    async fn revoke_refresh_token(&self, refresh_token: &SecretString) -> Result<(), RevokeError> {
        self.revoke(refresh_token, RevokedToken::RefreshToken).await
    }

    async fn revoke_access_token(&self, access_token: &SecretString) -> Result<(), RevokeError> {
        self.revoke(access_token, RevokedToken::AccessToken).await
    }
}

impl OAuthClient {
    /// RFC 7009 section 2.1: `token` and its `token_type_hint`, with the
    /// client's authentication; 200 means revoked (or already invalid,
    /// section 2.2); `unsupported_token_type` (section 2.2.1) means the
    /// server does not revoke this kind. Without a revocation endpoint,
    /// [`RevokeError::Unsupported`].
    async fn revoke(&self, token: &SecretString, kind: RevokedToken) -> Result<(), RevokeError> {
        let url = self
            .revocation_endpoint
            .as_deref()
            .ok_or(RevokeError::Unsupported)?;
        let mut form = Form::new().with("token_type_hint", kind.hint());
        form.push_secret("token", token.clone());
        let auth = self.endpoint.auth();
        let header = auth
            .apply(
                &mut form,
                self.endpoint.url(),
                agent_auth::clock::SystemClock.now(),
            )
            .map_err(|e| RevokeError::Failed(e.to_string()))?;
        let mut request =
            HttpRequest::post_form(url, &form).map_err(|e| RevokeError::Failed(e.to_string()))?;
        if let Some(value) = header {
            request = request.secret_header("authorization", value);
        }
        let response = self
            .endpoint
            .http()
            .send(request)
            .await
            .map_err(|e| RevokeError::Failed(e.to_string()))?;
        if response.status() == 200 {
            return Ok(());
        }
        // Section 2.2.1: an error response names its OAuth error code.
        let code = response
            .json_body()
            .and_then(|b| b.get("error").and_then(|e| e.as_str()).map(str::to_owned));
        Err(match code.as_deref() {
            Some("unsupported_token_type") => RevokeError::Unsupported,
            Some(code) => RevokeError::Failed(code.to_owned()),
            None => RevokeError::Failed(format!("HTTP {}", response.status())),
        })
    }
}

#[derive(Debug)]
struct Pending {
    accessor: Accessor,
    pkce: Pkce,
    expires: i64,
}

/// The connected-accounts flow: sends a user to the provider, takes the code
/// back, stores the token set in the vault for that user.
#[derive(Debug)]
pub struct ConnectedAccounts {
    vault: Vault,
    connection: String,
    client: OAuthClient,
    pending: Mutex<HashMap<String, Pending>>,
}

impl ConnectedAccounts {
    /// The flow for `connection` with the provider `client`.
    pub fn new(vault: Vault, connection: impl Into<String>, client: OAuthClient) -> Self {
        Self {
            vault,
            connection: connection.into(),
            client,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The authorization URL to send the user to (PKCE S256, `state`,
    /// `prompt=consent` so that a refresh token is issued).
    pub fn start(&self, accessor: &Accessor, scopes: &[&str]) -> Result<String, VaultError> {
        let state = random(24)?;
        let pkce = Pkce::generate().ok_or(VaultError::Crypto)?;
        let mut url = url::Url::parse(&self.client.authorization_endpoint)
            .map_err(|_| VaultError::Invalid("authorization endpoint".into()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client.client_id())
            .append_pair("redirect_uri", &self.client.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", pkce.method())
            .append_pair("prompt", "consent");
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                state,
                Pending {
                    accessor: accessor.clone(),
                    pkce,
                    expires: self.vault.now() + 600,
                },
            );
        Ok(url.into())
    }

    /// Completes the flow from the callback URL (`code` and `state`); stores the
    /// tokens for the user who started it. Returns the stored version.
    pub async fn complete(&self, callback_url: &str) -> Result<u64, VaultError> {
        let url = url::Url::parse(callback_url)
            .map_err(|_| VaultError::Invalid("callback URL".into()))?;
        let get = |n: &str| {
            url.query_pairs()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.into_owned())
        };
        let state = get("state").ok_or_else(|| VaultError::Invalid("no state".into()))?;
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&state)
            .ok_or_else(|| VaultError::Invalid("unknown or used state".into()))?;
        if pending.expires < self.vault.now() {
            return Err(VaultError::Invalid("the connect attempt expired".into()));
        }
        if let Some(error) = get("error") {
            return Err(VaultError::Invalid(format!("provider refused: {error}")));
        }
        let code =
            SecretString::new(get("code").ok_or_else(|| VaultError::Invalid("no code".into()))?);
        let mut form = Form::new().with("grant_type", "authorization_code");
        form.push_secret("code", code);
        form.push("redirect_uri", self.client.redirect_uri.as_str());
        form.push_secret("code_verifier", pending.pkce.verifier().clone());
        let tokens = self
            .client
            .token_request(form)
            .await
            .map(refreshed)
            .map_err(VaultError::TokenEndpoint)?;
        let now = self.vault.now();
        let set = TokenSet {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_in.map(|s| now + s),
            scopes: tokens.scopes.unwrap_or_default(),
            token_type: tokens.token_type.unwrap_or_else(|| "Bearer".into()),
        };
        self.vault
            .store_for(&pending.accessor, &self.connection, &Credential::OAuth(set))
    }
}
