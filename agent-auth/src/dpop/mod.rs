//! DPoP, sender-constrained tokens (RFC 9449): one proof builder for every
//! client of this crate, and the proof checks servers run.
//!
//! A client holds a [`DpopKey`] (one per agent) and signs a fresh proof for
//! each request; the authorization server binds the tokens it issues to the
//! key's thumbprint (`cnf.jkt`), and a resource server accepts such a token
//! only with a proof from the same key ([`ProofVerifier`]).
//!
//! ```
//! use agent_auth::clock::{Clock, ManualClock};
//! use agent_auth::dpop::{DpopKey, ProofRequest, ProofVerifier};
//! use std::sync::Arc;
//!
//! let clock = ManualClock::new(1_700_000_000);
//! let key = DpopKey::generate()?;
//! let proof = key.proof("POST", "https://as.example/token?x=1", None, None, clock.now())?;
//!
//! let verifier = ProofVerifier::new().clock(Arc::new(clock));
//! let checked = verifier.verify(
//!     proof.expose_secret(),
//!     &ProofRequest::new("POST", "https://AS.example:443/token"),
//! )?;
//! assert_eq!(checked.jkt(), key.thumbprint());
//! // The same proof again is a replay.
//! assert!(verifier
//!     .verify(proof.expose_secret(), &ProofRequest::new("POST", "https://as.example/token"))
//!     .is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod header;
mod htu;
mod key;
mod nonce;
mod replay;
mod verify;

pub use error::DpopError;
pub use htu::normalize_htu;
pub use key::{DpopKey, access_token_hash};
pub use nonce::NonceSource;
pub use replay::{DEFAULT_REPLAY_ENTRIES, JtiCache};
pub use verify::{
    DEFAULT_PROOF_LEEWAY, DEFAULT_PROOF_MAX_AGE, ProofRequest, ProofVerifier, VerifiedProof,
};

/// The `DPoP` request and response header (RFC 9449 section 4.1).
pub const DPOP_HEADER: &str = "DPoP";
/// The header carrying a server-provided nonce (RFC 9449 section 8.1).
pub const DPOP_NONCE_HEADER: &str = "DPoP-Nonce";
/// The error code asking the client to retry with the server's nonce (RFC 9449
/// sections 8 and 9).
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";
/// The error code of an invalid proof (RFC 9449 section 5.1 at the token
/// endpoint; section 7.1 uses `invalid_token` at a resource).
pub const INVALID_DPOP_PROOF: &str = "invalid_dpop_proof";
