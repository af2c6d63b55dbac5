//! The authorization endpoint (RFC 6749 section 4.1, OpenID Connect Core 3.1.2):
//! code flow only, PKCE S256 (RFC 7636), `iss` in the response (RFC 9207).

use super::browser::BrowserBinding;
use super::crypto::{handle_key, random_handle};
use super::model::{
    ACR_MFA, ClientRecord, CodeRecord, GrantFacts, InteractionRecord, SessionRecord,
};
use super::params::Params;
use super::session::{Credentials, LoginError, SessionHandle};
use super::store::Table;
use super::{Authority, ErrorCode, OAuthError, grant_types};
use agent_auth::audit::{AuditAction, Outcome};

agent_auth::secret_type!(
    /// A URL the browser is sent to; it may carry an authorization code.
    RedirectUrl
);

/// What the authorization endpoint answers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthorizeOutcome {
    /// Send the browser to the client's redirect URI (with a code, or an error).
    Redirect(RedirectUrl),
    /// The user must log in (or add a second factor) first: show the login page.
    Interaction(Interaction),
    /// The user is logged in but has not consented to what the client asks:
    /// show the consent page, then [`Authority::decide_consent`].
    Consent(ConsentRequest),
}

/// A consent page: the client and what it asks for.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// The interaction id (single use) the decision is posted with.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The client's display name.
    pub client_name: String,
    /// The scopes asked for.
    pub scope: Vec<String>,
    /// The resources (RFC 8707) asked for.
    pub resource: Vec<String>,
}

/// A pending login: the login page posts its form with this id.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// The interaction id (a random handle, single use).
    pub id: String,
    /// Whether a one-time code is needed (`acr_values` asked for MFA).
    pub needs_mfa: bool,
    /// The client's display name.
    pub client_name: String,
    /// `login_hint` from the request, to prefill the form.
    pub login_hint: Option<String>,
}

/// A finished login: the new session and where the browser goes next.
#[derive(Debug, Clone)]
pub struct LoginCompletion {
    /// The SSO session (set it as a cookie).
    pub session: SessionHandle,
    /// The redirect back to the client, or to the consent page when
    /// `consent` is set.
    pub redirect: RedirectUrl,
    /// The consent the user is asked for next, if any.
    pub consent: Option<ConsentRequest>,
}

/// How far an authorization request resumed from an interaction got.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Resume {
    /// The user just logged in: `prompt=login` and `max_age` are satisfied.
    authenticated: bool,
    /// The user just consented: `prompt=consent` is satisfied.
    consented: bool,
}

impl Resume {
    pub(crate) const NEW: Resume = Resume {
        authenticated: false,
        consented: false,
    };
    pub(crate) const AUTHENTICATED: Resume = Resume {
        authenticated: true,
        consented: false,
    };
    pub(crate) const CONSENTED: Resume = Resume {
        authenticated: true,
        consented: true,
    };
}

pub(crate) struct Validated {
    client: ClientRecord,
    redirect_uri: String,
    redirect_uri_sent: bool,
    state: Option<String>,
    scope: Vec<String>,
    resource: Vec<String>,
    prompt: Vec<String>,
    max_age: Option<i64>,
    needs_mfa: bool,
}

impl Authority {
    /// Handles an authorization request. `session` is the browser's SSO session
    /// handle, if it has one.
    ///
    /// `Err` means the request cannot be answered by redirecting (unknown client,
    /// redirect URI not registered: RFC 6749 section 4.1.2.1 forbids redirecting
    /// then); show the error to the user. Every other error goes back to the client
    /// as a redirect with `error`, `state` and `iss`.
    ///
    /// An interaction started here is not bound to a browser (in-process use);
    /// a web front end uses [`authorize_in_browser`](Authority::authorize_in_browser).
    pub fn authorize(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        self.authorize_from(params, session, None)
    }

    /// [`authorize`](Authority::authorize) for a browser holding `browser` in a
    /// cookie: the login interaction it may start can only be continued by a
    /// request carrying the same binding (login CSRF, RFC 6749 section 10.12).
    pub fn authorize_in_browser(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
        browser: &BrowserBinding,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        self.authorize_from(params, session, Some(browser.digest()))
    }

    fn authorize_from(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
        browser: Option<String>,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        if params.get("request_uri").is_some() {
            let pushed = self.resolve_pushed(params)?;
            return self.authorize_inner(&pushed, session, Resume::NEW, browser);
        }
        self.authorize_inner(params, session, Resume::NEW, browser)
    }

    pub(crate) fn authorize_inner(
        &self,
        params: &Params,
        session: Option<&SessionHandle>,
        resume: Resume,
        browser: Option<String>,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let (client, redirect_uri, sent) = self.client_and_redirect(params)?;
        let state = params.get("state").map(str::to_owned);
        let v = match self.validate_request(params, client, redirect_uri, sent) {
            Ok(v) => v,
            Err((redirect_uri, err)) => {
                self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                    e.agent(params.get("client_id").unwrap_or_default())
                        .reason(err.code().as_str().to_owned())
                });
                return Ok(AuthorizeOutcome::Redirect(self.error_redirect(
                    &redirect_uri,
                    state.as_deref(),
                    &err,
                )?));
            }
        };
        let now = self.now();
        let live = session.and_then(|h| self.session(h));
        let too_old = |s: &SessionRecord| v.max_age.is_some_and(|m| now - s.auth_time > m);
        let need_login = match &live {
            None => true,
            Some(s) => {
                !resume.authenticated && (v.prompt.iter().any(|p| p == "login") || too_old(s))
            }
        };
        let need_mfa = v.needs_mfa && live.as_ref().is_none_or(|s| s.acr != ACR_MFA);
        if need_login || need_mfa {
            if v.prompt.iter().any(|p| p == "none") {
                let code = if need_login {
                    ErrorCode::LoginRequired
                } else {
                    ErrorCode::InteractionRequired
                };
                let err = OAuthError::new(code, "the user must authenticate");
                return Ok(AuthorizeOutcome::Redirect(self.error_redirect(
                    &v.redirect_uri,
                    v.state.as_deref(),
                    &err,
                )?));
            }
            let id = self.start_interaction(params, v.needs_mfa, browser, None)?;
            return Ok(AuthorizeOutcome::Interaction(Interaction {
                id,
                needs_mfa: v.needs_mfa,
                client_name: v.client.name.clone().unwrap_or(v.client.client_id.clone()),
                login_hint: params.get("login_hint").map(str::to_owned),
            }));
        }
        let Some(session) = live else {
            return Err(OAuthError::server_error("session vanished"));
        };
        let forced = v.prompt.iter().any(|p| p == "consent");
        if !resume.consented
            && self.needs_consent(&session.user_id, &v.client, &v.scope, &v.resource, forced)
        {
            if v.prompt.iter().any(|p| p == "none") {
                // OpenID Connect Core 3.1.2.6: no page may be shown.
                self.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                    e.agent(v.client.client_id.clone())
                        .user(session.user_id.clone())
                        .reason("consent required with prompt=none")
                });
                let err = OAuthError::new(
                    ErrorCode::ConsentRequired,
                    "the user has not consented to this request",
                );
                return Ok(AuthorizeOutcome::Redirect(self.error_redirect(
                    &v.redirect_uri,
                    v.state.as_deref(),
                    &err,
                )?));
            }
            let id = self.start_interaction(params, false, browser, Some(&session.user_id))?;
            return self
                .describe_consent(&id, params)
                .map(AuthorizeOutcome::Consent)
                .ok_or_else(|| OAuthError::server_error("client vanished"));
        }
        self.issue_code(params, &v, &session)
    }

    /// Stores a pending interaction (login, or consent of `consent_for`).
    fn start_interaction(
        &self,
        params: &Params,
        needs_mfa: bool,
        browser: Option<String>,
        consent_for: Option<&str>,
    ) -> Result<String, OAuthError> {
        let id = random_handle()?;
        let record = InteractionRecord {
            request: params.to_form(),
            needs_mfa,
            expires: self.now() + self.inner.config.interaction_ttl,
            browser,
            consent_for: consent_for.map(str::to_owned),
        };
        self.tables()
            .put(Table::Interactions, &handle_key(&id), &record)?;
        Ok(id)
    }

    pub(crate) fn client_and_redirect(
        &self,
        params: &Params,
    ) -> Result<(ClientRecord, String, bool), OAuthError> {
        let client_id = params.require("client_id")?;
        let client = self
            .tables()
            .get::<ClientRecord>(Table::Clients, client_id)?
            .ok_or_else(|| OAuthError::invalid_request("unknown client"))?;
        if self.client_disabled(client_id) {
            return Err(OAuthError::invalid_request("the client is disabled"));
        }
        let openid = params.list("scope").iter().any(|s| s == "openid");
        match params.get("redirect_uri") {
            // RFC 6749 section 3.1.2.3 and RFC 9700 section 2.1: exact string match.
            Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => {
                Ok((client, uri.to_owned(), true))
            }
            Some(_) => Err(OAuthError::invalid_request(
                "redirect_uri is not registered for this client",
            )),
            // OpenID Connect Core 3.1.2.1: redirect_uri is required.
            None if openid => Err(OAuthError::invalid_request(
                "missing parameter `redirect_uri`",
            )),
            None => match client.redirect_uris.as_slice() {
                [only] => {
                    let only = only.clone();
                    Ok((client, only, false))
                }
                _ => Err(OAuthError::invalid_request(
                    "missing parameter `redirect_uri`",
                )),
            },
        }
    }

    #[allow(clippy::result_large_err)]
    pub(crate) fn validate_request(
        &self,
        params: &Params,
        client: ClientRecord,
        redirect_uri: String,
        redirect_uri_sent: bool,
    ) -> Result<Validated, (String, OAuthError)> {
        let fail = |e: OAuthError| (redirect_uri.clone(), e);
        match params.get("response_type") {
            Some("code") => {}
            Some(_) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                )));
            }
            None => {
                return Err(fail(OAuthError::invalid_request(
                    "missing parameter `response_type`",
                )));
            }
        }
        if params.get("request").is_some() {
            return Err(fail(OAuthError::new(
                ErrorCode::Extension("request_not_supported".into()),
                "request objects are not supported",
            )));
        }
        if params.get("request_uri").is_some() {
            return Err(fail(OAuthError::invalid_request(
                "request_uri may only name a pushed authorization request",
            )));
        }
        if !client.allows_grant(grant_types::AUTHORIZATION_CODE) {
            return Err(fail(OAuthError::unauthorized_client(
                "the client may not use the authorization code flow",
            )));
        }
        let scope = params.list("scope");
        if let Some(bad) = scope.iter().find(|s| !client.scopes.contains(s)) {
            return Err(fail(OAuthError::invalid_scope(format!(
                "scope `{}` is not allowed for this client",
                bad.chars().take(40).collect::<String>()
            ))));
        }
        match (
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        ) {
            (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {}
            (Some(_), Some("S256")) => {
                return Err(fail(OAuthError::invalid_request(
                    "malformed code_challenge",
                )));
            }
            (Some(_), _) => {
                // S256 only: `plain` gives no protection against a leaked request.
                return Err(fail(OAuthError::invalid_request(
                    "code_challenge_method must be S256",
                )));
            }
            (None, Some(_)) => {
                return Err(fail(OAuthError::invalid_request("missing code_challenge")));
            }
            // RFC 9700 section 2.1.1: public clients must use PKCE.
            (None, None) if client.is_public() => {
                return Err(fail(OAuthError::invalid_request(
                    "PKCE (S256) is required for public clients",
                )));
            }
            (None, None) => {}
        }
        // RFC 9449 section 10: `dpop_jkt` is the base64url SHA-256 JWK
        // thumbprint (RFC 7638) of the key the code will be redeemed with.
        if params
            .get("dpop_jkt")
            .is_some_and(|jkt| !is_s256_challenge(jkt))
        {
            return Err(fail(OAuthError::invalid_request("malformed dpop_jkt")));
        }
        let resource = params.list("resource");
        check_resources(&client, &resource).map_err(fail)?;
        let prompt = params.list("prompt");
        if prompt
            .iter()
            .any(|p| !matches!(p.as_str(), "none" | "login" | "consent" | "select_account"))
        {
            return Err(fail(OAuthError::invalid_request(
                "unsupported prompt value",
            )));
        }
        if prompt.len() > 1 && prompt.iter().any(|p| p == "none") {
            // OpenID Connect Core 3.1.2.1: `none` with any other value is an error.
            return Err(fail(OAuthError::invalid_request(
                "prompt=none with other values",
            )));
        }
        let max_age = match params.get("max_age") {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    return Err(fail(OAuthError::invalid_request(
                        "max_age must be a non-negative integer",
                    )));
                }
            },
        };
        let needs_mfa = params.list("acr_values").iter().any(|a| a == ACR_MFA);
        Ok(Validated {
            client,
            redirect_uri: redirect_uri.clone(),
            redirect_uri_sent,
            state: params.get("state").map(str::to_owned),
            scope,
            resource,
            prompt,
            max_age,
            needs_mfa,
        })
    }

    fn issue_code(
        &self,
        params: &Params,
        v: &Validated,
        session: &SessionRecord,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let code = random_handle()?;
        let now = self.now();
        let record = CodeRecord {
            facts: GrantFacts {
                client_id: v.client.client_id.clone(),
                user_id: Some(session.user_id.clone()),
                scope: v.scope.clone(),
                resource: v.resource.clone(),
                auth_time: Some(session.auth_time),
                acr: Some(session.acr.clone()),
                amr: session.amr.clone(),
                sid: Some(session.sid.clone()),
            },
            redirect_uri: v.redirect_uri.clone(),
            redirect_uri_sent: v.redirect_uri_sent,
            code_challenge: params.get("code_challenge").map(str::to_owned),
            nonce: params.get("nonce").map(str::to_owned),
            expires: now + self.inner.config.code_ttl,
            used: false,
            family: random_handle()?,
            dpop_jkt: params.get("dpop_jkt").map(str::to_owned),
        };
        self.tables()
            .put(Table::Codes, &handle_key(&code), &record)?;
        self.audit(AuditAction::Authentication, Outcome::Success, |e| {
            e.agent(v.client.client_id.clone())
                .user(session.user_id.clone())
                .detail("step", "authorization_code_issued")
                .detail("scope", v.scope.join(" "))
        });
        let mut url = url::Url::parse(&v.redirect_uri)
            .map_err(|_| OAuthError::server_error("registered redirect URI is not a URL"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("code", &code);
            if let Some(state) = &v.state {
                q.append_pair("state", state);
            }
            q.append_pair("iss", self.issuer());
        }
        Ok(AuthorizeOutcome::Redirect(RedirectUrl::new(String::from(
            url,
        ))))
    }

    /// The error redirect of RFC 6749 section 4.1.2.1, with `iss` (RFC 9207 section 2).
    pub(crate) fn error_redirect(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        err: &OAuthError,
    ) -> Result<RedirectUrl, OAuthError> {
        let mut url = url::Url::parse(redirect_uri)
            .map_err(|_| OAuthError::server_error("registered redirect URI is not a URL"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("error", err.code().as_str());
            q.append_pair("error_description", err.description());
            if let Some(state) = state {
                q.append_pair("state", state);
            }
            q.append_pair("iss", self.issuer());
        }
        Ok(RedirectUrl::new(String::from(url)))
    }

    /// The pending interaction of a login page, if it is still valid.
    pub fn interaction(&self, id: &str) -> Option<Interaction> {
        let record = self.live_interaction(id)?;
        if record.consent_for.is_some() {
            return None;
        }
        let params = Params::parse(&record.request).ok()?;
        let client = self.client(params.get("client_id")?).ok()??;
        Some(Interaction {
            id: id.to_owned(),
            needs_mfa: record.needs_mfa,
            client_name: client.name.unwrap_or(client.client_id),
            login_hint: params.get("login_hint").map(str::to_owned),
        })
    }

    pub(crate) fn live_interaction(&self, id: &str) -> Option<InteractionRecord> {
        let record = self
            .tables()
            .get::<InteractionRecord>(Table::Interactions, &handle_key(id))
            .ok()??;
        (record.expires > self.now()).then_some(record)
    }

    /// Completes a login page: checks the credentials (a one-time code too when
    /// the request asked for MFA), opens a session and resumes the authorization
    /// request. A failed attempt keeps the interaction, so the page can be retried.
    ///
    /// For interactions started in process by [`authorize`](Authority::authorize);
    /// one started by a browser needs [`complete_login_in_browser`](Authority::complete_login_in_browser).
    pub fn complete_login(
        &self,
        interaction_id: &str,
        credentials: &Credentials,
    ) -> Result<LoginCompletion, LoginError> {
        self.complete_login_in_browser(interaction_id, None, credentials)
    }

    /// [`complete_login`](Authority::complete_login) for a request from a
    /// browser: the interaction must have been started by a browser holding
    /// `browser`, or the attempt is refused with [`LoginError::OtherBrowser`]
    /// before the credentials are looked at (login CSRF, RFC 6749 section 10.12).
    pub fn complete_login_in_browser(
        &self,
        interaction_id: &str,
        browser: Option<&BrowserBinding>,
        credentials: &Credentials,
    ) -> Result<LoginCompletion, LoginError> {
        let record = self.bound_interaction(interaction_id, browser)?;
        if record.consent_for.is_some() {
            return Err(LoginError::InteractionExpired);
        }
        let auth = self.check_credentials(credentials, record.needs_mfa)?;
        let session = self.open_session(&auth)?;
        self.finish_interaction(interaction_id, &record, session)
    }

    pub(crate) fn finish_interaction(
        &self,
        interaction_id: &str,
        record: &InteractionRecord,
        session: SessionHandle,
    ) -> Result<LoginCompletion, LoginError> {
        self.tables()
            .delete(Table::Interactions, &handle_key(interaction_id))?;
        let params = Params::parse(&record.request).map_err(|_| LoginError::InteractionExpired)?;
        match self.authorize_inner(
            &params,
            Some(&session),
            Resume::AUTHENTICATED,
            record.browser.clone(),
        ) {
            Ok(AuthorizeOutcome::Redirect(redirect)) => Ok(LoginCompletion {
                session,
                redirect,
                consent: None,
            }),
            Ok(AuthorizeOutcome::Consent(consent)) => {
                let mut page = url::Url::parse(&self.endpoint(super::paths::CONSENT))
                    .map_err(|_| LoginError::Unavailable)?;
                page.query_pairs_mut()
                    .append_pair("interaction", &consent.id);
                Ok(LoginCompletion {
                    session,
                    redirect: RedirectUrl::new(String::from(page)),
                    consent: Some(consent),
                })
            }
            _ => Err(LoginError::InteractionExpired),
        }
    }
}

/// A S256 challenge is the base64url of 32 bytes: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 8707 section 2: each resource is an absolute URI without a fragment, and
/// here it must also be registered for the client.
pub(crate) fn check_resources(
    client: &ClientRecord,
    resource: &[String],
) -> Result<(), OAuthError> {
    for r in resource {
        let ok = url::Url::parse(r).is_ok_and(|u| u.fragment().is_none());
        if !ok {
            return Err(OAuthError::invalid_target(
                "resource must be an absolute URI without fragment",
            ));
        }
        if !client.resources.contains(r) {
            return Err(OAuthError::invalid_target(
                "resource is not allowed for this client",
            ));
        }
    }
    Ok(())
}
