//! Decisions in the person's browser. The approval URL is only a capability:
//! it travels through a device channel (a webhook, a chat message) and may
//! leak, so a decision made on the page also needs the SSO session at the
//! authority of the very person asked, and the ID token then says when they
//! authenticated (`auth_time`, OpenID Connect Core section 2), not when they
//! clicked.

use super::device::ApprovalRequest;
use super::{Approval, CibaOp, DecisionError};
use crate::{Credentials, SessionHandle};
use agent_auth::audit::{AuditAction, Outcome};

impl CibaOp {
    /// The request behind `approval_id`, when `session` is the live SSO
    /// session of the person it asks. Refusals are audited.
    pub fn approval_request_in_session(
        &self,
        approval_id: &str,
        session: Option<&SessionHandle>,
    ) -> Result<ApprovalRequest, DecisionError> {
        let request = self
            .approval_request(approval_id)
            .ok_or(DecisionError::Unknown)?;
        self.session_of(&request, session)?;
        Ok(request)
    }

    /// The person approves on the page, signed in with `session`; the ID
    /// token's `auth_time` is when they authenticated for that session.
    pub async fn approve_in_session(
        &self,
        approval_id: &str,
        session: Option<&SessionHandle>,
        approval: Approval,
    ) -> Result<(), DecisionError> {
        let request = self
            .approval_request(approval_id)
            .ok_or(DecisionError::Unknown)?;
        let auth_time = self.session_of(&request, session)?;
        self.approve(approval_id, approval.authenticated_at(auth_time))
            .await
    }

    /// The person denies on the page, signed in with `session`.
    pub async fn deny_in_session(
        &self,
        approval_id: &str,
        session: Option<&SessionHandle>,
    ) -> Result<(), DecisionError> {
        let request = self
            .approval_request(approval_id)
            .ok_or(DecisionError::Unknown)?;
        self.session_of(&request, session)?;
        self.deny(approval_id).await
    }

    /// Signs the person asked in from the approval page (with the
    /// authority's throttled credential check); credentials of anyone else
    /// open no session.
    pub fn sign_in_for_approval(
        &self,
        approval_id: &str,
        credentials: &Credentials,
    ) -> Result<SessionHandle, DecisionError> {
        let request = self
            .approval_request(approval_id)
            .ok_or(DecisionError::Unknown)?;
        let auth = self
            .authority
            .check_credentials(credentials, false)
            .map_err(DecisionError::Login)?;
        if auth.user.id != request.user_id {
            self.refused(&request, "signed in as someone else");
            return Err(DecisionError::NotSignedIn);
        }
        self.authority
            .open_session(&auth)
            .map_err(DecisionError::Login)
    }

    /// The `auth_time` of `session` when it is the asked person's live session.
    fn session_of(
        &self,
        request: &ApprovalRequest,
        session: Option<&SessionHandle>,
    ) -> Result<i64, DecisionError> {
        match session.and_then(|s| self.authority.session(s)) {
            Some(live) if live.user_id == request.user_id => Ok(live.auth_time),
            Some(_) => {
                self.refused(request, "signed in as someone else");
                Err(DecisionError::NotSignedIn)
            }
            None => {
                self.refused(request, "not signed in");
                Err(DecisionError::NotSignedIn)
            }
        }
    }

    fn refused(&self, request: &ApprovalRequest, reason: &'static str) {
        self.authority
            .audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                e.agent(request.client_id.clone())
                    .user(request.user_id.clone())
                    .reason(reason)
                    .detail("decision", "refused before deciding")
            });
    }
}
