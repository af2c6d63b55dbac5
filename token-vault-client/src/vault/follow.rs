//! Following the reference authority's events (feature `authority`).

use super::Vault;
use agent_auth::audit::{AuditAction, Outcome};

impl Vault {
    /// Follows the authority's events: `UserLoggedOut` wipes the user's
    /// credentials in `tenant` (universal logout).
    pub fn follow_logout(
        &self,
        authority: &agent_auth::authority::Authority,
        tenant: impl Into<String>,
    ) -> tokio::task::JoinHandle<()> {
        use agent_auth::authority::AuthorityEvent;
        use tokio::sync::broadcast::error::RecvError;
        let mut events = authority.subscribe();
        let vault = self.clone();
        let tenant = tenant.into();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(AuthorityEvent::UserLoggedOut { user_id, .. }) => {
                        let _ = vault.wipe_user(&tenant, &user_id);
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
