//! Threat detection: per-agent (and per-user) behavioural baselines learned
//! from the unified audit stream, one detector per rule, a decaying risk
//! level per subject, and responses by policy.
//!
//! - [`Detector`]: scores each [`AuditEvent`](agent_auth::audit::AuditEvent);
//!   an [`AuditSink`](agent_auth::audit::AuditSink), and fed by the audit log
//!   for every appended event (in process and over the ingestion endpoint);
//! - `detectors`: the rules (volume spike, first-seen resource type, failure
//!   burst, off-hours, new network, scope escalation, token replay, use
//!   after revocation, fan-out), each documented in its file;
//! - [`RiskLevel`], [`RiskChange`]: LOW / MEDIUM / HIGH, decaying;
//! - the [`Detector`] is an [`agent_auth::risk::RiskProvider`]: a guard in
//!   the same process reads the level directly;
//! - `Responder` and `RiskSource` (feature `server`): what a change does
//!   (audit, CAEP `risk-level-change`, notify, approval, block, logout,
//!   rotation) and the level as an AuthZEN decision source.
//!
//! See `docs/detection.md` for each rule, its parameters and its measured quality.

mod baseline;
mod config;
mod detector;
mod detectors;
mod engine;
mod finding;
mod observation;
#[cfg(feature = "server")]
mod pdp;
mod provider;
#[cfg(feature = "server")]
mod response;
mod risk;
mod window;

pub use baseline::BaselineSummary;
pub use config::DetectionConfig;
pub use detector::Detector;
pub use engine::Assessment;
pub use finding::{DetectorKind, Finding, Subject};
pub use observation::resource_type;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use pdp::RiskSource;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use response::{Action, Responder, ResponsePolicy, ResponseReport};
pub use risk::{RiskChange, RiskLevel, RiskState};
