//! The in-memory backend: the login client calls a reference [`Authority`]
//! in the same process, without HTTP.

use crate::provider::{Authority, OAuthError, Params, TokenRequest, paths};
use agent_auth::login::{BackendResponse, ClientError, LoginBackend};
use agent_auth::secret::SecretString;
use agent_auth::validate::KeySource;
use std::sync::Arc;

/// Calls an in-process authority directly.
#[derive(Debug, Clone)]
pub struct InMemoryBackend {
    authority: Authority,
}

impl InMemoryBackend {
    /// A backend for `authority`.
    pub fn new(authority: Authority) -> Self {
        Self { authority }
    }
}

fn error(e: &OAuthError) -> BackendResponse {
    BackendResponse {
        status: e.status(),
        body: e.to_json(),
    }
}

fn ok(body: serde_json::Value) -> BackendResponse {
    BackendResponse { status: 200, body }
}

#[async_trait::async_trait]
impl LoginBackend for InMemoryBackend {
    async fn get_json(
        &self,
        url: &str,
        bearer: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        let a = &self.authority;
        if url == a.endpoint(paths::OPENID_CONFIGURATION)
            || url == a.endpoint(paths::OAUTH_METADATA)
        {
            return Ok(ok(a.metadata()));
        }
        if url == a.endpoint(paths::JWKS) {
            return serde_json::to_value(a.keys().jwks())
                .map(ok)
                .map_err(|_| ClientError::Transport("JWKS".into()));
        }
        if url == a.endpoint(paths::USERINFO) {
            let token = bearer.ok_or(ClientError::Config("userinfo needs a token"))?;
            return Ok(match a.userinfo(token.expose_secret()) {
                Ok(body) => ok(body),
                Err(e) => error(&e),
            });
        }
        Ok(BackendResponse {
            status: 404,
            body: serde_json::Value::Null,
        })
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        let a = &self.authority;
        let params = Params::from_pairs(
            form.iter()
                .map(|(k, v)| (k.clone(), v.expose_secret().to_owned())),
        );
        let request = TokenRequest {
            params,
            authorization: authorization.cloned(),
            dpop_proof: None,
        };
        Ok(if url == a.endpoint(paths::TOKEN) {
            match a.token(&request).await {
                Ok(t) => ok(t.to_json()),
                Err(e) => error(&e),
            }
        } else if url == a.endpoint(paths::REVOKE) {
            match a.revoke(&request) {
                Ok(()) => ok(serde_json::Value::Null),
                Err(e) => error(&e),
            }
        } else if url == a.endpoint(paths::INTROSPECT) {
            match a.introspect(&request) {
                Ok(body) => ok(body),
                Err(e) => error(&e),
            }
        } else {
            BackendResponse {
                status: 404,
                body: serde_json::Value::Null,
            }
        })
    }

    fn key_source(&self, _jwks_uri: &str) -> Result<Arc<dyn KeySource>, ClientError> {
        Ok(Arc::clone(self.authority.keys()) as Arc<dyn KeySource>)
    }

    /// The token endpoint with a DPoP proof; the answer carries the
    /// authority's current nonce, as its HTTP face does.
    async fn post_form_dpop(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
        proof: &SecretString,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        let a = &self.authority;
        if url != a.endpoint(paths::TOKEN) {
            return Err(ClientError::Config("DPoP proofs go to the token endpoint"));
        }
        let params = Params::from_pairs(
            form.iter()
                .map(|(k, v)| (k.clone(), v.expose_secret().to_owned())),
        );
        let mut request = TokenRequest::new(params).with_dpop_proof(proof.expose_secret());
        request.authorization = authorization.cloned();
        let response = match a.token(&request).await {
            Ok(t) => ok(t.to_json()),
            Err(e) => error(&e),
        };
        Ok((response, a.dpop_nonce()))
    }
}
