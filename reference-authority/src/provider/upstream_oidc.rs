//! An upstream OpenID provider as a [`Connection`]: the authority logs the user
//! in there with the login client (feature `http`).

use super::authorize::RedirectUrl;
use super::federation::{Connection, UpstreamIdentity, UpstreamStart};
use super::params::Params;
use super::{ErrorCode, OAuthError};
use agent_auth::login::{AuthOptions, LoginClient, PendingLogin};
use serde_json::Value;

/// A connection to an upstream OpenID provider (for example `google`). The
/// login client's redirect URI must be the authority's federation callback
/// ([`paths::FEDERATION_CALLBACK`](super::paths::FEDERATION_CALLBACK)).
#[derive(Debug, Clone)]
pub struct OidcConnection {
    name: String,
    client: LoginClient,
}

impl OidcConnection {
    /// A connection named `name` using `client`.
    pub fn new(name: impl Into<String>, client: LoginClient) -> Self {
        Self {
            name: name.into(),
            client,
        }
    }
}

fn upstream_error(e: agent_auth::login::ClientError) -> OAuthError {
    OAuthError::new(
        ErrorCode::AccessDenied,
        format!("upstream login failed: {e}"),
    )
}

#[async_trait::async_trait]
impl Connection for OidcConnection {
    fn name(&self) -> &str {
        &self.name
    }

    async fn begin(&self, redirect_uri: &str) -> Result<UpstreamStart, OAuthError> {
        if self.client.config().redirect_uri != redirect_uri {
            return Err(OAuthError::server_error(
                "the connection's redirect URI is not the federation callback",
            ));
        }
        let req = self
            .client
            .authorization_request(&AuthOptions::default())
            .map_err(upstream_error)?;
        Ok(UpstreamStart {
            url: RedirectUrl::new(req.url),
            state: req.pending.state.clone(),
            saved: req.pending.to_saved(),
        })
    }

    async fn finish(
        &self,
        callback: &Params,
        saved: &Value,
        _redirect_uri: &str,
    ) -> Result<UpstreamIdentity, OAuthError> {
        let pending = PendingLogin::from_saved(saved)
            .ok_or_else(|| OAuthError::server_error("corrupt upstream login state"))?;
        let session = self
            .client
            .callback(&pending, &callback.to_form())
            .await
            .map_err(upstream_error)?;
        let mut claims = session.claims.extra.clone();
        if self.client.metadata().userinfo_endpoint.is_some() {
            let info = self
                .client
                .userinfo(&session)
                .await
                .map_err(upstream_error)?;
            if let Value::Object(info) = info {
                claims.extend(info);
            }
        }
        for name in [
            "nonce",
            "at_hash",
            "c_hash",
            "azp",
            "sid",
            "auth_time",
            "acr",
            "amr",
        ] {
            claims.remove(name);
        }
        Ok(UpstreamIdentity {
            subject: session.subject,
            claims,
        })
    }
}
