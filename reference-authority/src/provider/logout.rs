//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, section 2 and 3).
//!
//! A request that comes with the browser's own session cookie ends that
//! session at once. One that names a session only by `id_token_hint` (no
//! cookie, or the cookie of another session) ends nothing until the user
//! confirms in that browser (section 2: the OP SHOULD ask the End-User whether
//! to log out): otherwise any page could end a user's sessions with a link.

use super::browser::BrowserBinding;
use super::crypto::{handle_key, random_handle};
use super::params::Params;
use super::session::SessionHandle;
use super::store::Table;
use super::{Authority, ErrorCode, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::constant_time_eq;
use serde::{Deserialize, Serialize};

agent_auth::secret_type!(
    /// The single-use value of a logout confirmation form.
    LogoutToken
);

/// What the end-session endpoint answers a browser.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LogoutOutcome {
    /// Done: send the browser to this URL, or show "signed out" when `None`.
    Done(Option<String>),
    /// Ask the user to confirm: a form posting [`LogoutConfirmation::token`].
    Confirm(LogoutConfirmation),
}

/// A logout waiting for the user's confirmation.
#[derive(Debug, Clone)]
pub struct LogoutConfirmation {
    /// The single-use value the confirmation form posts as `confirm`.
    pub token: LogoutToken,
    /// The display name of the client that asked, if known.
    pub client_name: Option<String>,
}

/// A pending confirmation (stored under the digest of its token).
#[derive(Serialize, Deserialize)]
pub(crate) struct PendingLogout {
    sid: String,
    redirect: Option<String>,
    browser: String,
    expires: i64,
}

/// A checked logout request: the session the hint names and where to go next.
struct LogoutRequest {
    client_name: Option<String>,
    hinted_sid: Option<String>,
    redirect: Option<String>,
}

impl Authority {
    /// The end-session endpoint, in process: ends `session` and revokes the
    /// grants bound to it. Returns where to send the browser:
    /// `post_logout_redirect_uri` (with `state`) only when it is registered for
    /// the client identified by `client_id` or the hint (section 3); `None`
    /// shows a "logged out" page. Without a session nothing ends: a session
    /// named only by `id_token_hint` needs the user's confirmation
    /// ([`end_session_in_browser`](Authority::end_session_in_browser)).
    pub fn end_session(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
    ) -> Result<Option<String>, OAuthError> {
        let request = self.logout_request(params)?;
        if let Some(handle) = session {
            self.end_session_by_handle(handle);
        }
        Ok(request.redirect)
    }

    /// The end-session endpoint for a browser holding `browser` and maybe a
    /// session cookie. The browser's own session (matching the hint's `sid`,
    /// when there is a hint) ends at once; a session the browser does not hold
    /// ends only after [`confirm_logout`](Authority::confirm_logout)
    /// (RP-Initiated Logout 1.0, section 2).
    pub fn end_session_in_browser(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
        browser: &BrowserBinding,
    ) -> Result<LogoutOutcome, OAuthError> {
        let request = self.logout_request(params)?;
        let live = session.and_then(|h| self.session(h).map(|s| (h, s)));
        let target = match (&live, &request.hinted_sid) {
            (Some((handle, s)), hinted) if hinted.as_ref().is_none_or(|h| *h == s.sid) => {
                self.end_session_by_handle(handle);
                return Ok(LogoutOutcome::Done(request.redirect));
            }
            (Some((_, s)), _) => s.sid.clone(),
            (None, Some(sid)) if self.sid_is_live(sid) => sid.clone(),
            (None, _) => return Ok(LogoutOutcome::Done(request.redirect)),
        };
        let token = random_handle()?;
        let pending = PendingLogout {
            sid: target,
            redirect: request.redirect,
            browser: browser.digest(),
            expires: self.now() + self.inner.config.interaction_ttl,
        };
        self.tables()
            .put(Table::LogoutRequests, &handle_key(&token), &pending)?;
        self.audit(AuditAction::Logout, Outcome::Denied, |e| {
            e.reason("the request does not come from the session's browser: confirmation asked")
        });
        Ok(LogoutOutcome::Confirm(LogoutConfirmation {
            token: LogoutToken::new(token),
            client_name: request.client_name,
        }))
    }

    /// The user confirmed a logout: ends the session and returns where to
    /// send the browser. The token is single use and only good in the browser
    /// that was asked; anything else is refused, audited, and ends nothing.
    pub fn confirm_logout(
        &self,
        token: &str,
        browser: Option<&BrowserBinding>,
    ) -> Result<Option<String>, OAuthError> {
        let key = handle_key(token);
        let digest = browser.map(BrowserBinding::digest);
        let pending = self
            .tables()
            .get::<PendingLogout>(Table::LogoutRequests, &key)?;
        let verdict = match pending {
            None => Err("unknown or used logout confirmation"),
            Some(p) if p.expires <= self.now() => Err("the logout confirmation expired"),
            Some(p)
                if digest
                    .as_ref()
                    .is_some_and(|d| constant_time_eq(d.as_bytes(), p.browser.as_bytes())) =>
            {
                Ok(p)
            }
            Some(_) => Err("the logout was asked in another browser"),
        };
        // Single use: only the request that removes the record ends the session.
        let verdict = match verdict {
            Ok(p) if self.tables().delete(Table::LogoutRequests, &key)? => Ok(p),
            Ok(_) => Err("unknown or used logout confirmation"),
            Err(reason) => Err(reason),
        };
        match verdict {
            Ok(p) => {
                self.end_session_by_sid(&p.sid);
                Ok(p.redirect)
            }
            Err(reason) => {
                self.audit(AuditAction::Logout, Outcome::Denied, |e| e.reason(reason));
                Err(OAuthError::new(ErrorCode::AccessDenied, reason))
            }
        }
    }

    fn sid_is_live(&self, sid: &str) -> bool {
        self.tables()
            .scan::<super::model::SessionRecord>(Table::Sessions)
            .is_ok_and(|all| all.iter().any(|(_, s)| s.sid == sid))
    }

    /// Checks `id_token_hint`, `client_id` and `post_logout_redirect_uri`.
    fn logout_request(&self, params: &Params) -> Result<LogoutRequest, OAuthError> {
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
        let client = match &client_id {
            Some(id) => self.client(id).ok().flatten(),
            None => None,
        };
        let redirect = match params.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let client = client.as_ref().ok_or_else(|| {
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
        Ok(LogoutRequest {
            client_name: client.map(|c| c.name.unwrap_or(c.client_id)),
            hinted_sid,
            redirect,
        })
    }
}
