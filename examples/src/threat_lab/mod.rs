//! The threat lab: seeded, labelled agent activity (N agents x D days of
//! normal work with weekly cycles, holidays and new but legitimate records,
//! plus planted attacks, one kind per detector) fed to the detector, and
//! its recall, precision and false-alert rate per scenario.
//!
//! ```
//! use examples::threat_lab::{LabConfig, run};
//! let result = run(&LabConfig { agents: 20, days: 20, seed: 7 });
//! assert_eq!(result.scenarios.len(), 9);
//! ```

mod evaluate;
mod generate;
mod rng;
mod scenario;

pub use evaluate::{LabResult, ScenarioScore, run};
pub use scenario::Scenario;

/// The size of a lab run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabConfig {
    /// How many agents.
    pub agents: usize,
    /// How many days each.
    pub days: i64,
    /// The seed of every random choice.
    pub seed: u64,
}

impl Default for LabConfig {
    fn default() -> Self {
        Self {
            agents: 200,
            days: 30,
            seed: 2026,
        }
    }
}
