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

mod access_changes;
mod consumers;
mod delivery;
mod end_to_end;
mod gtr;
mod inactivity;
mod interop_jose;
mod kill_switch;
mod peer;
mod phase8;
mod scim_events;
mod ssf_plan;
mod subjects;
mod support;
