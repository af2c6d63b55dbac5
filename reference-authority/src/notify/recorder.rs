//! A notifier that keeps what it is given, for tests and consoles.

use super::{Notification, Notifier, NotifyError};
use std::sync::{Arc, Mutex, PoisonError};

/// Records notifications in memory. Clones share the record.
///
/// ```
/// use reference_authority::notify::{Notification, Notifier, RecordingNotifier};
///
/// # tokio_test_block(async {
/// let recorder = RecordingNotifier::new();
/// recorder.notify(&Notification::new("hello", vec!["sarah".into()], "Hi", 0)).await?;
/// assert_eq!(recorder.take().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f).unwrap()
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordingNotifier {
    sent: Arc<Mutex<Vec<Notification>>>,
}

impl RecordingNotifier {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// What was delivered so far.
    pub fn sent(&self) -> Vec<Notification> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What was delivered so far, emptying the record.
    pub fn take(&self) -> Vec<Notification> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait::async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(notification.clone());
        Ok(())
    }
}
