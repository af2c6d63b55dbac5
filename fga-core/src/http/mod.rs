//! The OpenFGA HTTP API (feature `http`): a client backend ([`OpenFgaClient`]) and an
//! OpenFGA-compatible router over embedded engines ([`router`]).

mod client;
mod router;
mod wire;

pub use client::{Credentials, OpenFgaClient};
pub use router::{Stores, router};
