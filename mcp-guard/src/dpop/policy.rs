//! The guard's DPoP settings.

use agent_auth::clock::SharedClock;
use agent_auth::dpop::{NonceSource, ProofVerifier};
use std::sync::Arc;

/// How the guard treats DPoP (RFC 9449): which proofs it accepts, whether it
/// requires a nonce of its own (section 9), and whether bearer tokens are
/// still accepted. The guard's clock replaces the verifier's.
///
/// ```
/// use agent_auth::dpop::NonceSource;
/// use mcp_guard::{DpopPolicy, Guard, TrustedIssuer};
/// use agent_auth::jose::{Algorithm, SigningKey};
///
/// let as_key = SigningKey::generate(Algorithm::Es256)?;
/// let guard = Guard::builder("https://mcp.example/mcp")?
///     .trust(TrustedIssuer::with_key("https://as.example", as_key.verifying_key().clone()))
///     .dpop(DpopPolicy::new().require_nonce(NonceSource::new(300)?).require_dpop())
///     .build()?;
/// assert_eq!(guard.metadata().dpop_bound_access_tokens_required, Some(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DpopPolicy {
    verifier: ProofVerifier,
    required: bool,
}

impl DpopPolicy {
    /// Accepts DPoP-bound tokens with proofs of the default verifier, and
    /// bearer tokens that are not bound.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks proofs with `verifier` (algorithms, window, shared replay cache).
    pub fn with_verifier(verifier: ProofVerifier) -> Self {
        Self {
            verifier,
            required: false,
        }
    }

    /// Requires every proof to carry a nonce of `nonces` (RFC 9449 section 9).
    #[must_use]
    pub fn require_nonce(mut self, nonces: NonceSource) -> Self {
        self.verifier = self.verifier.require_nonce(Arc::new(nonces));
        self
    }

    /// Refuses bearer tokens: every token must be DPoP-bound
    /// (`dpop_bound_access_tokens_required` in the resource metadata).
    #[must_use]
    pub fn require_dpop(mut self) -> Self {
        self.required = true;
        self
    }

    /// Whether bearer tokens are refused.
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// The proof verifier.
    pub fn verifier(&self) -> &ProofVerifier {
        &self.verifier
    }

    /// The accepted algorithms, as named in `algs` and the metadata.
    pub fn algorithm_names(&self) -> Vec<String> {
        self.verifier
            .allowed_algorithms()
            .iter()
            .map(|a| a.name().to_owned())
            .collect()
    }

    pub(crate) fn with_clock(mut self, clock: SharedClock) -> Self {
        self.verifier = self.verifier.clock(clock);
        self
    }
}
