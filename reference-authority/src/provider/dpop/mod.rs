//! DPoP at the authorization server (RFC 9449): proofs checked at the token
//! endpoint (section 4.3), access tokens bound to the proof key (`cnf.jkt`,
//! section 6) and issued as `token_type` `DPoP` (section 5), refresh tokens
//! of public clients bound to the key (section 5), server nonces (section 8),
//! `dpop_signing_alg_values_supported` in the metadata (section 5.1) and the
//! `dpop_bound_access_tokens` client metadata (section 5.2).
//!
//! The key a request proved flows from the token endpoint to
//! [`Authority::issue`](super::Authority::issue) as a per-request binding
//! (see [`binding`]), so every grant, built in or registered, issues bound
//! tokens without handling DPoP itself.

pub(crate) mod binding;
mod refresh;
mod state;
mod token_endpoint;
mod userinfo;

pub(crate) use refresh::check_refresh_binding;
pub(crate) use state::DpopState;

/// The client metadata naming a client that always uses DPoP (RFC 9449
/// section 5.2).
pub const DPOP_BOUND_ACCESS_TOKENS: &str = "dpop_bound_access_tokens";
