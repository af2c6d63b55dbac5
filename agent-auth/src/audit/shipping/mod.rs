//! Shipping audit events to the authority's audit log (feature `audit-shipping`).
//!
//! A [`ShippingSink`] is the component's [`AuditSink`]: each event gets an id
//! if it has none, goes to a journal on disk and is synced before `record`
//! returns. A [`Shipper`] sends the journal in batches to the authority's
//! ingestion endpoint, with an access token from the client credentials grant
//! (RFC 6749 section 4.4) through the OAuth core, and moves the journal's
//! cursor once the authority has acknowledged a batch. While the authority is
//! unreachable the journal grows; after a restart or a crash the events past
//! the cursor are sent again and the authority, deduplicating by event id,
//! records each once.
//!
//! In process (a component embedded in the authority), no shipping is needed:
//! the authority's audit log is itself an [`AuditSink`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use agent_auth::audit::shipping::{Shipper, ShippingSink};
//! use agent_auth::oauth::{ClientAuth, TokenEndpoint};
//!
//! let token = TokenEndpoint::new(
//!     "https://authority.example/token",
//!     ClientAuth::basic("mcp-guard-crm", "its secret"),
//! )?;
//! let (sink, shipper) = ShippingSink::open(
//!     "/var/lib/mcp-guard/audit".as_ref(),
//!     Shipper::builder("https://authority.example/audit-log/events", token),
//! )?;
//! tokio::spawn(shipper.run());
//! // Give `sink` to the component as its audit sink.
//! # let _ = sink; Ok(()) }
//! ```

mod journal;
mod shipper;

pub use shipper::{AUDIT_WRITE_SCOPE, ShipError, Shipper, ShipperBuilder};

use super::{AuditEvent, AuditSink};
use journal::Journal;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Notify;

/// An [`AuditSink`] that journals events to disk for a [`Shipper`].
#[derive(Debug, Clone)]
pub struct ShippingSink {
    journal: Arc<Journal>,
    wake: Arc<Notify>,
}

impl ShippingSink {
    /// Opens the journal in `dir` (created if needed; a torn last line from
    /// a crash is cut off) and builds the shipper that empties it.
    pub fn open(dir: &Path, shipper: ShipperBuilder) -> Result<(Self, Shipper), ShipError> {
        let journal = Arc::new(Journal::open(dir).map_err(ShipError::journal)?);
        let wake = Arc::new(Notify::new());
        let sink = Self {
            journal: Arc::clone(&journal),
            wake: Arc::clone(&wake),
        };
        Ok((sink, shipper.build(journal, wake)))
    }

    /// Journals `event` durably; the error is returned (the [`AuditSink`]
    /// impl logs it instead). An event without an id is given a random one.
    pub fn try_record(&self, event: &AuditEvent) -> Result<(), ShipError> {
        let line = if event.id.is_some() {
            serde_json::to_vec(event)
        } else {
            let mut with_id = event.clone();
            with_id.id = Some(random_id()?);
            serde_json::to_vec(&with_id)
        }
        .map_err(|_| ShipError::Encoding)?;
        self.journal.append(&line).map_err(ShipError::journal)?;
        self.wake.notify_one();
        Ok(())
    }
}

impl AuditSink for ShippingSink {
    fn record(&self, event: &AuditEvent) {
        if let Err(error) = self.try_record(event) {
            tracing::error!(%error, "audit event could not be journaled");
        }
    }
}

/// 128 random bits, hex.
fn random_id() -> Result<String, ShipError> {
    use std::fmt::Write;
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ShipError::Randomness)?;
    let mut id = String::with_capacity(32);
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    Ok(id)
}
