//! Both steps of the Identity Assertion JWT Authorization Grant in one call,
//! with the resulting access token cached until it expires.

use super::client::{ExchangeClient, ExchangeError, TokenExchangeRequest, TokenExchangeResponse};
use super::token_cache::{TokenCache, subject_label};
use super::token_types;
use crate::clock::{SharedClock, system_clock};
use crate::jose::base64url;
use crate::secret::Token;

/// What to ask the IdP for: an ID-JAG for one resource authorization server.
#[derive(Debug, Clone, Default)]
pub struct CrossDomainRequest {
    /// The resource authorization server's issuer (the ID-JAG `audience`).
    pub audience: String,
    /// Scope wanted at the resource authorization server.
    pub scope: Vec<String>,
    /// Resources (RFC 8707) at that server.
    pub resource: Vec<String>,
    /// RFC 9396 `authorization_details`, passed to the IdP.
    pub authorization_details: Option<serde_json::Value>,
}

impl CrossDomainRequest {
    /// An ID-JAG request for `audience` with `scope`.
    pub fn new(
        audience: impl Into<String>,
        scope: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            audience: audience.into(),
            scope: scope.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Adds a resource.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource.push(resource.into());
        self
    }
}

/// A user's ID token at the IdP turned into an access token at a resource
/// authorization server of another trust domain: token exchange for an ID-JAG
/// at the IdP (draft section 4.3), then the jwt-bearer grant at the resource
/// authorization server (section 4.4). Access tokens are cached per user,
/// audience, scope and resource until shortly before they expire. The draft's
/// resource authorization server issues no refresh token (section 4.4.1), so
/// an expired token is obtained by both steps again; should a server issue
/// one anyway, it is used first.
#[derive(Debug)]
pub struct CrossDomainClient {
    idp: ExchangeClient,
    resource_server: ExchangeClient,
    cache: TokenCache,
}

impl CrossDomainClient {
    /// Talks to the IdP's and the resource authorization server's token
    /// endpoints, as the client registered at each.
    pub fn new(idp: ExchangeClient, resource_server: ExchangeClient) -> Self {
        Self {
            idp,
            resource_server,
            cache: TokenCache::new(system_clock()),
        }
    }

    /// The clock deciding expiry (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.cache.clock = clock;
        self
    }

    /// How long before expiry a cached token is replaced (default 30 s).
    #[must_use]
    pub fn refresh_ahead(mut self, seconds: i64) -> Self {
        self.cache.refresh_ahead = seconds.max(0);
        self
    }

    /// Step one alone: the ID-JAG for `request`, from the user's ID token.
    pub async fn id_jag(
        &self,
        id_token: &Token,
        request: &CrossDomainRequest,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        let mut exchange = TokenExchangeRequest::new(id_token.clone(), token_types::ID_TOKEN)
            .requested_token_type(token_types::ID_JAG)
            .audience(request.audience.clone())
            .scope(request.scope.iter().cloned());
        for r in &request.resource {
            exchange = exchange.resource(r.clone());
        }
        if let Some(d) = &request.authorization_details {
            exchange = exchange.authorization_details(d.clone());
        }
        let response = self.idp.exchange(&exchange).await?;
        if response.issued_token_type.as_deref() != Some(token_types::ID_JAG) {
            return Err(ExchangeError::InvalidResponse(
                "the IdP did not issue an ID-JAG",
            ));
        }
        Ok(response)
    }

    /// Both steps, uncached: the resource authorization server's response.
    pub async fn exchange(
        &self,
        id_token: &Token,
        request: &CrossDomainRequest,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        let jag = self.id_jag(id_token, request).await?;
        self.resource_server
            .jwt_bearer(&jag.access_token, &[])
            .await
    }

    /// An access token at the resource authorization server for the user of
    /// `id_token`: from the cache while it is valid, else refreshed when a
    /// refresh token is held, else by both steps.
    pub async fn access_token(
        &self,
        id_token: &Token,
        request: &CrossDomainRequest,
    ) -> Result<Token, ExchangeError> {
        let key = cache_key(id_token, request);
        self.cache
            .get_or(
                &key,
                subject_label(id_token),
                &self.resource_server,
                self.exchange(id_token, request),
            )
            .await
    }

    /// Drops the cached tokens obtained for `user` of `issuer` (the `iss`
    /// and `sub` of the ID token); returns how many.
    pub fn drop_subject(&self, issuer: &str, user: &str) -> usize {
        self.cache.drop_subject(issuer, user)
    }

    /// Drops every cached token.
    pub fn clear(&self) {
        self.cache.clear();
    }
}

/// The cache key: a digest of the ID token (never the token itself), the
/// audience, the scope and the resources.
fn cache_key(id_token: &Token, request: &CrossDomainRequest) -> String {
    let mut scope = request.scope.clone();
    scope.sort();
    let mut resource = request.resource.clone();
    resource.sort();
    let text = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        base64url::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            id_token.expose_secret().as_bytes()
        )),
        request.audience,
        scope.join(" "),
        resource.join(" ")
    );
    base64url::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        text.as_bytes(),
    ))
}
