//! The [`Pdp`] value: sources, clock, audit sink and search directory.

use super::audit::decision_event;
use super::combine::{Outcome, combine};
use super::directory::EntityDirectory;
use super::source::DecisionSource;
use agent_auth::audit::{NoopSink, SharedSink};
use agent_auth::authzen::{
    Decision, DecisionPoint, EvaluationRequest, EvaluationsRequest, EvaluationsResponse, PdpError,
    PdpMetadata, RequestError,
};
use agent_auth::clock::{SharedClock, SystemClock};
use std::sync::Arc;

/// A policy decision point. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Pdp {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) sources: Vec<Arc<dyn DecisionSource>>,
    pub(super) clock: SharedClock,
    pub(super) audit: SharedSink,
    pub(super) directory: EntityDirectory,
    pub(super) metadata: PdpMetadata,
}

impl std::fmt::Debug for Pdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pdp")
            .field("base", &self.inner.metadata.policy_decision_point)
            .field(
                "sources",
                &self
                    .inner
                    .sources
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Builds a [`Pdp`].
#[derive(Debug)]
pub struct PdpBuilder {
    base: String,
    sources: Vec<Arc<dyn DecisionSource>>,
    clock: SharedClock,
    audit: SharedSink,
    directory: EntityDirectory,
}

impl PdpBuilder {
    /// Adds a source; sources are asked in the order they are added.
    #[must_use]
    pub fn source(self, source: impl DecisionSource + 'static) -> Self {
        self.shared_source(Arc::new(source))
    }

    /// Adds a shared source.
    #[must_use]
    pub fn shared_source(mut self, source: Arc<dyn DecisionSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where decision events go (default: nowhere).
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    /// The entities the Search APIs consider.
    #[must_use]
    pub fn directory(mut self, directory: EntityDirectory) -> Self {
        self.directory = directory;
        self
    }

    /// The PDP.
    pub fn build(self) -> Pdp {
        Pdp {
            inner: Arc::new(Inner {
                sources: self.sources,
                clock: self.clock,
                audit: self.audit,
                directory: self.directory,
                metadata: PdpMetadata::for_base(&self.base),
            }),
        }
    }
}

impl Pdp {
    /// A builder for the PDP whose base URL (`policy_decision_point`) is `base`.
    pub fn builder(base: impl Into<String>) -> PdpBuilder {
        PdpBuilder {
            base: base.into(),
            sources: Vec::new(),
            clock: Arc::new(SystemClock),
            audit: Arc::new(NoopSink),
            directory: EntityDirectory::default(),
        }
    }

    /// The metadata document (AuthZEN 1.0 section 9).
    pub fn metadata(&self) -> &PdpMetadata {
        &self.inner.metadata
    }

    /// Answers one question (AuthZEN 1.0 section 6) and audits the decision.
    /// A failing source denies.
    pub async fn evaluate(&self, request: &EvaluationRequest) -> Decision {
        let outcome = self.outcome(request).await;
        if self.inner.audit.enabled() {
            self.inner
                .audit
                .record(&decision_event(request, &outcome, self.inner.clock.now()));
        }
        decision(outcome)
    }

    /// The combined outcome, without auditing (for search candidates).
    pub(super) async fn outcome(&self, request: &EvaluationRequest) -> Outcome {
        combine(&self.inner.sources, request, self.inner.clock.now()).await
    }

    /// Answers a batch (AuthZEN 1.0 section 7): each entry is resolved against
    /// the defaults; an entry that cannot be resolved is denied with its reason.
    /// A request without entries is refused: send it to [`Pdp::evaluate`].
    pub async fn evaluations(
        &self,
        request: &EvaluationsRequest,
    ) -> Result<EvaluationsResponse, RequestError> {
        if request.evaluations.is_empty() {
            return Err(RequestError::Missing("evaluations".into()));
        }
        let items = request
            .evaluations
            .iter()
            .enumerate()
            .map(|(i, item)| request.resolve(item, i))
            .collect();
        Ok(self.run_batch(request.semantic, items).await)
    }
}

/// The answer, carrying the outcome's reason (moved, not copied).
fn decision(outcome: Outcome) -> Decision {
    let d = if outcome.permitted() {
        Decision::permit()
    } else {
        Decision::deny()
    };
    d.with_reason(outcome.into_reason())
}

#[async_trait::async_trait]
impl DecisionPoint for Pdp {
    async fn evaluate(&self, request: &EvaluationRequest) -> Result<Decision, PdpError> {
        Ok(Pdp::evaluate(self, request).await)
    }

    async fn evaluations(
        &self,
        request: &EvaluationsRequest,
    ) -> Result<EvaluationsResponse, PdpError> {
        Ok(Pdp::evaluations(self, request).await?)
    }
}
