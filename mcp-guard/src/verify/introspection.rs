//! RFC 7662 token introspection, with a bounded cache: a positive answer is
//! kept no longer than the token's `exp` nor the configured TTL; a negative one
//! only briefly. The request goes out through the OAuth core of `agent-auth`:
//! its [`ClientAuth`] and its [`HttpClient`] (no redirects, a timeout, a body
//! cap, https or loopback).

use super::VerifyError;
use super::cache::{Cache, Cached, hash};
use crate::principal::{Principal, TokenSource};
use crate::resource::ResourceUri;
use agent_auth::oauth::{ClientAuth, Form, HttpClient, HttpPolicy, HttpRequest, check_url};
use agent_auth::secret::SecretString;
use agent_auth::validate::Claims;
use std::sync::Arc;
use std::time::Duration;

/// Largest introspection response read.
const MAX_RESPONSE: usize = 64 * 1024;

/// Settings of one introspection endpoint.
#[derive(Debug, Clone)]
pub struct IntrospectionConfig {
    /// The issuer whose tokens this endpoint describes.
    pub issuer: String,
    /// The endpoint URL (https, or http on loopback).
    pub endpoint: String,
    /// How the resource server authenticates there (RFC 7662 section 2.1:
    /// the endpoint requires authorization); a `private_key_jwt` assertion
    /// names the issuer as its audience.
    pub auth: ClientAuth,
    /// Longest time an active answer is reused (default 60 s; never past `exp`).
    pub positive_ttl_secs: i64,
    /// Time an inactive answer is reused (default 5 s).
    pub negative_ttl_secs: i64,
    /// Entries kept at most (default 10 000).
    pub capacity: usize,
    /// Time limit of one request (default 5 s).
    pub timeout: Duration,
    /// Whether an answer without `aud` is refused (default true: RFC 8707 audience
    /// restriction is required of every token).
    pub require_audience: bool,
    http: Option<HttpClient>,
}

impl IntrospectionConfig {
    /// Settings with defaults, authenticating with `client_secret_basic`.
    pub fn new(
        issuer: impl Into<String>,
        endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::with_auth(
            issuer,
            endpoint,
            ClientAuth::basic(client_id, client_secret.expose_secret()),
        )
    }

    /// Settings with defaults, authenticating with `auth`.
    pub fn with_auth(
        issuer: impl Into<String>,
        endpoint: impl Into<String>,
        auth: ClientAuth,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            endpoint: endpoint.into(),
            auth,
            positive_ttl_secs: 60,
            negative_ttl_secs: 5,
            capacity: 10_000,
            timeout: Duration::from_secs(5),
            require_audience: true,
            http: None,
        }
    }

    /// Sends through `http` (your own transport or `reqwest::Client`)
    /// instead of the default [`HttpClient`]; `timeout` and a 64 KiB body cap
    /// become its policy either way.
    #[must_use]
    pub fn with_http(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }
}

/// An introspection client with its cache. Clones share the cache.
#[derive(Debug, Clone)]
pub struct Introspector {
    config: Arc<IntrospectionConfig>,
    http: HttpClient,
    cache: Arc<Cache>,
}

impl Introspector {
    /// A client for `config`. Fails when the endpoint is not https (nor http
    /// on loopback: RFC 7662 section 2 requires transport-layer security,
    /// described in section 4; the token is a credential) or no HTTP client
    /// can be built.
    pub fn new(config: IntrospectionConfig) -> Result<Self, crate::ConfigError> {
        if check_url(&config.endpoint).is_err() {
            tracing::error!(
                "introspection endpoint refused: it must be https (http only on loopback)"
            );
            return Err(crate::ConfigError::HttpClient);
        }
        let http = match &config.http {
            Some(http) => http.clone(),
            None => HttpClient::new().map_err(|_| crate::ConfigError::HttpClient)?,
        }
        .policy(HttpPolicy::new(config.timeout, MAX_RESPONSE));
        Ok(Self {
            cache: Arc::new(Cache::new(config.capacity)),
            config: Arc::new(config),
            http,
        })
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Entries in the cache.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Introspects `token` (from the cache when possible) and checks the answer
    /// for `resource`.
    pub async fn introspect(
        &self,
        token: &str,
        resource: &ResourceUri,
        now: i64,
    ) -> Result<Principal, VerifyError> {
        let key = hash(token);
        let answer = match self.cache.get(&key, now) {
            Some(Cached::Active(p)) => *p,
            Some(Cached::Inactive) => return Err(VerifyError::Inactive),
            None => {
                let body = self.fetch(token, now).await?;
                match self.interpret(body, resource, now) {
                    Ok(principal) => {
                        let mut until = now.saturating_add(self.config.positive_ttl_secs);
                        if let Some(exp) = principal.expires_at {
                            until = until.min(exp);
                        }
                        self.cache.put(
                            key,
                            Cached::Active(Box::new(principal.clone())),
                            until,
                            now,
                        );
                        principal
                    }
                    Err(e) => {
                        let until = now.saturating_add(self.config.negative_ttl_secs);
                        self.cache.put(key, Cached::Inactive, until, now);
                        return Err(e);
                    }
                }
            }
        };
        if answer.expires_at.is_some_and(|exp| now >= exp) {
            return Err(VerifyError::Expired);
        }
        Ok(answer)
    }

    /// RFC 7662 section 2.1: the token in a form POST with the resource
    /// server's client authentication.
    async fn fetch(&self, token: &str, now: i64) -> Result<serde_json::Value, VerifyError> {
        let unavailable = |why: &dyn std::fmt::Display| {
            tracing::warn!(error = %why, "introspection failed");
            VerifyError::Unavailable
        };
        let config = &self.config;
        let mut form = Form::new();
        form.push_secret("token", SecretString::new(token));
        form.push("token_type_hint", "access_token");
        let authorization = config
            .auth
            .apply(&mut form, &config.issuer, now)
            .map_err(|e| unavailable(&e))?;
        let mut request =
            HttpRequest::post_form(&config.endpoint, &form).map_err(|e| unavailable(&e))?;
        if let Some(value) = authorization {
            request = request.secret_header("authorization", value);
        }
        let response = self
            .http
            .send_ok(request)
            .await
            .map_err(|e| unavailable(&e))?;
        serde_json::from_slice(response.body()).map_err(|_| unavailable(&"the answer is not JSON"))
    }

    /// RFC 7662 section 2.2: only `active` is required; everything else is
    /// checked when present, `aud` is required unless configured otherwise.
    fn interpret(
        &self,
        body: serde_json::Value,
        resource: &ResourceUri,
        now: i64,
    ) -> Result<Principal, VerifyError> {
        let serde_json::Value::Object(map) = body else {
            return Err(VerifyError::Unavailable);
        };
        if map.get("active") != Some(&serde_json::Value::Bool(true)) {
            return Err(VerifyError::Inactive);
        }
        if let Some(t) = map.get("token_type").and_then(|t| t.as_str())
            && (t.eq_ignore_ascii_case("refresh_token") || t.eq_ignore_ascii_case("refresh"))
        {
            return Err(VerifyError::NotAccessToken);
        }
        // A `cnf` (RFC 9449 section 6.2) stays in the claims: the verifier
        // refuses such a token as a bearer token and checks its proof otherwise.
        let mut claims = Claims::new();
        for (name, value) in map {
            match (name.as_str(), value) {
                ("active", _) => {}
                ("iss", serde_json::Value::String(s)) => claims.iss = Some(s),
                ("sub", serde_json::Value::String(s)) => claims.sub = Some(s),
                ("jti", serde_json::Value::String(s)) => claims.jti = Some(s),
                ("aud", serde_json::Value::String(s)) => claims.aud = vec![s],
                ("aud", serde_json::Value::Array(a)) => {
                    claims.aud = a
                        .into_iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                }
                ("exp", v) => claims.exp = v.as_i64(),
                ("iat", v) => claims.iat = v.as_i64(),
                ("nbf", v) => claims.nbf = v.as_i64(),
                (_, v) => {
                    claims.extra.insert(name, v);
                }
            }
        }
        if claims
            .iss
            .as_deref()
            .is_some_and(|i| i != self.config.issuer)
        {
            return Err(VerifyError::WrongIssuer);
        }
        if claims.exp.is_some_and(|exp| now >= exp) {
            return Err(VerifyError::Expired);
        }
        if claims.aud.is_empty() {
            if self.config.require_audience {
                return Err(VerifyError::WrongAudience);
            }
        } else if !claims.aud.iter().any(|a| resource.matches(a)) {
            return Err(VerifyError::WrongAudience);
        }
        Ok(Principal::from_claims(
            &self.config.issuer,
            claims,
            TokenSource::Introspection,
        ))
    }
}
