//! Where audit events go.

use super::AuditEvent;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// Receives audit events. Implementations must not block for long: they are
/// called on the request path.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Records one event.
    fn record(&self, event: &AuditEvent);

    /// Whether events are recorded at all; `false` lets callers on hot paths
    /// skip building them (default `true`).
    fn enabled(&self) -> bool {
        true
    }
}

/// A shared sink handle.
pub type SharedSink = Arc<dyn AuditSink>;

/// Discards events.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopSink;

impl AuditSink for NoopSink {
    fn enabled(&self) -> bool {
        false
    }

    fn record(&self, _event: &AuditEvent) {}
}

/// Keeps events in memory, for tests and for small embedded deployments.
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every event recorded so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
    }
}

/// Writes one JSON object per line to any writer (a file, stdout).
#[derive(Debug)]
pub struct JsonLinesSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<W: Write + Send + std::fmt::Debug> AuditSink for JsonLinesSink<W> {
    fn record(&self, event: &AuditEvent) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // An audit sink that cannot write must not take the request down with it;
        // the failure is reported through tracing instead.
        let written = serde_json::to_writer(&mut *out, event)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if let Err(error) = written {
            tracing::error!(%error, "audit sink could not write an event");
        }
    }
}

/// Sends every event to several sinks.
#[derive(Debug, Default, Clone)]
pub struct FanoutSink {
    sinks: Vec<SharedSink>,
}

impl FanoutSink {
    /// A fan-out over `sinks`.
    pub fn new(sinks: Vec<SharedSink>) -> Self {
        Self { sinks }
    }
}

impl AuditSink for FanoutSink {
    fn record(&self, event: &AuditEvent) {
        for sink in &self.sinks {
            sink.record(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditAction, Outcome};

    fn event() -> AuditEvent {
        AuditEvent::new(1_700_000_000, AuditAction::TokenIssued, Outcome::Success)
            .agent("sales-agent-prod-001")
            .user("sarah")
            .detail("scope", "crm:read")
    }

    #[test]
    fn json_lines_sink_writes_one_object_per_line() {
        let sink = JsonLinesSink::new(Vec::new());
        sink.record(&event());
        sink.record(&event().reason("expired"));
        let text = String::from_utf8(sink.into_inner()).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["action"], "token_issued");
        assert_eq!(first["agent"], "sales-agent-prod-001");
        assert_eq!(first["user"], "sarah");
        assert_eq!(first["details"]["scope"], "crm:read");
        assert!(first.get("reason").is_none());
        let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["reason"], "expired");
    }

    #[test]
    fn memory_and_fanout_sinks_keep_order() {
        let a = MemorySink::new();
        let b = MemorySink::new();
        let fan = FanoutSink::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]);
        fan.record(&event());
        fan.record(&AuditEvent::new(
            1,
            AuditAction::Other("x".into()),
            Outcome::Denied,
        ));
        assert_eq!(a.events().len(), 2);
        assert_eq!(b.events()[1].action, AuditAction::Other("x".into()));
        assert_eq!(b.events()[0], event());
    }
}
