//! Telling people something: the [`Notifier`] trait, with an in-memory
//! [`RecordingNotifier`] (tests, consoles) and a [`WebhookNotifier`] that
//! posts JSON over the OAuth core's [`HttpClient`](agent_auth::oauth::HttpClient)
//! (feature `http`).
//!
//! The registry tells owners when the authority suspends their agent; access
//! reviews remind reviewers through the same trait.

mod notification;
mod recorder;
#[cfg(feature = "http")]
mod webhook;

pub use notification::{Notification, NotifyError};
pub use recorder::RecordingNotifier;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use webhook::WebhookNotifier;

/// Delivers notifications. A test double is a [`RecordingNotifier`].
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Delivers one notification (to every recipient it names).
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError>;
}
