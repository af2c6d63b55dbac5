//! Following an authority's events in process (any `EventSource`, such as
//! the reference authority).

use super::Vault;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::events::{AuthorityEvent, EventSource};

impl Vault {
    /// Follows an authority's events: `UserLoggedOut` wipes the user's
    /// credentials in `tenant` (universal logout).
    pub fn follow_logout(
        &self,
        source: &dyn EventSource,
        tenant: impl Into<String>,
    ) -> tokio::task::JoinHandle<()> {
        use tokio::sync::broadcast::error::RecvError;
        let mut events = source.subscribe();
        let vault = self.clone();
        let tenant = tenant.into();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(AuthorityEvent::UserLoggedOut { user_id, .. }) => {
                        let _ = vault.wipe_user(&tenant, &user_id).await;
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        vault.audit_event(AuditAction::Logout, Outcome::Error, |e| {
                            e.reason("events_lagged").detail("missed", n)
                        });
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
