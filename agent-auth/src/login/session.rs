//! The logged-in session of the relying party: tokens in secret types, expiry,
//! refresh ahead of expiry, userinfo and logout.

use super::id_token::IdTokenChecks;
use super::tokens::TokenSet;
use super::{ClientError, LoginClient};
use crate::oauth::Form;
use crate::secret::{SecretString, Token};
use crate::validate::Claims;

/// A user's login at the provider.
#[derive(Debug, Clone)]
pub struct LoginSession {
    /// The user's subject identifier.
    pub subject: String,
    /// The ID token claims.
    pub claims: Claims,
    /// The tokens.
    pub tokens: TokenSet,
    /// The last ID token (for `id_token_hint` at logout).
    pub id_token: Token,
}

impl LoginSession {
    pub(super) fn new(claims: Claims, tokens: TokenSet) -> Result<Self, ClientError> {
        let subject = claims
            .sub
            .clone()
            .ok_or_else(|| ClientError::IdToken("`sub` is missing".into()))?;
        let id_token = tokens
            .id_token
            .clone()
            .ok_or_else(|| ClientError::IdToken("no ID token".into()))?;
        Ok(Self {
            subject,
            claims,
            tokens,
            id_token,
        })
    }

    /// Whether the access token expires within `margin` seconds of `now`.
    pub fn expires_within(&self, now: i64, margin: i64) -> bool {
        self.tokens.expires_at.is_some_and(|at| at - now <= margin)
    }
}

impl LoginClient {
    /// Refreshes the session's tokens (RFC 6749 section 6). A new ID token is
    /// checked against the old one (OpenID Connect Core 12.2).
    pub async fn refresh(&self, session: &LoginSession) -> Result<LoginSession, ClientError> {
        let rt = session
            .tokens
            .refresh_token
            .as_ref()
            .ok_or(ClientError::Session("no refresh token"))?;
        let mut tokens = self
            .token_request(
                Form::new()
                    .with("grant_type", "refresh_token")
                    .with("refresh_token", rt.expose_secret()),
            )
            .await?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = session.tokens.refresh_token.clone();
        }
        let (claims, id_token) = match &tokens.id_token {
            Some(id) => {
                let claims = self
                    .check_id_token(
                        id.expose_secret(),
                        &IdTokenChecks {
                            access_token: Some(tokens.access_token.expose_secret()),
                            previous: Some(&session.claims),
                            ..IdTokenChecks::default()
                        },
                    )
                    .await?;
                (claims, id.clone())
            }
            None => (session.claims.clone(), session.id_token.clone()),
        };
        Ok(LoginSession {
            subject: session.subject.clone(),
            claims,
            tokens,
            id_token,
        })
    }

    /// Refreshes when the access token expires within the configured margin.
    /// Returns whether it refreshed.
    pub async fn ensure_fresh(&self, session: &mut LoginSession) -> Result<bool, ClientError> {
        if !session.expires_within(self.clock.now(), self.config.refresh_ahead) {
            return Ok(false);
        }
        *session = self.refresh(session).await?;
        Ok(true)
    }

    /// Fetches UserInfo; its `sub` must be the session's (OpenID Connect Core 5.3.2).
    pub async fn userinfo(&self, session: &LoginSession) -> Result<serde_json::Value, ClientError> {
        let endpoint = self
            .metadata
            .userinfo_endpoint
            .as_deref()
            .ok_or(ClientError::Config("the provider has no userinfo endpoint"))?;
        let token = SecretString::new(session.tokens.access_token.expose_secret());
        let bound = session.tokens.token_type.eq_ignore_ascii_case("dpop");
        let response = match (&self.dpop, bound) {
            (Some(signer), true) => self.userinfo_dpop(signer, endpoint, &token).await?,
            (None, true) => {
                return Err(ClientError::Config(
                    "a DPoP-bound token without the DPoP key",
                ));
            }
            (_, false) => self.backend.get_json(endpoint, Some(&token)).await?,
        };
        if response.status != 200 {
            return Err(super::tokens::provider_error(
                response.status,
                &response.body,
            ));
        }
        match response.body.get("sub").and_then(|v| v.as_str()) {
            Some(sub) if sub == session.subject => Ok(response.body),
            Some(_) => Err(ClientError::UserInfo("`sub` differs from the ID token")),
            None => Err(ClientError::UserInfo("`sub` is missing")),
        }
    }

    /// UserInfo with a DPoP-bound token (RFC 9449 section 7): a proof with
    /// `ath`, sent once more with the server's nonce when it asks for one
    /// (section 9: a 401 with a new `DPoP-Nonce`).
    async fn userinfo_dpop(
        &self,
        signer: &crate::oauth::DpopSigner,
        endpoint: &str,
        token: &SecretString,
    ) -> Result<super::BackendResponse, ClientError> {
        let mut retried = false;
        loop {
            let proof = signer
                .proof(
                    "GET",
                    endpoint,
                    Some(token.expose_secret()),
                    self.clock.now(),
                )
                .map_err(|_| ClientError::Config("DPoP proof signing failed"))?;
            let (response, nonce) = self
                .backend
                .get_json_dpop(endpoint, token, &SecretString::new(proof.expose_secret()))
                .await?;
            let new_nonce = signer.learn_nonce(nonce.as_deref());
            if response.status == 401 && new_nonce && !retried {
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// Logs out: revokes the refresh token (if the provider can) and returns the
    /// RP-initiated logout URL to send the browser to, if the provider has one.
    pub async fn logout(
        &self,
        session: &LoginSession,
        post_logout_redirect_uri: Option<&str>,
    ) -> Result<Option<String>, ClientError> {
        if let (Some(rt), Some(_)) = (
            &session.tokens.refresh_token,
            &self.metadata.revocation_endpoint,
        ) {
            self.revoke(rt, Some("refresh_token")).await?;
        }
        let Some(endpoint) = &self.metadata.end_session_endpoint else {
            return Ok(None);
        };
        let mut url = url::Url::parse(endpoint)
            .map_err(|_| ClientError::Discovery("end_session_endpoint is not a URL"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("id_token_hint", session.id_token.expose_secret());
            q.append_pair("client_id", &self.config.client_id);
            if let Some(uri) = post_logout_redirect_uri {
                q.append_pair("post_logout_redirect_uri", uri);
            }
        }
        Ok(Some(String::from(url)))
    }
}
