#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod downstream;
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
pub mod verify;

pub use downstream::{Downstream, DownstreamError, InboundToken};
pub use fga::{ResourceAccess, ToolCallHook, ToolDecision, UriMapping, UserMappingError};
pub use guard::{ConfigError, DEFAULT_MAX_BODY_BYTES, Guard, GuardBuilder};
pub use host::HostPolicy;
pub use layer::{Authenticated, GuardLayer, GuardService, admit};
pub use metadata::ResourceMetadata;
pub use policy::ScopePolicy;
pub use principal::{Principal, TokenSource, principal, shared_principal};
pub use resource::ResourceUri;
pub use revocation::{RevocationList, Subject};
pub use verify::{
    DEFAULT_VERIFIED_CACHE_ENTRIES, DEFAULT_VERIFIED_CACHE_MAX_AGE, IntrospectionConfig,
    TokenVerifier, TrustedIssuer, VerifyError,
};

/// The guard's guide (`docs/mcp-guard.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/mcp-guard.md")]
pub struct McpGuardGuide;
