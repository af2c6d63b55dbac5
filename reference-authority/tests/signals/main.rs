//! The authority's side of universal logout, over HTTP on loopback: the SSF
//! 1.0 transmitter (the OpenID Foundation's transmitter test plan, one test
//! per plan item, and the delivery rules), the kill switch, emergency
//! rotation, Global Token Revocation, and the phase 8 sequence end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod delivery;
mod end_to_end;
mod gtr;
mod kill_switch;
mod ssf_plan;
mod support;
