//! The deprovisioning cascade: offboarding an agent removes every kind of
//! access it has and leaves a tombstone with the evidence (what was removed,
//! what failed, what could not be revoked at its source). Partial failure is
//! recorded; a retry runs the unsettled steps only.
//!
//! - `offboard`: [`Governance::offboard`], the attempt loop;
//! - `steps`: one function per kind of access;
//! - `evidence`: steps, outcomes, attempts, the tombstone;
//! - `tombstones`: storage;
//! - `error`: why an offboarding could not start.

mod error;
mod evidence;
mod offboard;
mod steps;
mod tombstones;

pub use error::CascadeError;
pub use evidence::{Attempt, ProviderRevocation, RevocationResult, Step, StepOutcome, Tombstone};
pub use offboard::Retire;
