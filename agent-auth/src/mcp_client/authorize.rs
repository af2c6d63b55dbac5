//! Obtaining an access token for a protected MCP server, after discovery:
//! authorization code with PKCE S256, the `resource` parameter (RFC 8707) and
//! the RFC 9207 `iss` check, with a pre-registered client, a client ID metadata
//! document or dynamic registration (RFC 7591); client credentials with
//! `client_secret_basic`, `client_secret_post` or `private_key_jwt`; or
//! enterprise-managed authorization through an ID-JAG. A refresh token of
//! the authorization code grant is kept with the access token and renews it
//! without a new authorization request ([`McpAuthorizer::refresh`]). Every
//! request goes through the OAuth client core ([`crate::oauth`]).

use super::discovery::{McpDiscovery, checked_url};
use super::interactive::InteractiveLogin;
use super::store::StoredToken;
use crate::exchange::{ExchangeClient, ExchangeError, TokenExchangeRequest, token_types};
use crate::jose::{SigningKey, base64url};
use crate::oauth::{
    AuthorizationServerMetadata, BearerChallenge, ClientAuth, DiscoveryError, Form, HttpClient,
    HttpError, HttpRequest, LoopbackError, LoopbackRedirect, Pkce, TokenEndpoint, TokenResponse,
};
use crate::secret::{SecretString, Token};
use serde::Deserialize;
use std::sync::{Mutex, PoisonError};

/// How the agent is known to the authorization server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Registration {
    /// A client registered beforehand (MCP "preregistration").
    Preregistered {
        /// The client id.
        client_id: String,
        /// Its secret, for a confidential client.
        secret: Option<SecretString>,
    },
    /// A client ID metadata document: the client id is its https URL, used
    /// when the server advertises `client_id_metadata_document_supported`;
    /// otherwise dynamic registration with `client_name`.
    MetadataDocument {
        /// The URL of the document.
        url: String,
        /// The name for dynamic registration, when the server lacks support.
        client_name: String,
    },
    /// RFC 7591 dynamic registration.
    Dynamic {
        /// `client_name`.
        client_name: String,
    },
}

/// How the agent obtains tokens.
#[derive(Debug)]
#[non_exhaustive]
pub enum McpGrant {
    /// Authorization code with PKCE; the user's consent is given at the
    /// authorization server (followed headlessly: the response redirect is read,
    /// not followed).
    AuthorizationCode {
        /// The registered redirect URI.
        redirect_uri: String,
        /// The registration.
        registration: Registration,
    },
    /// Client credentials with a secret (`client_secret_basic` or `_post`, as
    /// the server supports).
    ClientSecret {
        /// The client id.
        client_id: String,
        /// The secret.
        secret: SecretString,
    },
    /// Client credentials with `private_key_jwt` (RFC 7523 section 2.2).
    PrivateKeyJwt {
        /// The client id.
        client_id: String,
        /// The signing key.
        key: Box<SigningKey>,
    },
    /// Authorization code with PKCE, the user signing in in their browser
    /// and the response coming back to a loopback listener (RFC 8252).
    Interactive(InteractiveLogin),
    /// Enterprise-managed authorization: the user's ID token exchanged for an
    /// ID-JAG at the IdP, redeemed at the MCP server's authorization server.
    IdJag {
        /// The IdP's token endpoint.
        idp_token_endpoint: String,
        /// The client at the IdP.
        idp_client: ClientAuth,
        /// The user's ID token.
        id_token: Token,
        /// The client at the MCP server's authorization server.
        client: ClientAuth,
    },
}

/// Why no token could be obtained. Never contains a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum McpAuthError {
    /// Discovery failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// A token request failed.
    #[error(transparent)]
    Token(#[from] ExchangeError),
    /// The resource names no authorization server.
    #[error("the protected resource names no authorization server")]
    NoAuthorizationServer,
    /// The server lacks something the flow needs.
    #[error("the authorization server does not support {0}")]
    Unsupported(&'static str),
    /// The authorization response is wrong (state, `iss`, missing code).
    #[error("authorization response refused: {0}")]
    AuthorizationResponse(&'static str),
    /// A request failed.
    #[error("request failed: {0}")]
    Transport(String),
    /// An HTTP request failed (connect, DNS, TLS, timeout, redirect, body
    /// too large, status).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A refresh was asked for a token that came without a refresh token.
    #[error("the token has no refresh token")]
    NoRefreshToken,
    /// The interactive login's loopback listener failed or timed out.
    #[error(transparent)]
    Loopback(#[from] LoopbackError),
    /// The browser hook could not show the authorization URL.
    #[error("opening the browser failed: {0}")]
    Browser(String),
}

impl McpAuthError {
    /// Whether the authorization server refused a grant as `invalid_grant`
    /// (RFC 6749 section 5.2: expired, revoked or already used; for a refresh
    /// token, the sign to authorize from scratch).
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Token(e) if e.oauth_code() == Some("invalid_grant"))
    }
}

/// An access token for the MCP server.
#[derive(Debug, Clone)]
pub struct McpToken {
    /// The token.
    pub access_token: Token,
    /// The scope asked for.
    pub scope: Vec<String>,
    /// Its lifetime in seconds from when it was issued, if the server said.
    pub expires_in: Option<i64>,
    /// `Bearer`, or `DPoP` for a token bound to the agent's DPoP key (RFC
    /// 9449 section 5): then it goes out with the `DPoP` scheme and a proof.
    pub token_type: String,
    refresh: Option<RefreshGrant>,
    /// Who obtained it where (authorization code grant only): what a token
    /// store keeps to refresh it in a later run.
    origin: Option<Origin>,
}

/// The authorization server and client behind a token.
#[derive(Debug, Clone)]
struct Origin {
    issuer: String,
    token_endpoint: String,
    client: Registered,
}

impl McpToken {
    fn new(response: TokenResponse, scope: Vec<String>) -> Self {
        Self {
            access_token: response.access_token,
            scope,
            expires_in: response.expires_in,
            token_type: response.token_type,
            refresh: None,
            origin: None,
        }
    }

    /// What a token store keeps of this token, `expires_at` counted from
    /// `now`; `None` for a token of a grant without a user (client
    /// credentials, ID-JAG), which runs again without asking anyone.
    pub(super) fn to_stored(&self, now: i64) -> Option<StoredToken> {
        let origin = self.origin.as_ref()?;
        let mut stored = StoredToken::new(
            self.access_token.clone(),
            origin.issuer.clone(),
            origin.token_endpoint.clone(),
            origin.client.client_id.clone(),
        );
        stored.token_type = self.token_type.clone();
        stored.scope = self.scope.clone();
        stored.expires_at = self.expires_in.map(|e| now.saturating_add(e));
        stored.refresh_token = self.refresh_token().cloned();
        stored.client_secret = origin.client.secret.clone();
        stored.auth_method = origin.client.method.to_owned();
        Some(stored)
    }

    /// Whether the token is DPoP-bound (`token_type` `DPoP`, compared without
    /// case as RFC 6749 section 7.1 asks).
    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("dpop")
    }

    /// The refresh token that came with it (authorization code grant only).
    ///
    /// # Security
    /// A refresh token is a long-lived credential: keep it out of logs.
    pub fn refresh_token(&self) -> Option<&Token> {
        self.refresh.as_ref().map(|r| &r.token)
    }

    /// Drops the refresh token (refused: the grant is over).
    pub(super) fn forget_refresh_token(&mut self) {
        self.refresh = None;
    }
}

/// What a refresh needs: the token, and where and as whom to present it.
#[derive(Debug, Clone)]
struct RefreshGrant {
    token: Token,
    endpoint: TokenEndpoint,
}

#[derive(Debug, Clone)]
struct Registered {
    client_id: String,
    secret: Option<SecretString>,
    method: &'static str,
    /// The redirect URI a dynamic registration was made for (`None`: the
    /// client was not registered here, any redirect URI of its own goes).
    registered_for: Option<String>,
}

/// Where the authorization response comes back.
enum Redirect<'a> {
    /// Read from the authorization endpoint's immediate redirect.
    Headless {
        redirect_uri: &'a str,
        registration: &'a Registration,
    },
    /// Through the user's browser to a loopback listener.
    Loopback(&'a InteractiveLogin),
}

/// [`McpGrant`] with the signing key shared, as [`ClientAuth`] holds it.
#[derive(Debug)]
enum Grant {
    Code {
        redirect_uri: String,
        registration: Registration,
    },
    Interactive(InteractiveLogin),
    Secret {
        client_id: String,
        secret: SecretString,
    },
    Key(ClientAuth),
    IdJag {
        idp_token_endpoint: String,
        idp_client: ClientAuth,
        id_token: Token,
        client: ClientAuth,
    },
}

impl From<McpGrant> for Grant {
    fn from(grant: McpGrant) -> Self {
        match grant {
            McpGrant::AuthorizationCode {
                redirect_uri,
                registration,
            } => Self::Code {
                redirect_uri,
                registration,
            },
            McpGrant::Interactive(login) => Self::Interactive(login),
            McpGrant::ClientSecret { client_id, secret } => Self::Secret { client_id, secret },
            McpGrant::PrivateKeyJwt { client_id, key } => {
                Self::Key(ClientAuth::private_key_jwt(client_id, key))
            }
            McpGrant::IdJag {
                idp_token_endpoint,
                idp_client,
                id_token,
                client,
            } => Self::IdJag {
                idp_token_endpoint,
                idp_client,
                id_token,
                client,
            },
        }
    }
}

/// Obtains access tokens for one agent, reusing a dynamic registration.
#[derive(Debug)]
pub struct McpAuthorizer {
    discovery: McpDiscovery,
    http: HttpClient,
    grant: Grant,
    registered: Mutex<Option<Registered>>,
    dpop: Option<crate::oauth::DpopSigner>,
    audit: Option<crate::audit::SharedSink>,
}

#[derive(Deserialize)]
struct RegistrationResponse {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

fn random_state() -> Result<String, McpAuthError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| McpAuthError::Transport("no randomness".into()))?;
    Ok(base64url::encode(bytes))
}

fn auth_for(registered: &Registered) -> ClientAuth {
    match (&registered.secret, registered.method) {
        (Some(s), "client_secret_post") => {
            ClientAuth::post(&registered.client_id, s.expose_secret())
        }
        (Some(s), _) => ClientAuth::basic(&registered.client_id, s.expose_secret()),
        (None, _) => ClientAuth::public(&registered.client_id),
    }
}

/// The method name of a stored client (`none` for anything unknown).
fn stored_method(method: &str) -> &'static str {
    match method {
        "client_secret_basic" => "client_secret_basic",
        "client_secret_post" => "client_secret_post",
        _ => "none",
    }
}

/// The value of `name` when it appears exactly once (RFC 6749 section 3.1:
/// parameters must not be repeated).
fn single<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = params.iter().filter(|(k, _)| k == name);
    match (found.next(), found.next()) {
        (Some((_, v)), None) => Some(v),
        _ => None,
    }
}

/// The secret method the server supports, `client_secret_basic` first.
fn secret_method(metadata: &AuthorizationServerMetadata) -> &'static str {
    let supported = &metadata.token_endpoint_auth_methods_supported;
    if supported.is_empty() || supported.iter().any(|m| m == "client_secret_basic") {
        "client_secret_basic"
    } else if supported.iter().any(|m| m == "client_secret_post") {
        "client_secret_post"
    } else {
        "none"
    }
}

impl McpAuthorizer {
    /// An authorizer using `grant`, over the default [`HttpClient`].
    pub fn new(grant: McpGrant) -> Result<Self, McpAuthError> {
        Ok(Self::with_http(grant, HttpClient::new()?))
    }

    /// An authorizer using `grant`, sending every request (discovery,
    /// registration, authorization, token) through `http`.
    pub fn with_http(grant: McpGrant, http: HttpClient) -> Self {
        Self {
            discovery: McpDiscovery::with_http(http.clone()),
            http,
            grant: grant.into(),
            registered: Mutex::new(None),
            dpop: None,
            audit: None,
        }
    }

    /// Proves `signer`'s key at every token endpoint (RFC 9449 section 5), so
    /// the tokens (and refresh tokens of a public client) are bound to it; the
    /// session then sends them with the `DPoP` scheme and a proof.
    #[must_use]
    pub fn dpop(mut self, signer: crate::oauth::DpopSigner) -> Self {
        self.dpop = Some(signer);
        self
    }

    /// The DPoP signer, if any.
    pub fn dpop_signer(&self) -> Option<&crate::oauth::DpopSigner> {
        self.dpop.as_ref()
    }

    /// Records every token request (code, client credentials, refresh) in
    /// `sink`, with the MCP server's URL as the `resource` asked for.
    #[must_use]
    pub fn audit(mut self, sink: crate::audit::SharedSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The token endpoint of `metadata`'s server, as `auth`; client
    /// assertions name the issuer (RFC 7523 section 3).
    fn endpoint(
        &self,
        metadata: &AuthorizationServerMetadata,
        token_endpoint: &str,
        auth: ClientAuth,
    ) -> Result<TokenEndpoint, McpAuthError> {
        self.endpoint_of(&metadata.issuer, token_endpoint, auth)
    }

    fn endpoint_of(
        &self,
        issuer: &str,
        token_endpoint: &str,
        auth: ClientAuth,
    ) -> Result<TokenEndpoint, McpAuthError> {
        let mut endpoint = TokenEndpoint::with_http(self.http.clone(), token_endpoint, auth)?
            .assertion_audience(issuer.to_owned());
        if let Some(sink) = &self.audit {
            endpoint = endpoint.audit(sink.clone());
        }
        Ok(match &self.dpop {
            Some(signer) => endpoint.dpop(signer.clone()),
            None => endpoint,
        })
    }

    /// A token for `resource` (the MCP server URL), after a 401 or a 403
    /// `insufficient_scope` carrying `challenge`. The scope is the challenge's,
    /// else the resource's `scopes_supported`, else none (MCP scope selection).
    pub async fn authorize(
        &self,
        resource: &str,
        challenge: Option<&BearerChallenge>,
    ) -> Result<McpToken, McpAuthError> {
        let (metadata, scope) = self.discover(resource, challenge).await?;
        let token_endpoint = metadata
            .token_endpoint
            .clone()
            .ok_or(McpAuthError::Unsupported("a token endpoint"))?;
        let redirect = match &self.grant {
            Grant::Code {
                redirect_uri,
                registration,
            } => Some(Redirect::Headless {
                redirect_uri,
                registration,
            }),
            Grant::Interactive(login) => Some(Redirect::Loopback(login)),
            _ => None,
        };
        if let Some(redirect) = redirect {
            let (response, endpoint, client) = self
                .code_flow(&metadata, &token_endpoint, resource, &scope, redirect)
                .await?;
            let refresh = response
                .refresh_token
                .clone()
                .map(|token| RefreshGrant { token, endpoint });
            return Ok(McpToken {
                refresh,
                origin: Some(Origin {
                    issuer: metadata.issuer.clone(),
                    token_endpoint,
                    client,
                }),
                ..McpToken::new(response, scope)
            });
        }
        let response = match &self.grant {
            Grant::Code { .. } | Grant::Interactive(_) => {
                return Err(McpAuthError::Unsupported("this grant"));
            }
            Grant::Secret { client_id, secret } => {
                let auth = if secret_method(&metadata) == "client_secret_post" {
                    ClientAuth::post(client_id, secret.expose_secret())
                } else {
                    ClientAuth::basic(client_id, secret.expose_secret())
                };
                let endpoint = self.endpoint(&metadata, &token_endpoint, auth)?;
                client_credentials(&endpoint, resource, &scope).await?
            }
            Grant::Key(auth) => {
                let endpoint = self.endpoint(&metadata, &token_endpoint, auth.clone())?;
                client_credentials(&endpoint, resource, &scope).await?
            }
            Grant::IdJag {
                idp_token_endpoint,
                idp_client,
                id_token,
                client,
            } => {
                let idp = ExchangeClient::with_http(
                    self.http.clone(),
                    idp_token_endpoint.clone(),
                    idp_client.clone(),
                )?;
                let jag = idp
                    .exchange(
                        &TokenExchangeRequest::new(id_token.clone(), token_types::ID_TOKEN)
                            .requested_token_type(token_types::ID_JAG)
                            .audience(metadata.issuer.clone())
                            .resource(resource.to_owned())
                            .scope(scope.iter().cloned()),
                    )
                    .await?;
                let resource_as = ExchangeClient::from_endpoint(self.endpoint(
                    &metadata,
                    &token_endpoint,
                    client.clone(),
                )?);
                resource_as.jwt_bearer(&jag.access_token, &scope).await?
            }
        };
        // Client credentials (RFC 6749 section 4.4.3) and the ID-JAG's
        // jwt-bearer grant (draft section 4.4.1) come without refresh token;
        // one sent anyway is not kept: the grant runs again without a user.
        Ok(McpToken::new(response, scope))
    }

    /// RFC 6749 section 6: a new access token for `resource` from the refresh
    /// token of `token`, with the same `resource` (RFC 8707 section 2.2) and
    /// all of the grant's scope, presented by the client that obtained it.
    /// The next refresh token is the response's when the server rotates it
    /// (RFC 9700 section 4.14.2), else the same. An `invalid_grant` refusal
    /// ([`McpAuthError::is_invalid_grant`]) means the grant is over.
    pub async fn refresh(
        &self,
        resource: &str,
        token: &McpToken,
    ) -> Result<McpToken, McpAuthError> {
        let grant = token.refresh.as_ref().ok_or(McpAuthError::NoRefreshToken)?;
        let client = ExchangeClient::from_endpoint(grant.endpoint.clone());
        let response = client
            .refresh_for_resource(&grant.token, &[], resource)
            .await?;
        let refresh = RefreshGrant {
            token: response
                .refresh_token
                .clone()
                .unwrap_or_else(|| grant.token.clone()),
            ..grant.clone()
        };
        Ok(McpToken {
            refresh: Some(refresh),
            origin: token.origin.clone(),
            ..McpToken::new(response, token.scope.clone())
        })
    }

    /// A token kept by a token store, ready to use and to refresh with the
    /// client that obtained it; `expires_in` counts from `now`.
    pub(super) fn restore(&self, stored: &StoredToken, now: i64) -> Result<McpToken, McpAuthError> {
        let client = Registered {
            client_id: stored.client_id.clone(),
            secret: stored.client_secret.clone(),
            method: stored_method(&stored.auth_method),
            registered_for: None,
        };
        let refresh = match &stored.refresh_token {
            Some(token) => Some(RefreshGrant {
                token: token.clone(),
                endpoint: self.endpoint_of(
                    &stored.issuer,
                    &stored.token_endpoint,
                    auth_for(&client),
                )?,
            }),
            None => None,
        };
        Ok(McpToken {
            access_token: stored.access_token.clone(),
            scope: stored.scope.clone(),
            expires_in: stored.expires_at.map(|at| at.saturating_sub(now)),
            token_type: stored.token_type.clone(),
            refresh,
            origin: Some(Origin {
                issuer: stored.issuer.clone(),
                token_endpoint: stored.token_endpoint.clone(),
                client,
            }),
        })
    }

    /// The authorization server's metadata and the scope to ask for. Without
    /// protected resource metadata, the 2025-03-26 MCP rules apply: the
    /// server's origin is the authorization server, with its RFC 8414 metadata
    /// or, failing that, the default `/authorize`, `/token` and `/register`.
    async fn discover(
        &self,
        resource: &str,
        challenge: Option<&BearerChallenge>,
    ) -> Result<(AuthorizationServerMetadata, Vec<String>), McpAuthError> {
        let challenged = challenge
            .filter(|c| !c.scope.is_empty())
            .map(|c| c.scope.clone());
        match self.discovery.protected_resource(resource, challenge).await {
            Ok(prm) => {
                let issuer = prm
                    .authorization_servers
                    .first()
                    .ok_or(McpAuthError::NoAuthorizationServer)?;
                let metadata = self.discovery.authorization_server(issuer).await?;
                Ok((metadata, challenged.unwrap_or(prm.scopes_supported)))
            }
            Err(DiscoveryError::NotFound(_)) => {
                let origin = url::Url::parse(resource)
                    .map_err(|_| DiscoveryError::InsecureUrl)?
                    .origin()
                    .ascii_serialization();
                let metadata = match self.discovery.legacy_authorization_server(&origin).await {
                    Ok(m) => m,
                    Err(DiscoveryError::NotFound(_)) => {
                        AuthorizationServerMetadata::defaults_for(&origin)
                    }
                    Err(e) => return Err(e.into()),
                };
                Ok((metadata, challenged.unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn register(
        &self,
        metadata: &AuthorizationServerMetadata,
        redirect_uri: &str,
        registration: &Registration,
    ) -> Result<Registered, McpAuthError> {
        if let Some(r) = self
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(|r| {
                r.registered_for
                    .as_deref()
                    .is_none_or(|uri| uri == redirect_uri)
            })
        {
            return Ok(r);
        }
        let client_name = match registration {
            Registration::Preregistered { client_id, secret } => {
                return Ok(Registered {
                    client_id: client_id.clone(),
                    secret: secret.clone(),
                    method: if secret.is_some() {
                        secret_method(metadata)
                    } else {
                        "none"
                    },
                    registered_for: None,
                });
            }
            Registration::MetadataDocument { url, .. }
                if metadata
                    .extra
                    .get("client_id_metadata_document_supported")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true) =>
            {
                return Ok(Registered {
                    client_id: url.clone(),
                    secret: None,
                    method: "none",
                    registered_for: None,
                });
            }
            Registration::MetadataDocument { client_name, .. }
            | Registration::Dynamic { client_name } => client_name,
        };
        let endpoint = metadata
            .registration_endpoint
            .as_deref()
            .ok_or(McpAuthError::Unsupported("client registration"))?;
        let method = secret_method(metadata);
        let body = serde_json::json!({
            "client_name": client_name,
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": method,
        });
        let response = self
            .http
            .send(HttpRequest::post_json(endpoint, &body)?)
            .await?;
        if !response.is_success() {
            return Err(McpAuthError::Unsupported(
                "dynamic registration of this client",
            ));
        }
        let reg: RegistrationResponse = serde_json::from_slice(response.body())
            .map_err(|_| McpAuthError::Transport("invalid registration response".into()))?;
        let method = match reg.token_endpoint_auth_method.as_deref() {
            Some("client_secret_post") => "client_secret_post",
            Some("client_secret_basic") => "client_secret_basic",
            Some("none") => "none",
            _ => method,
        };
        let registered = Registered {
            client_id: reg.client_id,
            secret: reg.client_secret.map(SecretString::new),
            method,
            registered_for: Some(redirect_uri.to_owned()),
        };
        *self
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(registered.clone());
        Ok(registered)
    }

    /// The token response, the endpoint (with the client authentication)
    /// that obtained it, and the client.
    async fn code_flow(
        &self,
        metadata: &AuthorizationServerMetadata,
        token_endpoint: &str,
        resource: &str,
        scope: &[String],
        redirect: Redirect<'_>,
    ) -> Result<(TokenResponse, TokenEndpoint, Registered), McpAuthError> {
        // MCP authorization: PKCE is required and S256 must be advertised.
        if !metadata
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            return Err(McpAuthError::Unsupported("PKCE S256"));
        }
        let endpoint = metadata
            .authorization_endpoint
            .as_deref()
            .ok_or(McpAuthError::Unsupported("an authorization endpoint"))?;
        let (listener, redirect_uri, registration) = match redirect {
            Redirect::Headless {
                redirect_uri,
                registration,
            } => (None, redirect_uri.to_owned(), registration),
            Redirect::Loopback(login) => {
                let listener = LoopbackRedirect::bind_port(&login.path, login.port).await?;
                let uri = listener.redirect_uri().to_owned();
                (Some((listener, login)), uri, &login.registration)
            }
        };
        let registered = self.register(metadata, &redirect_uri, registration).await?;
        let pkce = Pkce::generate().ok_or(McpAuthError::Transport("no randomness".into()))?;
        let state = random_state()?;
        let mut url = checked_url(endpoint)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &registered.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("code_challenge", pkce.challenge())
                .append_pair("code_challenge_method", pkce.method())
                .append_pair("state", &state)
                .append_pair("resource", resource);
            if !scope.is_empty() {
                q.append_pair("scope", &scope.join(" "));
            }
        }
        let params = match listener {
            None => self.immediate_response(&url, &redirect_uri).await?,
            Some((listener, login)) => {
                login
                    .browser
                    .open(url.as_str())
                    .map_err(|e| McpAuthError::Browser(e.kind().to_string()))?;
                listener
                    .wait(&state, login.timeout, login.sleeper.as_ref())
                    .await?
                    .query
            }
        };
        let code = check_response(&params, &state, metadata)?;
        let mut form = Form::new().with("grant_type", "authorization_code");
        form.push_secret("code", code);
        form.push("redirect_uri", redirect_uri);
        form.push_secret("code_verifier", pkce.verifier().clone());
        form.push("resource", resource);
        let endpoint = self.endpoint(metadata, token_endpoint, auth_for(&registered))?;
        Ok((endpoint.request(form).await?, endpoint, registered))
    }

    /// The authorization response of a server that redirects at once: the
    /// query of its `Location`, which must be the redirect URI.
    async fn immediate_response(
        &self,
        url: &url::Url,
        redirect_uri: &str,
    ) -> Result<Vec<(String, String)>, McpAuthError> {
        let request = HttpRequest::get(url.as_str(), "text/html")?.expect_redirect();
        let response = self.http.send(request).await?;
        let location = response
            .header("location")
            .ok_or(McpAuthError::AuthorizationResponse("no redirect"))?;
        let back = url::Url::parse(location)
            .map_err(|_| McpAuthError::AuthorizationResponse("redirect is not a URL"))?;
        // The response must come back to the registered redirect URI.
        let mut target = back.clone();
        target.set_query(None);
        target.set_fragment(None);
        let expected = url::Url::parse(redirect_uri)
            .map_err(|_| McpAuthError::AuthorizationResponse("redirect URI is not a URL"))?;
        if target != expected {
            return Err(McpAuthError::AuthorizationResponse(
                "redirect to another place than the redirect URI",
            ));
        }
        Ok(back.query_pairs().into_owned().collect())
    }
}

/// Checks an authorization response (RFC 6749 section 4.1.2) and returns
/// its code: `state` must be the request's (section 10.12), `iss` the
/// issuer when present or promised (RFC 9207 section 2.4), no `error`.
fn check_response(
    params: &[(String, String)],
    state: &str,
    metadata: &AuthorizationServerMetadata,
) -> Result<SecretString, McpAuthError> {
    if single(params, "state") != Some(state) {
        return Err(McpAuthError::AuthorizationResponse("state mismatch"));
    }
    let promised = metadata.authorization_response_iss_parameter_supported;
    match single(params, "iss") {
        Some(iss) if iss != metadata.issuer => {
            return Err(McpAuthError::AuthorizationResponse(
                "`iss` is another issuer",
            ));
        }
        None if promised => {
            return Err(McpAuthError::AuthorizationResponse("`iss` missing"));
        }
        _ => {}
    }
    if params.iter().any(|(k, _)| k == "error") {
        return Err(McpAuthError::AuthorizationResponse(
            "the authorization was refused",
        ));
    }
    single(params, "code")
        .map(SecretString::new)
        .ok_or(McpAuthError::AuthorizationResponse("no code"))
}

/// Client credentials (RFC 6749 section 4.4) for `resource` (RFC 8707).
async fn client_credentials(
    endpoint: &TokenEndpoint,
    resource: &str,
    scope: &[String],
) -> Result<TokenResponse, McpAuthError> {
    let mut form = Form::new()
        .with("grant_type", "client_credentials")
        .with("resource", resource);
    if !scope.is_empty() {
        form.push("scope", scope.join(" "));
    }
    Ok(endpoint.request(form).await?)
}
