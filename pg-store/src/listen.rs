//! `LISTEN` on a dedicated connection of the pool's runtime, for caches that other
//! instances' writes must invalidate (PostgreSQL `NOTIFY` is delivered to every
//! listening session when the notifying transaction commits).

use crate::{Identifier, PgPool};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::AsyncMessage;

/// Pause before listening again after the connection was lost.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// What a listener hears.
pub trait Listener: Send + Sync + 'static {
    /// The connection listens (again). Notifications sent before may have been
    /// missed: a cache starts afresh here.
    fn listening(&self);
    /// A notification on the channel, with its payload.
    fn notified(&self, payload: &str);
    /// The connection was lost: notifications are missed until the next
    /// [`listening`](Self::listening).
    fn lost(&self);
}

/// Listens while it lives; dropping it stops listening and closes the connection.
#[derive(Debug)]
pub struct ListenGuard {
    task: tokio::task::AbortHandle,
}

impl Drop for ListenGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PgPool {
    /// Listens on `channel` on a connection of its own (not one of the pool's),
    /// reconnecting after a loss; `listener` hears when it listens, what is
    /// notified and when the connection is lost.
    pub fn listen(&self, channel: &Identifier, listener: Arc<dyn Listener>) -> ListenGuard {
        let config = self.inner.config.clone();
        let statement = format!("LISTEN {}", channel.quoted());
        let task = self.inner.handle.spawn(async move {
            loop {
                if let Ok((client, mut connection)) = config.connect(tokio_postgres::NoTls).await {
                    let heard = Arc::clone(&listener);
                    let mut messages =
                        futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                    let driver = tokio::spawn(async move {
                        while let Some(Ok(message)) = messages.next().await {
                            if let AsyncMessage::Notification(n) = message {
                                heard.notified(n.payload());
                            }
                        }
                    });
                    match client.batch_execute(&statement).await {
                        Ok(()) => {
                            listener.listening();
                            // Until the connection ends.
                            let _ = driver.await;
                        }
                        Err(_) => driver.abort(),
                    }
                    drop(client);
                    listener.lost();
                }
                tokio::time::sleep(RECONNECT_PAUSE).await;
            }
        });
        ListenGuard {
            task: task.abort_handle(),
        }
    }
}
