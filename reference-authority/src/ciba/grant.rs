//! The `urn:openid:params:grant-type:ciba` grant at the token endpoint
//! (CIBA Core 1.0 sections 10.1 and 11).

use super::Shared;
use super::record::{self, RequestRecord, State};
use crate::provider::crypto::handle_key as digest;
use crate::{
    AuthenticatedClient, Authority, ErrorCode, GrantFacts, GrantHandler, IssueOptions, OAuthError,
    Params, TokenResponse,
};
use agent_auth::audit::{AuditAction, Outcome};
use ciba_client::{AUTH_REQ_ID_CLAIM, DeliveryMode, SLOW_DOWN_STEP};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The CIBA grant handler, registered by [`CibaOp::install`](super::CibaOp::install).
#[derive(Debug)]
pub(crate) struct CibaGrant {
    #[allow(dead_code, reason = "kept for settings the grant may need")]
    pub(crate) shared: Arc<Shared>,
}

fn code(code: &'static str, description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::Extension(code.into()), description)
}

enum Step {
    Refuse(OAuthError),
    Expired(RequestRecord),
    Issue(RequestRecord, Vec<String>, Option<Value>, Option<i64>),
}

#[async_trait::async_trait]
impl GrantHandler for CibaGrant {
    fn grant_type(&self) -> &str {
        super::grant_type()
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let id = params.require("auth_req_id")?;
        let key = digest(id);
        let now = authority.now();
        let client_id = client.id().to_owned();
        let step = record::update::<RequestRecord, Step>(
            authority.store().as_ref(),
            record::REQUESTS,
            &key,
            |current| {
                let Some(mut rec) = current else {
                    return (
                        None,
                        Step::Refuse(OAuthError::invalid_grant("unknown auth_req_id")),
                    );
                };
                if rec.client_id != client_id {
                    // CIBA Core 1.0 section 11: issued to another client.
                    return (
                        None,
                        Step::Refuse(OAuthError::invalid_grant("unknown auth_req_id")),
                    );
                }
                if rec.mode == DeliveryMode::Push {
                    // CIBA Core 1.0 section 10.3: push clients receive tokens, never fetch them.
                    return (
                        None,
                        Step::Refuse(OAuthError::unauthorized_client(
                            "the client is registered for push delivery",
                        )),
                    );
                }
                match &rec.state {
                    State::Issued => {
                        return (
                            None,
                            Step::Refuse(OAuthError::invalid_grant("auth_req_id was already used")),
                        );
                    }
                    State::Expired => {
                        return (
                            None,
                            Step::Refuse(code("expired_token", "the request expired")),
                        );
                    }
                    State::Denied { .. } => {
                        return (
                            None,
                            Step::Refuse(OAuthError::new(
                                ErrorCode::AccessDenied,
                                "the user denied the request",
                            )),
                        );
                    }
                    _ => {}
                }
                if now >= rec.expires {
                    rec.state = State::Expired;
                    return (Some(rec.clone()), Step::Expired(rec));
                }
                match rec.state.clone() {
                    State::Approved {
                        scope,
                        details,
                        auth_time,
                        ..
                    } => {
                        rec.state = State::Issued;
                        (
                            Some(rec.clone()),
                            Step::Issue(rec, scope, details, auth_time),
                        )
                    }
                    _ => {
                        // CIBA Core 1.0 section 11 and RFC 8628 section 3.5.
                        let too_fast = rec.mode == DeliveryMode::Poll
                            && rec.last_poll.is_some_and(|t| now - t < rec.interval);
                        rec.last_poll = Some(now);
                        if too_fast {
                            rec.interval += SLOW_DOWN_STEP as i64;
                            (
                                Some(rec),
                                Step::Refuse(code("slow_down", "polling too fast")),
                            )
                        } else {
                            (
                                Some(rec),
                                Step::Refuse(code(
                                    "authorization_pending",
                                    "the user has not decided yet",
                                )),
                            )
                        }
                    }
                }
            },
        )?;
        match step {
            Step::Refuse(e) => Err(e),
            Step::Expired(rec) => {
                audit_expired(authority, &rec);
                Err(code("expired_token", "the request expired"))
            }
            Step::Issue(rec, scope, details, auth_time) => {
                issue(authority, &rec, scope, details, auth_time, None)
            }
        }
    }
}

pub(crate) fn audit_expired(authority: &Authority, rec: &RequestRecord) {
    authority.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
        e.agent(rec.client_id.clone())
            .user(rec.user_id.clone())
            .reason("expired")
            .detail("binding_message", rec.binding_message.clone())
    });
}

/// Issues the tokens of an approved request: exactly the approved scope and
/// authorization details. `push_id` puts the CIBA push claims in the ID token.
pub(crate) fn issue(
    authority: &Authority,
    rec: &RequestRecord,
    scope: Vec<String>,
    details: Option<Value>,
    auth_time: Option<i64>,
    push_id: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let facts = GrantFacts {
        client_id: rec.client_id.clone(),
        user_id: Some(rec.user_id.clone()),
        scope: scope.clone(),
        auth_time,
        ..GrantFacts::default()
    };
    let mut access_claims = Map::new();
    if let Some(d) = &details {
        // RFC 9396 section 9.1: the token carries the granted details.
        access_claims.insert("authorization_details".into(), d.clone());
    }
    let mut id_token_claims = Map::new();
    if let Some(id) = push_id {
        id_token_claims.insert(AUTH_REQ_ID_CLAIM.into(), id.into());
    }
    let mut response = authority.issue(
        &facts,
        IssueOptions {
            id_token: true,
            refresh_token: scope.iter().any(|s| s == "offline_access"),
            access_claims,
            id_token_claims,
            refresh_token_hash: push_id.is_some(),
            ..IssueOptions::default()
        },
    )?;
    if let Some(d) = details {
        // RFC 9396 section 7: the token response names the granted details.
        response.extra.insert("authorization_details".into(), d);
    }
    response.scope = Some(scope.join(" "));
    Ok(response)
}
