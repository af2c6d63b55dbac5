//! Who reacts to signals: a guard refusing tokens, a vault wiping
//! credentials, a CIBA client cancelling approvals, a login client ending
//! sessions, exchange caches dropping tokens.

use super::Signal;

/// Reacts to verified signals. Called once per signal, in the order the
/// receiver accepted them; a subscriber handles (and audits) its own
/// failures, since the signal was accepted whatever it does.
///
/// ```
/// use agent_auth::signals::{Signal, SignalSubscriber};
/// #[derive(Debug)]
/// struct Log;
/// #[agent_auth::async_trait]
/// impl SignalSubscriber for Log {
///     async fn on_signal(&self, signal: &Signal) {
///         println!("{} about {:?}", signal.kind().name(), signal.subject());
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait SignalSubscriber: Send + Sync + std::fmt::Debug {
    /// Handles one signal.
    async fn on_signal(&self, signal: &Signal);
}
