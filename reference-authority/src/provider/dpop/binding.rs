//! The DPoP key a token request proved, for the duration of that request.
//!
//! The token endpoint checks the proof, then runs the grant handler inside
//! [`bound`]; [`Authority::issue`](crate::Authority::issue) reads
//! [`current`] and binds what it mints. Outside such a request (a grant
//! issuing tokens on its own), nothing is bound.

use std::future::Future;

tokio::task_local! {
    static PROVED_KEY: Option<String>;
}

/// Runs `work` with `jkt` (the RFC 7638 thumbprint of the proof key) as the
/// binding of the tokens it issues.
pub(crate) async fn bound<F: Future>(jkt: Option<String>, work: F) -> F::Output {
    PROVED_KEY.scope(jkt, work).await
}

/// The thumbprint the current token request proved, if any.
pub(crate) fn current() -> Option<String> {
    PROVED_KEY.try_with(Clone::clone).ok().flatten()
}
