//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, section 2 and 3).

use super::params::Params;
use super::session::SessionHandle;
use super::{Authority, OAuthError};

impl Authority {
    /// The end-session endpoint. Ends the browser's session (or the session named
    /// by the `sid` of `id_token_hint`) and revokes the grants bound to it. Returns
    /// where to send the browser: `post_logout_redirect_uri` (with `state`) only
    /// when it is registered for the client identified by `client_id` or the hint
    /// (section 3); `None` shows a "logged out" page.
    pub fn end_session(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
    ) -> Result<Option<String>, OAuthError> {
        let mut hinted_client = None;
        let mut hinted_sid = None;
        if let Some(hint) = params.get("id_token_hint") {
            let claims = self.verify_id_token_hint(hint).map_err(|_| {
                OAuthError::invalid_request("id_token_hint is not an ID token of this issuer")
            })?;
            hinted_client = claims
                .str("azp")
                .map(str::to_owned)
                .or(claims.aud.first().cloned());
            hinted_sid = claims.str("sid").map(str::to_owned);
        }
        let client_id = match (params.get("client_id"), hinted_client) {
            (Some(c), Some(h)) if c != h => {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the id_token_hint audience",
                ));
            }
            (Some(c), _) => Some(c.to_owned()),
            (None, h) => h,
        };
        let redirect = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let client = match &client_id {
                    Some(id) => self.client(id).ok().flatten(),
                    None => None,
                }
                .ok_or_else(|| {
                    OAuthError::invalid_request(
                        "post_logout_redirect_uri needs client_id or id_token_hint",
                    )
                })?;
                if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                    return Err(OAuthError::invalid_request(
                        "post_logout_redirect_uri is not registered",
                    ));
                }
                let mut url = url::Url::parse(uri).map_err(|_| {
                    OAuthError::invalid_request("post_logout_redirect_uri is not a URL")
                })?;
                if let Some(state) = params.get("state") {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(String::from(url))
            }
        };
        match (session, hinted_sid) {
            (Some(handle), _) => self.end_session_by_handle(handle),
            (None, Some(sid)) => {
                self.end_session_by_sid(&sid);
            }
            (None, None) => {}
        }
        Ok(redirect)
    }
}
