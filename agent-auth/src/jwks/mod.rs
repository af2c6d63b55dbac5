//! Remote JWKS key source (feature `http`).

mod cache_control;
mod remote;

pub use remote::{JwksError, RemoteJwks, RemoteJwksConfig};
