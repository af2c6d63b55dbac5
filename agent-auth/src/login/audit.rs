//! The relying party's audit events: one per sign-in and one per token
//! request, in the workspace's one event model. Identifiers and failed checks
//! only: never a code, a token or a secret.

use super::{ClientError, LoginClient, LoginSession};
use crate::audit::{AuditAction, AuditEvent, Outcome};
use crate::oauth::Form;
use crate::oauth::token_audit::{Answer, Granted, token_request_event};

impl ClientError {
    /// A short name of the failure's kind, for audit reasons.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transport(_) | Self::Http(_) => "transport",
            Self::Discovery(_) => "discovery",
            Self::Provider { .. } => "provider_error",
            Self::Response(_) => "authorization_response",
            Self::IdToken(_) => "id_token",
            Self::UserInfo(_) => "userinfo",
            Self::Session(_) => "session",
            Self::Config(_) => "configuration",
        }
    }
}

impl LoginClient {
    /// Records one sign-in: the user, `acr` and `amr` when it succeeded; the
    /// failed check (OpenID Connect Core 3.1.3.7, RFC 9207) when it did not.
    pub(super) fn record_sign_in(&self, result: &Result<LoginSession, ClientError>) {
        let Some(sink) = self.audit.as_ref().filter(|s| s.enabled()) else {
            return;
        };
        let now = self.clock.now();
        let event = match result {
            Ok(session) => {
                let mut event = AuditEvent::new(now, AuditAction::Authentication, Outcome::Success)
                    .user(session.subject.as_str());
                for claim in ["acr", "amr", "auth_time"] {
                    if let Some(value) = session.claims.get(claim) {
                        event = event.detail(claim, value);
                    }
                }
                if let Some(jti) = &session.claims.jti {
                    event = event.token_jti(jti.as_str());
                }
                event
            }
            Err(e) => AuditEvent::new(now, AuditAction::Authentication, Outcome::Denied)
                .reason(e.to_string())
                .detail("failed_check", e.kind()),
        };
        sink.record(
            &event
                .agent(self.config.client_id.as_str())
                .issuer(self.metadata.issuer.as_str()),
        );
    }

    /// Records one token request and its answer.
    pub(super) fn record_token_request(
        &self,
        params: &Form,
        result: &Result<super::TokenSet, ClientError>,
    ) {
        let Some(sink) = self.audit.as_ref().filter(|s| s.enabled()) else {
            return;
        };
        let answer = match result {
            Ok(tokens) => Answer::Granted(Granted {
                scope: tokens.scope.as_deref(),
                token_type: &tokens.token_type,
                expires_in: tokens
                    .expires_at
                    .map(|at| at.saturating_sub(self.clock.now())),
            }),
            Err(ClientError::Provider { code, .. }) => Answer::Refused(code),
            Err(e) => Answer::Failed(e.kind()),
        };
        sink.record(
            &token_request_event(
                self.clock.now(),
                &self.config.client_id,
                &self.token_endpoint,
                params,
                answer,
            )
            .issuer(self.metadata.issuer.as_str()),
        );
    }
}
