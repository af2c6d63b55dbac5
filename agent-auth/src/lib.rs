#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod audit;
#[cfg(feature = "authority")]
pub mod authority;
pub mod clock;
pub mod exchange;
pub mod jose;
#[cfg(feature = "http")]
pub mod jwks;
pub mod mcp_client;
pub mod secret;
pub mod validate;
