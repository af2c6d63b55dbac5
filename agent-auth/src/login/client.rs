//! The login client: discovery, authorization requests with PKCE, state and
//! nonce, and the callback with RFC 9207 and ID token checks.

use super::id_token::IdTokenChecks;
use super::tokens::{ClientAuth, random};
use super::{ClientError, LoginBackend, LoginSession, ProviderMetadata};
use crate::audit::SharedSink;
use crate::clock::SharedClock;
use crate::oauth::{AuthorizationServerMetadata, DiscoveryError, Form, Pkce};
use crate::secret::{SecretString, constant_time_eq};
use crate::validate::KeySource;
use std::sync::Arc;

/// Settings of a relying party registration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginConfig {
    /// The issuer identifier, compared exactly with the discovered one.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// Client authentication.
    pub auth: ClientAuth,
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Scopes asked for (`openid` is always included).
    pub scopes: Vec<String>,
    /// Refuse ID tokens without `at_hash` when an access token came with them
    /// (default false: OpenID Connect Core 3.1.3.6 makes it optional in the
    /// code flow; when present it is always checked).
    pub require_at_hash: bool,
    /// Refuse ID tokens from the code exchange without `c_hash` (default false:
    /// OpenID Connect requires it only in the hybrid flow).
    pub require_c_hash: bool,
    /// Refresh this many seconds before the access token expires (default 60).
    pub refresh_ahead: i64,
    /// Clock skew tolerated on ID token times (default 60).
    pub leeway: i64,
}

impl LoginConfig {
    /// A registration for `client_id` at `issuer`, returning to `redirect_uri`.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            auth: ClientAuth::None,
            redirect_uri: redirect_uri.into(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            require_at_hash: false,
            require_c_hash: false,
            refresh_ahead: 60,
            leeway: 60,
        }
    }

    /// Sets the client authentication.
    #[must_use]
    pub fn auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Sets the scopes (`openid` is added if missing).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        if !self.scopes.iter().any(|s| s == "openid") {
            self.scopes.insert(0, "openid".into());
        }
        self
    }

    /// Requires `c_hash` in ID tokens from the code exchange.
    #[must_use]
    pub fn require_c_hash(mut self, required: bool) -> Self {
        self.require_c_hash = required;
        self
    }

    /// Requires `at_hash` in ID tokens issued with an access token.
    #[must_use]
    pub fn require_at_hash(mut self, required: bool) -> Self {
        self.require_at_hash = required;
        self
    }
}

/// Options of one authorization request.
#[derive(Debug, Clone, Default)]
pub struct AuthOptions {
    /// `acr_values` (step-up): the ID token's `acr` must be one of them.
    pub acr_values: Vec<String>,
    /// `max_age`: the ID token's `auth_time` must be at most this old.
    pub max_age: Option<i64>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// RFC 8707 resources.
    pub resource: Vec<String>,
    /// Scopes besides the configured ones.
    pub extra_scopes: Vec<String>,
}

/// What the client remembers between the redirect and the callback (keep it
/// server-side; it holds the PKCE verifier).
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// `state`, the key of the pending login.
    pub state: String,
    pub(super) nonce: String,
    pub(super) verifier: SecretString,
    pub(super) max_age: Option<i64>,
    pub(super) acr_values: Vec<String>,
}

impl PendingLogin {
    /// The pending login as JSON, to keep server-side between redirect and callback.
    ///
    /// # Security
    /// Holds the PKCE verifier: store it where only the server reads it.
    pub fn to_saved(&self) -> serde_json::Value {
        serde_json::json!({
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier.expose_secret(),
            "max_age": self.max_age,
            "acr_values": self.acr_values,
        })
    }

    /// Reads what [`to_saved`](Self::to_saved) wrote.
    pub fn from_saved(saved: &serde_json::Value) -> Option<Self> {
        let text = |k: &str| saved.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Some(Self {
            state: text("state")?,
            nonce: text("nonce")?,
            verifier: SecretString::new(text("verifier")?),
            max_age: saved.get("max_age").and_then(serde_json::Value::as_i64),
            acr_values: saved
                .get("acr_values")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// An authorization request: where to send the browser, and what to keep.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The authorization URL.
    pub url: String,
    /// Keep this until the callback.
    pub pending: PendingLogin,
}

/// An OpenID Connect relying party for one provider.
#[derive(Debug, Clone)]
pub struct LoginClient {
    pub(super) backend: Arc<dyn LoginBackend>,
    pub(super) config: LoginConfig,
    pub(super) metadata: ProviderMetadata,
    pub(super) authorization_endpoint: String,
    pub(super) token_endpoint: String,
    pub(super) keys: Arc<dyn KeySource>,
    pub(super) clock: SharedClock,
    pub(super) dpop: Option<crate::oauth::DpopSigner>,
    pub(super) audit: Option<SharedSink>,
}

impl LoginClient {
    /// Fetches the provider's discovery document and checks that its `issuer` is
    /// exactly the configured one (OpenID Connect Discovery section 4.3, the
    /// core's [`AuthorizationServerMetadata::from_json`]) and that it names
    /// the endpoints section 3 requires.
    pub async fn discover(
        backend: Arc<dyn LoginBackend>,
        config: LoginConfig,
        clock: SharedClock,
    ) -> Result<Self, ClientError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            config.issuer.trim_end_matches('/')
        );
        let response = backend.get_json(&url, None).await?;
        if response.status != 200 {
            return Err(ClientError::Discovery("discovery document unavailable"));
        }
        let metadata = AuthorizationServerMetadata::from_json(response.body, &config.issuer)
            .map_err(|e| match e {
                DiscoveryError::IssuerMismatch => {
                    ClientError::Discovery("issuer differs from the configured issuer")
                }
                _ => ClientError::Discovery("malformed discovery document"),
            })?;
        let required = |v: &Option<String>| {
            v.clone()
                .ok_or(ClientError::Discovery("malformed discovery document"))
        };
        let authorization_endpoint = required(&metadata.authorization_endpoint)?;
        let token_endpoint = required(&metadata.token_endpoint)?;
        let keys = backend.key_source(&required(&metadata.jwks_uri)?)?;
        Ok(Self {
            backend,
            config,
            metadata,
            authorization_endpoint,
            token_endpoint,
            keys,
            clock,
            dpop: None,
            audit: None,
        })
    }

    /// Records each sign-in (the subject, `acr` and `amr` on success, the
    /// failed check on refusal) and each token request in `sink`; never a
    /// code, token or secret.
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Proves `signer`'s key with every token request (code exchange,
    /// refresh, client credentials; RFC 9449 section 5) and retries once on
    /// `use_dpop_nonce` (section 8): the provider binds the tokens to the key.
    #[must_use]
    pub fn dpop(mut self, signer: crate::oauth::DpopSigner) -> Self {
        self.dpop = Some(signer);
        self
    }

    /// The provider metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// The settings.
    pub fn config(&self) -> &LoginConfig {
        &self.config
    }

    /// Builds an authorization request with PKCE S256, `state` and `nonce`.
    pub fn authorization_request(
        &self,
        options: &AuthOptions,
    ) -> Result<AuthorizationRequest, ClientError> {
        let rnd = || random().ok_or(ClientError::Config("randomness unavailable"));
        let state = rnd()?;
        let nonce = rnd()?;
        let pkce = Pkce::generate().ok_or(ClientError::Config("randomness unavailable"))?;
        let mut url = url::Url::parse(&self.authorization_endpoint)
            .map_err(|_| ClientError::Discovery("authorization_endpoint is not a URL"))?;
        let mut scopes = self.config.scopes.clone();
        scopes.extend(options.extra_scopes.iter().cloned());
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code");
            q.append_pair("client_id", &self.config.client_id);
            q.append_pair("redirect_uri", &self.config.redirect_uri);
            q.append_pair("scope", &scopes.join(" "));
            q.append_pair("state", &state);
            q.append_pair("nonce", &nonce);
            q.append_pair("code_challenge", pkce.challenge());
            q.append_pair("code_challenge_method", pkce.method());
            if !options.acr_values.is_empty() {
                q.append_pair("acr_values", &options.acr_values.join(" "));
            }
            if let Some(m) = options.max_age {
                q.append_pair("max_age", &m.to_string());
            }
            if let Some(p) = &options.prompt {
                q.append_pair("prompt", p);
            }
            if let Some(h) = &options.login_hint {
                q.append_pair("login_hint", h);
            }
            for r in &options.resource {
                q.append_pair("resource", r);
            }
            // RFC 9449 section 10: bind the code to the DPoP key, so that
            // only this key can redeem it.
            if let Some(signer) = &self.dpop {
                q.append_pair("dpop_jkt", signer.key().thumbprint());
            }
        }
        Ok(AuthorizationRequest {
            url: String::from(url),
            pending: PendingLogin {
                state,
                nonce,
                verifier: pkce.verifier().clone(),
                max_age: options.max_age,
                acr_values: options.acr_values.clone(),
            },
        })
    }

    /// Handles the redirect back: `query` is the callback URL's query string.
    /// Checks `state`, RFC 9207 `iss`, redeems the code with the PKCE verifier
    /// and validates the ID token (OpenID Connect Core 3.1.3.7).
    pub async fn callback(
        &self,
        pending: &PendingLogin,
        query: &str,
    ) -> Result<LoginSession, ClientError> {
        let result = self.redeem_callback(pending, query).await;
        self.record_sign_in(&result);
        result
    }

    async fn redeem_callback(
        &self,
        pending: &PendingLogin,
        query: &str,
    ) -> Result<LoginSession, ClientError> {
        let mut pairs = std::collections::BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if pairs.insert(k.into_owned(), v.into_owned()).is_some() {
                return Err(ClientError::Response("repeated parameter in the callback"));
            }
        }
        // RFC 9207 section 2.4: compare `iss` before anything else is used.
        match pairs.get("iss") {
            Some(iss) if *iss == self.metadata.issuer => {}
            Some(_) => return Err(ClientError::Response("`iss` is not the expected issuer")),
            None if self.metadata.authorization_response_iss_parameter_supported => {
                return Err(ClientError::Response(
                    "`iss` missing from the authorization response",
                ));
            }
            None => {}
        }
        let state = pairs.get("state").map(String::as_str).unwrap_or_default();
        if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(ClientError::Response("`state` does not match"));
        }
        if let Some(code) = pairs.get("error") {
            return Err(ClientError::Provider {
                code: code.clone(),
                description: pairs.get("error_description").cloned().unwrap_or_default(),
            });
        }
        let code = pairs.get("code").ok_or(ClientError::Response(
            "no code in the authorization response",
        ))?;
        let tokens = self
            .token_request({
                let mut form = Form::new()
                    .with("grant_type", "authorization_code")
                    .with("code", code.as_str())
                    .with("redirect_uri", self.config.redirect_uri.as_str());
                form.push_secret("code_verifier", pending.verifier.clone());
                form
            })
            .await?;
        let id_token = tokens
            .id_token
            .clone()
            .ok_or_else(|| ClientError::IdToken("no ID token in the token response".into()))?;
        let claims = self
            .check_id_token(
                id_token.expose_secret(),
                &IdTokenChecks {
                    nonce: Some(&pending.nonce),
                    access_token: Some(tokens.access_token.expose_secret()),
                    code: Some(code),
                    max_age: pending.max_age,
                    acr_values: &pending.acr_values,
                    previous: None,
                },
            )
            .await?;
        LoginSession::new(claims, tokens)
    }
}
