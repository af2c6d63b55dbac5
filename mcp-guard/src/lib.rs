#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
pub mod authzen;
pub mod downstream;
mod dpop;
pub mod fga;
mod guard;
pub mod header;
pub mod host;
pub mod jsonrpc;
mod layer;
pub mod metadata;
mod path;
pub mod policy;
mod principal;
pub mod resource;
pub mod revocation;
pub mod risk;
mod tool_stack;
pub mod verify;

pub use downstream::{Downstream, DownstreamError, InboundToken};
pub use dpop::DpopPolicy;
pub use fga::{ResourceAccess, ToolCallHook, ToolDecision, UriMapping, UserMappingError};
pub use guard::{ConfigError, DEFAULT_MAX_BODY_BYTES, Guard, GuardBuilder};
pub use host::HostPolicy;
pub use layer::{Authenticated, GuardLayer, GuardService, admit};
pub use metadata::ResourceMetadata;
pub use policy::ScopePolicy;
pub use principal::{Principal, TokenSource, principal, shared_principal};
pub use resource::ResourceUri;
pub use revocation::{RevocationList, Subject};
pub use tool_stack::{Gate, ToolStackHook};
pub use verify::{
    DEFAULT_VERIFIED_CACHE_ENTRIES, DEFAULT_VERIFIED_CACHE_MAX_AGE, IntrospectionConfig,
    TokenProfile, TokenVerifier, TrustedIssuer, VerifyError,
};

/// The identity core whose types the guard's builder takes (keys,
/// validators, clock, audit sink, events), re-exported so that callers use the
/// same version.
pub use agent_auth;
/// The attribute macro for implementing this crate's async traits
/// (`ToolCallHook`, `RevocationAuth`, ...).
pub use agent_auth::async_trait;
/// The FGA engine whose backend the guard's resource filter takes.
pub use fga_core;

/// The guard's guide (`docs/mcp-guard.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/mcp-guard.md")]
pub struct McpGuardGuide;

/// The AuthZEN guide (`docs/authzen.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/authzen.md")]
pub struct AuthzenGuide;

/// The providers guide (`docs/providers.md`): each preset's setting, compiled
/// and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/providers.md")]
pub struct ProvidersGuide;

/// The DPoP guide (`docs/dpop.md`): authority, agent and guard end to end,
/// run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../docs/dpop.md")]
pub struct DpopGuide;
