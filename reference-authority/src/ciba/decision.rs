//! The person's decision: approve (possibly narrower than asked) or deny.
//! Each decision is audited and delivered to ping and push clients.

use super::device::ApprovalRequest;
use super::record::{self, RequestRecord, State};
use super::{CibaOp, paths};
use crate::StoreError;
use agent_auth::audit::{AuditAction, Outcome};
use ciba_client::details::AuthorizationDetails;

/// What the person approves. By default everything asked for; narrower scope
/// or details may be approved, never wider.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    scope: Option<Vec<String>>,
    details: Option<AuthorizationDetails>,
    auth_time: Option<i64>,
}

impl Approval {
    /// Approves exactly what was asked.
    pub fn all() -> Self {
        Self::default()
    }

    /// Approves only these scopes (each must have been asked for).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scope = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// When the person authenticated to make this decision: the ID token's
    /// `auth_time`. Without it the ID token carries none (the OP does not
    /// know when the person authenticated; the decision time is not it).
    #[must_use]
    pub fn authenticated_at(mut self, time: i64) -> Self {
        self.auth_time = Some(time);
        self
    }

    /// Approves only these authorization details (each must have been asked for).
    #[must_use]
    pub fn details(mut self, details: AuthorizationDetails) -> Self {
        self.details = Some(details);
        self
    }
}

/// Why a decision was refused. A refused decision changes nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// No request has this approval id.
    #[error("no request with this approval id")]
    Unknown,
    /// The request was already decided.
    #[error("the request was already decided")]
    AlreadyDecided,
    /// The request expired before the decision.
    #[error("the request expired")]
    Expired,
    /// The approval names scope or details that were not asked for.
    #[error("the approval exceeds what was asked")]
    ExceedsRequest,
    /// The decision needs the SSO session of the person asked (the approval
    /// page signs them in first).
    #[error("sign in as the person asked first")]
    NotSignedIn,
    /// Signing in on the approval page failed.
    #[error("{0}")]
    Login(crate::LoginError),
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

enum Outcome2 {
    Done(RequestRecord),
    Refused(DecisionError),
    Expired(RequestRecord),
}

impl CibaOp {
    /// The request behind an approval id, while it can still be decided.
    pub fn approval_request(&self, approval_id: &str) -> Option<ApprovalRequest> {
        let store = self.authority.store().as_ref();
        let key: String = record::get(store, record::APPROVALS, approval_id).ok()??;
        let rec: RequestRecord = record::get(store, record::REQUESTS, &key).ok()??;
        (rec.state == State::Pending && self.authority.now() < rec.expires).then(|| {
            ApprovalRequest {
                approval_id: approval_id.to_owned(),
                user_id: rec.user_id.clone(),
                client_id: rec.client_id.clone(),
                binding_message: rec.binding_message.clone(),
                scope: rec.scope.clone(),
                authorization_details: rec.details.clone(),
                expires_at: rec.expires,
                approval_url: Some(format!(
                    "{}/{}",
                    self.authority.endpoint(paths::APPROVE),
                    approval_id
                )),
            }
        })
    }

    /// The person approves the request.
    pub async fn approve(
        &self,
        approval_id: &str,
        approval: Approval,
    ) -> Result<(), DecisionError> {
        let approved = approval
            .details
            .as_ref()
            .map(AuthorizationDetails::to_value);
        let rec = self.decide(approval_id, |rec, now| {
            let scope = match &approval.scope {
                None => rec.scope.clone(),
                Some(s) if s.iter().all(|x| rec.scope.contains(x)) => s.clone(),
                Some(_) => return Err(DecisionError::ExceedsRequest),
            };
            let details = match (&approved, &rec.details) {
                (None, asked) => asked.clone(),
                (Some(a), Some(asked)) => {
                    let within = a.as_array().is_some_and(|items| {
                        items
                            .iter()
                            .all(|i| asked.as_array().is_some_and(|x| x.contains(i)))
                    });
                    if !within {
                        return Err(DecisionError::ExceedsRequest);
                    }
                    Some(a.clone())
                }
                (Some(_), None) => return Err(DecisionError::ExceedsRequest),
            };
            Ok(State::Approved {
                scope,
                details,
                decided: now,
                auth_time: approval.auth_time,
            })
        })?;
        self.authority
            .audit(AuditAction::ApprovalDecided, Outcome::Success, |e| {
                let e = e
                    .agent(rec.client_id.clone())
                    .user(rec.user_id.clone())
                    .detail("binding_message", rec.binding_message.clone());
                match &rec.state {
                    State::Approved { scope, details, .. } => e
                        .detail("scope", scope.join(" "))
                        .detail("authorization_details", details.clone()),
                    _ => e,
                }
            });
        self.deliver(rec).await;
        Ok(())
    }

    /// The person denies the request.
    pub async fn deny(&self, approval_id: &str) -> Result<(), DecisionError> {
        let rec = self.decide(approval_id, |_, now| Ok(State::Denied { decided: now }))?;
        self.authority
            .audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                e.agent(rec.client_id.clone())
                    .user(rec.user_id.clone())
                    .reason("denied by the user")
                    .detail("binding_message", rec.binding_message.clone())
            });
        self.deliver(rec).await;
        Ok(())
    }

    fn decide(
        &self,
        approval_id: &str,
        next: impl Fn(&RequestRecord, i64) -> Result<State, DecisionError>,
    ) -> Result<RequestRecord, DecisionError> {
        let store = self.authority.store().as_ref();
        let key: String =
            record::get(store, record::APPROVALS, approval_id)?.ok_or(DecisionError::Unknown)?;
        let now = self.authority.now();
        let out =
            record::update::<RequestRecord, Outcome2>(store, record::REQUESTS, &key, |cur| {
                let Some(mut rec) = cur else {
                    return (None, Outcome2::Refused(DecisionError::Unknown));
                };
                if rec.state != State::Pending {
                    return (None, Outcome2::Refused(DecisionError::AlreadyDecided));
                }
                if now >= rec.expires {
                    rec.state = State::Expired;
                    return (Some(rec.clone()), Outcome2::Expired(rec));
                }
                match next(&rec, now) {
                    Ok(state) => {
                        rec.state = state;
                        (Some(rec.clone()), Outcome2::Done(rec))
                    }
                    Err(e) => (None, Outcome2::Refused(e)),
                }
            })?;
        match out {
            Outcome2::Done(rec) => Ok(rec),
            Outcome2::Refused(e) => Err(e),
            Outcome2::Expired(rec) => {
                super::grant::audit_expired(&self.authority, &rec);
                Err(DecisionError::Expired)
            }
        }
    }
}
