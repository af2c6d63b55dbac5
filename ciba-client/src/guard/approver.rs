//! Who asks the person: any [`Approver`]; [`CibaApprover`] asks over CIBA.

use super::ApprovalAsk;
use crate::client::{ApprovalOutcome, AuthenticationRequest, CibaClient, Hint};

/// Asks a person to approve and waits for the outcome.
#[async_trait::async_trait]
pub trait Approver: Send + Sync {
    /// Asks, and waits without blocking.
    async fn approve(&self, ask: ApprovalAsk) -> ApprovalOutcome;
}

/// Asks the person named by `hint` through a [`CibaClient`].
#[derive(Debug, Clone)]
pub struct CibaApprover {
    client: CibaClient,
    hint: Hint,
    requested_expiry: Option<u64>,
}

impl CibaApprover {
    /// An approver asking the person named by `hint`.
    pub fn new(client: CibaClient, hint: Hint) -> Self {
        Self {
            client,
            hint,
            requested_expiry: None,
        }
    }

    /// How long the person has to decide, in seconds.
    #[must_use]
    pub fn requested_expiry(mut self, seconds: u64) -> Self {
        self.requested_expiry = Some(seconds);
        self
    }
}

#[async_trait::async_trait]
impl Approver for CibaApprover {
    async fn approve(&self, ask: ApprovalAsk) -> ApprovalOutcome {
        let mut request = AuthenticationRequest::new(self.hint.clone())
            .scope(ask.scope)
            .binding_message(ask.binding_message);
        if let Some(d) = ask.authorization_details {
            request = request.authorization_details(d);
        }
        if let Some(e) = self.requested_expiry {
            request = request.requested_expiry(e);
        }
        match self.client.start(request).await {
            Ok(pending) => pending.wait().await,
            Err(e) => ApprovalOutcome::Failed(e),
        }
    }
}
