//! The login client: an OpenID Connect relying party (feature `http`).
//!
//! Discovery with the issuer check, authorization requests with PKCE S256,
//! `state` and `nonce`, the callback with RFC 9207 `iss` and the full ID token
//! validation of OpenID Connect Core 3.1.3.7, sessions that refresh ahead of
//! expiry, userinfo, logout, step-up (`acr_values`, `max_age`) and
//! `client_credentials`. One [`LoginBackend`] trait with an HTTP
//! implementation ([`HttpBackend`]); the `reference-authority` crate adds an
//! in-memory one that calls the authority directly.

mod agent_tokens;
mod audit;
mod backend;
mod client;
mod error;
mod id_token;
mod metadata;
mod session;
mod tokens;
#[cfg(feature = "server")]
pub mod web;

pub use agent_tokens::AgentTokens;
pub use backend::{BackendResponse, HttpBackend, LoginBackend};
pub use client::{AuthOptions, AuthorizationRequest, LoginClient, LoginConfig, PendingLogin};
pub use error::ClientError;
pub use metadata::ProviderMetadata;
pub use session::LoginSession;
pub use tokens::{ClientAuth, TokenSet};
