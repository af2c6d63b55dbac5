//! Third-party credentials that agents use but never hold.
//!
//! The [`Vault`] stores OAuth token sets, API keys, personal access tokens and
//! database credentials per (tenant, user, connection), envelope-encrypted with
//! AES-256-GCM (a fresh data key per record, wrapped by a master key from a
//! [`KeyProvider`]). Retrieval is for the user the caller acts for, only with
//! scopes the stored grant covers; refresh tokens never leave the vault. Access
//! tokens are refreshed ahead of expiry, one refresh per credential however many
//! readers wait. Every access, refresh, rotation and failure is an audit event.
//!
//! See `docs/token-vault.md` in the workspace for the guide.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod agent;
pub mod backend;
mod cache;
#[cfg(feature = "certs")]
pub mod certs;
pub mod credential;
#[cfg(feature = "postgres")]
pub mod db_roles;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod jit;
pub mod keys;
#[cfg(feature = "http")]
pub mod oauth;
mod payload;
#[cfg(feature = "http")]
pub mod remote;
pub mod rotation;
pub mod store;
pub mod vault;

pub use agent::{CacheScope, CredentialsContext, TokenTool, TokenToolError, ToolError};
pub use backend::CredentialBackend;
pub use credential::{Credential, CredentialKey, CredentialKind, IssuedCredential, TokenSet};
pub use error::{ConsentRequired, VaultError};
pub use keys::{EnvKeyProvider, FileKeyProvider, KeyProvider, MasterKey, StaticKeyProvider};
pub use rotation::{Rotated, RotationError, RotationPolicy, RotationReport, Rotator};
#[cfg(feature = "postgres")]
pub use store::postgres::PgVaultStore;
#[cfg(feature = "sqlite")]
pub use store::sqlite::SqliteVaultStore;
pub use store::{MemoryVaultStore, RecordFormat, SealedRecord, Status, VaultStore};
pub use vault::{
    Accessor, AccessorOrigin, AgentConnections, AllowedConnection, ConnectionConfig,
    LeaseRevocation, Lookup, RefreshError, RefreshPolicy, RefreshedTokens, RetrySleeper,
    RevocationReport, RevocationRetry, RevokeError, RevokedToken, StaticAgentConnections,
    TokenRefresher, TokenRevocation, TokenRevoker, TokioRetrySleeper, Vault, VaultBuilder,
    VaultSignals,
};

/// The identity core whose types this crate's API takes (clock, audit sink,
/// secrets, events), re-exported so that callers use the same version.
pub use agent_auth;
/// The attribute macro for implementing this crate's async traits
/// (`VaultStore`, `TokenRefresher`, `Rotator`, ...).
pub use agent_auth::async_trait;

/// The token vault guide (`docs/token-vault.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/token-vault.md")]
pub struct TokenVaultGuide;
