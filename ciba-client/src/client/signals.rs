//! Cancelling the approvals a user was asked for when the user's access
//! ends, and the client as a subscriber of `agent_auth::signals`.

use super::{CibaClient, CibaError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::signals::{Signal, SignalSubscriber};
use std::sync::PoisonError;

impl CibaClient {
    /// Stops waiting for every pending request whose hint names `user`: each
    /// is removed from the store, and its [`wait`](super::PendingApproval::wait)
    /// ends with [`ApprovalOutcome::Cancelled`](super::ApprovalOutcome::Cancelled),
    /// so no approval the user gives later is used. Returns how many were
    /// cancelled; each is audited.
    pub fn cancel_for_user(&self, user: &str) -> Result<usize, CibaError> {
        let records = self.inner.store.list().map_err(CibaError::Store)?;
        let mut cancelled = 0;
        for record in records.iter().filter(|r| r.user.as_deref() == Some(user)) {
            let key = record.key();
            self.inner.store.remove(&key).map_err(CibaError::Store)?;
            let waiter = self
                .inner
                .waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned();
            if let Some(waiter) = waiter {
                waiter.cancelled.send_replace(true);
            }
            self.record(
                AuditAction::ApprovalDecided,
                Outcome::Denied,
                Some(user),
                |ev| ev.reason("cancelled").detail("request", key.clone()),
            );
            cancelled += 1;
        }
        Ok(cancelled)
    }
}

/// Cancels the pending approvals of a user whose access ended, for signals
/// about users of the OP this client asks.
///
/// ```
/// # fn demo(client: ciba_client::CibaClient, receiver: agent_auth::signals::SetReceiver) {
/// use ciba_client::CibaSignals;
/// use std::sync::Arc;
/// receiver.subscribe(Arc::new(CibaSignals::new(client)));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CibaSignals {
    client: CibaClient,
}

impl CibaSignals {
    /// Signals about users of `client`'s OP cancel their pending requests.
    pub fn new(client: CibaClient) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl SignalSubscriber for CibaSignals {
    async fn on_signal(&self, signal: &Signal) {
        if !signal.ends_access() {
            return;
        }
        let issuer = &self.client.inner.endpoints.issuer;
        if let Some(user) = signal.user_at(issuer)
            && let Err(e) = self.client.cancel_for_user(user)
        {
            tracing::warn!(error = %e, "pending approvals could not be cancelled");
        }
    }
}
