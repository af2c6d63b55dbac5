#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod audit;
pub mod authzen;
#[cfg(feature = "http")]
pub mod basic_auth;
pub mod clock;
pub mod dpop;
pub mod env;
#[cfg(feature = "events")]
pub mod events;
pub mod exchange;
pub mod jose;
#[cfg(feature = "http")]
pub mod jwks;
#[cfg(feature = "http")]
pub mod login;
pub mod mcp_client;
pub mod oauth;
pub mod risk;
pub mod secret;
#[cfg(feature = "signals")]
pub mod signals;
#[cfg(feature = "tool")]
pub mod tool;
pub mod validate;

/// The login guide (`docs/login.md`), compiled and run as doc tests.
#[cfg(all(doctest, feature = "server"))]
#[doc = include_str!("../../docs/login.md")]
pub struct LoginGuide;

/// The attribute macro for implementing this crate's async traits
/// (`KeySource`, `LoginBackend`, `HttpTransport`, ...), re-exported so that
/// implementers use the same version.
pub use async_trait::async_trait;

/// The cross-domain guide (`docs/cross-domain.md`), compiled and run as doc tests
/// against the reference authority on loopback.
#[cfg(all(doctest, feature = "http"))]
#[doc = include_str!("../../docs/cross-domain.md")]
pub struct CrossDomainGuide;

/// The MCP client authorization guide (`docs/mcp-client.md`), compiled as doc tests.
#[cfg(all(doctest, feature = "http"))]
#[doc = include_str!("../../docs/mcp-client.md")]
pub struct McpClientGuide;

/// The security signals guide (`docs/signals.md`), compiled and run as doc tests.
#[cfg(all(doctest, feature = "signals", feature = "server"))]
#[doc = include_str!("../../docs/signals.md")]
pub struct SignalsGuide;
