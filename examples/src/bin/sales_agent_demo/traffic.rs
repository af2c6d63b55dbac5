//! What crossed the wire: each loopback server counts the requests it
//! answered, by method and path, so a run shows which calls went over HTTP.

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The requests the demo's servers answered, keyed `server METHOD path`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traffic {
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl Traffic {
    /// `router`, counting its requests as `server`'s.
    pub(crate) fn count(&self, server: &'static str, router: Router) -> Router {
        let seen = Arc::clone(&self.seen);
        router.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let key = format!("{server} {} {}", request.method(), request.uri().path());
                if let Ok(mut seen) = seen.lock() {
                    *seen.entry(key).or_default() += 1;
                }
                next.run(request)
            },
        ))
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> BTreeMap<String, usize> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
