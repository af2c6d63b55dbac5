//! The demo's timeline: one event per decision the library made, with the
//! phase, what was decided and why. Printed as text, or as JSON lines with
//! `--json`.

use serde::Serialize;
use std::collections::BTreeMap;

/// One decision of the scenario.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event {
    /// The scenario's phase (1-8).
    pub(crate) phase: u8,
    /// What was attempted.
    pub(crate) step: String,
    /// What the library decided: `allowed`, `denied`, `approved`, ...
    pub(crate) decision: String,
    /// Why, in the library's words.
    pub(crate) reason: String,
}

/// The events, printed as they come.
#[derive(Debug)]
pub(crate) struct Timeline {
    json: bool,
    events: Vec<Event>,
}

impl Timeline {
    /// A timeline printing text, or JSON lines when `json`.
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            events: Vec::new(),
        }
    }

    /// Starts phase `phase`, titled `title` (text output only).
    pub(crate) fn phase(&self, phase: u8, title: &str) {
        if !self.json {
            println!("\n== Phase {phase}: {title}");
        }
    }

    /// Records and prints one decision.
    pub(crate) fn record(
        &mut self,
        phase: u8,
        step: impl Into<String>,
        decision: impl Into<String>,
        reason: impl Into<String>,
    ) {
        let event = Event {
            phase,
            step: step.into(),
            decision: decision.into(),
            reason: reason.into(),
        };
        if self.json {
            match serde_json::to_string(&event) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("event not printable: {e}"),
            }
        } else {
            println!(
                "  [{:>8}] {}  ({})",
                event.decision, event.step, event.reason
            );
        }
        self.events.push(event);
    }

    /// Prints the summary: decisions per phase, the wiring (`http` or
    /// `in-process`) and the `requests` the loopback servers answered.
    pub(crate) fn summary(&self, over_http: bool, requests: &BTreeMap<String, usize>) {
        let mut phases: Vec<u8> = self.events.iter().map(|e| e.phase).collect();
        phases.dedup();
        let wiring = if over_http { "http" } else { "in-process" };
        if self.json {
            let summary = serde_json::json!({
                "summary": {
                    "phases": phases,
                    "events": self.events.len(),
                    "wiring": wiring,
                    "requests": requests,
                }
            });
            println!("{summary}");
            return;
        }
        println!("\n== Summary");
        for phase in phases {
            let decisions: Vec<String> = self
                .events
                .iter()
                .filter(|e| e.phase == phase)
                .map(|e| e.decision.clone())
                .collect();
            println!("  phase {phase}: {}", decisions.join(", "));
        }
        println!(
            "  wiring {wiring}: {} requests answered by the loopback servers",
            requests.values().sum::<usize>()
        );
    }
}
