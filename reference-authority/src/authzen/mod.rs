//! An OpenID AuthZEN Authorization API 1.0 policy decision point (PDP).
//!
//! A [`Pdp`] answers access questions from the [`DecisionSource`]s it is
//! built with (FGA relations, request context rules, or any source of your
//! own) and audits every decision. It runs embedded (it is an
//! [`agent_auth::authzen::DecisionPoint`]) and, with the `server` feature,
//! over HTTP through [`router`](http::router): Access Evaluation, Access
//! Evaluations, the three Search APIs and the metadata document.
//!
//! Sources are combined deny-overrides: one deny (or one failing source)
//! denies, otherwise one permit permits, otherwise the answer is deny.
//!
//! ```
//! use agent_auth::authzen::{Action, EvaluationRequest, Resource, Subject};
//! use reference_authority::authzen::{DecisionSource, Pdp, SourceError, Verdict};
//!
//! #[derive(Debug)]
//! struct ReadersMayRead;
//!
//! #[reference_authority::async_trait]
//! impl DecisionSource for ReadersMayRead {
//!     fn name(&self) -> &str { "readers" }
//!     async fn decide(&self, request: &EvaluationRequest, _now: i64) -> Result<Verdict, SourceError> {
//!         Ok(if request.action.name == "read" {
//!             Verdict::Permit("reading is open".into())
//!         } else {
//!             Verdict::Abstain
//!         })
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let pdp = Pdp::builder("https://pdp.example").source(ReadersMayRead).build();
//! let read = EvaluationRequest::new(Subject::new("user", "alice"), Action::new("read"), Resource::new("doc", "1"));
//! assert!(pdp.evaluate(&read).await.decision);
//! let write = EvaluationRequest { action: Action::new("write"), ..read };
//! assert!(!pdp.evaluate(&write).await.decision);
//! # });
//! # Ok::<(), std::io::Error>(())
//! ```

mod audit;
mod batch;
mod combine;
mod directory;
mod pdp;
mod search;
mod source;
pub mod sources;

#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod http;

pub use directory::EntityDirectory;
pub use pdp::{Pdp, PdpBuilder};
pub use search::MAX_PAGE;
pub use source::{DecisionSource, SourceError, Verdict};
