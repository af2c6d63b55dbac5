//! OAuth 2.0 with a third-party provider over HTTP: the token endpoint client
//! (refresh with rotation, code exchange) and the connected-accounts
//! authorization-code flow (PKCE, state) that fills the vault.

use crate::credential::{Credential, TokenSet};
use crate::error::VaultError;
use crate::vault::{Accessor, RefreshError, RefreshedTokens, TokenRefresher, Vault};
use agent_auth::secret::SecretString;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// A provider's OAuth endpoints and our client registration there.
#[derive(Clone)]
pub struct OAuthClient {
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret (`client_secret_basic`), if confidential.
    pub client_secret: Option<SecretString>,
    /// Our redirect URI.
    pub redirect_uri: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn b64url(bytes: &[u8]) -> String {
    agent_auth::jose::base64url::encode(bytes)
}

fn random(n: usize) -> Result<String, VaultError> {
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| VaultError::Crypto)?;
    Ok(b64url(&b))
}

impl OAuthClient {
    /// A client.
    pub fn new(
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<SecretString>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: token_endpoint.into(),
            client_id: client_id.into(),
            client_secret,
            redirect_uri: redirect_uri.into(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Posts a token request; maps `invalid_grant` to [`RefreshError::ConsentGone`].
    pub async fn token_request(
        &self,
        form: &[(&str, &str)],
    ) -> Result<RefreshedTokens, RefreshError> {
        let mut req = self
            .http
            .post(&self.token_endpoint)
            .header("accept", "application/json");
        let mut body: Vec<(&str, &str)> = form.to_vec();
        match &self.client_secret {
            Some(secret) => {
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                req = req.basic_auth(enc(&self.client_id), Some(enc(secret.expose_secret())));
            }
            None => body.push(("client_id", &self.client_id)),
        }
        let resp = req.form(&body).send().await.map_err(|e| {
            RefreshError::Transient(format!("token endpoint unreachable: {}", e.without_url()))
        })?;
        let status = resp.status();
        let json: serde_json::Value = resp.json().await.map_err(|_| {
            RefreshError::Transient(format!("token endpoint answered {status} without JSON"))
        })?;
        if !status.is_success() {
            let code = json
                .get("error")
                .and_then(|v| v.as_str())
                .unwrap_or("unknown");
            return Err(if code == "invalid_grant" {
                RefreshError::ConsentGone(code.to_owned())
            } else {
                RefreshError::Transient(format!("token endpoint error {code} ({status})"))
            });
        }
        let access = json
            .get("access_token")
            .and_then(|v| v.as_str())
            .ok_or_else(|| RefreshError::Transient("no access_token in response".into()))?;
        Ok(RefreshedTokens {
            access_token: SecretString::new(access),
            refresh_token: json
                .get("refresh_token")
                .and_then(|v| v.as_str())
                .map(SecretString::new),
            expires_in: json.get("expires_in").and_then(serde_json::Value::as_i64),
            scopes: json.get("scope").and_then(|v| v.as_str()).map(|s| {
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            token_type: json
                .get("token_type")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        })
    }
}

#[async_trait::async_trait]
impl TokenRefresher for OAuthClient {
    async fn refresh(
        &self,
        refresh_token: &SecretString,
        _scopes: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ])
        .await
    }
}

#[derive(Debug)]
struct Pending {
    accessor: Accessor,
    verifier: SecretString,
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
        let verifier = random(32)?;
        let challenge = b64url(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
        );
        let mut url = url::Url::parse(&self.client.authorization_endpoint)
            .map_err(|_| VaultError::Invalid("authorization endpoint".into()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client.client_id)
            .append_pair("redirect_uri", &self.client.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "consent");
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                state,
                Pending {
                    accessor: accessor.clone(),
                    verifier: SecretString::new(verifier),
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
        let tokens = self
            .client
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code.expose_secret()),
                ("redirect_uri", &self.client.redirect_uri),
                ("code_verifier", pending.verifier.expose_secret()),
            ])
            .await
            .map_err(|e| match e {
                RefreshError::ConsentGone(c) | RefreshError::Transient(c) => {
                    VaultError::RefreshFailed(c)
                }
            })?;
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
