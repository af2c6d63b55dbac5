//! The user's consent to what a client asks for (OpenID Connect Core 3.1.2.4:
//! the authorization server obtains an authorization decision before
//! releasing information). Consent is stored per user and client, for the
//! scopes and resources given; a request for anything more asks again,
//! `prompt=consent` always asks, and `prompt=none` without consent answers
//! `consent_required` (3.1.2.6). Trusted first-party clients
//! ([`ClientSpec::trusted_first_party`](super::ClientSpec::trusted_first_party))
//! are not asked about.

use super::authorize::{AuthorizeOutcome, ConsentRequest, RedirectUrl, Resume};
use super::browser::BrowserBinding;
use super::model::{ClientRecord, ConsentRecord};
use super::params::Params;
use super::session::{LoginError, SessionHandle};
use super::store::Table;
use super::{Authority, AuthorityError, ErrorCode, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};

fn key(user_id: &str, client_id: &str) -> String {
    format!("{user_id}\u{1f}{client_id}")
}

impl Authority {
    /// What `user_id` consented to for `client_id`, if anything.
    pub fn consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<ConsentRecord>, AuthorityError> {
        Ok(self
            .tables()
            .get(Table::Consents, &key(user_id, client_id))?)
    }

    /// Every consent given to the clients `client_ids` accepts: (user id,
    /// client id, what was consented to). Reads the whole consent table.
    pub fn consents_to(
        &self,
        client_ids: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, String, ConsentRecord)>, AuthorityError> {
        Ok(self
            .tables()
            .scan::<ConsentRecord>(Table::Consents)?
            .into_iter()
            .filter_map(|(k, record)| {
                let (user, client) = k.split_once('\u{1f}')?;
                client_ids(client).then(|| (user.to_owned(), client.to_owned(), record))
            })
            .collect())
    }

    /// Records that `user_id` consents to `scope` and `resource` for
    /// `client_id` (added to what was consented before). The consent page does
    /// this when the user approves; call it directly only where the user's
    /// decision was taken some other way (a test harness, an admin console).
    pub fn grant_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &[String],
        resource: &[String],
    ) -> Result<(), AuthorityError> {
        let now = self.now();
        self.tables().update::<ConsentRecord, ()>(
            Table::Consents,
            &key(user_id, client_id),
            |current| {
                let mut record = current.unwrap_or_default();
                for s in scope {
                    if !record.scope.contains(s) {
                        record.scope.push(s.clone());
                    }
                }
                for r in resource {
                    if !record.resource.contains(r) {
                        record.resource.push(r.clone());
                    }
                }
                record.granted_at = now;
                (Some(record), ())
            },
        )?;
        self.audit(AuditAction::ApprovalDecided, Outcome::Success, |e| {
            e.agent(client_id.to_owned())
                .user(user_id.to_owned())
                .detail("step", "consent")
                .detail("scope", scope.join(" "))
        });
        Ok(())
    }

    /// Withdraws the consent of `user_id` for `client_id` and revokes every
    /// grant of the user to that client (their refresh and access tokens).
    /// Returns whether there was a consent.
    pub fn revoke_consent(&self, user_id: &str, client_id: &str) -> Result<bool, AuthorityError> {
        let existed = self
            .tables()
            .delete(Table::Consents, &key(user_id, client_id))?;
        self.revoke_families_where(
            |f| f.facts.client_id == client_id && f.facts.user_id.as_deref() == Some(user_id),
            "consent_revoked",
        )
        .map_err(|_| {
            AuthorityError::Storage(super::StoreError::Backend("revocation failed".into()))
        })?;
        self.audit(AuditAction::TokenRevoked, Outcome::Success, |e| {
            e.agent(client_id.to_owned())
                .user(user_id.to_owned())
                .reason("consent withdrawn")
        });
        Ok(existed)
    }

    /// Whether the user must be asked before `client` gets `scope` and
    /// `resource`: always with `prompt=consent`, never for a trusted
    /// first-party client otherwise, and whenever something not consented to
    /// before is asked.
    pub(crate) fn needs_consent(
        &self,
        user_id: &str,
        client: &ClientRecord,
        scope: &[String],
        resource: &[String],
        forced: bool,
    ) -> bool {
        if forced {
            return true;
        }
        if client.skip_consent {
            return false;
        }
        !matches!(
            self.consent(user_id, &client.client_id),
            Ok(Some(c)) if c.covers(scope, resource)
        )
    }

    /// The consent page of interaction `id`, for the browser that started it.
    pub fn consent_request(
        &self,
        id: &str,
        browser: Option<&BrowserBinding>,
    ) -> Result<ConsentRequest, LoginError> {
        let record = self.bound_interaction(id, browser)?;
        if record.consent_for.is_none() {
            return Err(LoginError::InteractionExpired);
        }
        let params = Params::parse(&record.request).map_err(|_| LoginError::InteractionExpired)?;
        self.describe_consent(id, &params)
            .ok_or(LoginError::InteractionExpired)
    }

    pub(crate) fn describe_consent(&self, id: &str, params: &Params) -> Option<ConsentRequest> {
        let client = self.client(params.get("client_id")?).ok()??;
        Some(ConsentRequest {
            id: id.to_owned(),
            client_name: client.name.clone().unwrap_or(client.client_id.clone()),
            client_id: client.client_id,
            scope: params.list("scope"),
            resource: params.list("resource"),
        })
    }

    /// The user's answer on the consent page of interaction `id`: approving
    /// records the consent and sends the browser back with a code; denying
    /// sends it back with `access_denied` (RFC 6749 section 4.1.2.1). The
    /// session must be the user's who was asked, and `browser` the binding of
    /// the browser that started the request (`None` in process); otherwise
    /// nothing changes.
    pub fn decide_consent(
        &self,
        id: &str,
        session: &SessionHandle,
        browser: Option<&BrowserBinding>,
        approve: bool,
    ) -> Result<RedirectUrl, LoginError> {
        let record = self.bound_interaction(id, browser)?;
        let params = Params::parse(&record.request).map_err(|_| LoginError::InteractionExpired)?;
        let live = self.session(session);
        let (Some(user), Some(live)) = (record.consent_for.as_deref(), live) else {
            return Err(LoginError::InteractionExpired);
        };
        if live.user_id != user {
            self.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                e.user(live.user_id.clone())
                    .reason("consent answered by another user's session")
            });
            return Err(LoginError::NotSignedIn);
        }
        if !self
            .tables()
            .delete(Table::Interactions, &super::crypto::handle_key(id))?
        {
            return Err(LoginError::InteractionExpired);
        }
        let unavailable = |_| LoginError::Unavailable;
        let (client, redirect_uri, _) = self.client_and_redirect(&params).map_err(unavailable)?;
        if !approve {
            self.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                e.agent(client.client_id.clone())
                    .user(user.to_owned())
                    .reason("the user denied consent")
                    .detail("step", "consent")
            });
            let err = OAuthError::new(ErrorCode::AccessDenied, "the user denied consent");
            return self
                .error_redirect(&redirect_uri, params.get("state"), &err)
                .map_err(unavailable);
        }
        self.grant_consent(
            user,
            &client.client_id,
            &params.list("scope"),
            &params.list("resource"),
        )?;
        match self.authorize_inner(
            &params,
            Some(session),
            Resume::CONSENTED,
            record.browser.clone(),
        ) {
            Ok(AuthorizeOutcome::Redirect(url)) => Ok(url),
            _ => Err(LoginError::InteractionExpired),
        }
    }
}

impl From<AuthorityError> for LoginError {
    fn from(_: AuthorityError) -> Self {
        LoginError::Unavailable
    }
}
