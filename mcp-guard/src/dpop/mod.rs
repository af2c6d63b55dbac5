//! DPoP at the resource (RFC 9449 section 7): a token bound to a key
//! (`cnf.jkt`) is accepted only with the `DPoP` scheme and a proof of that
//! key for this very request; it is refused as a bearer token. Proof checks
//! are agent-auth's [`ProofVerifier`](agent_auth::dpop::ProofVerifier); this
//! module reads the request, answers `DPoP` challenges with `algs` (section
//! 7.1) and hands out nonces (section 9).

mod challenge;
mod policy;
mod presented;

pub(crate) use challenge::{append_challenge, refusal_response};
pub use policy::DpopPolicy;
pub(crate) use presented::{Refusal, authenticate};
