//! The OpenID provider and OAuth 2.0 authorization server: users, clients,
//! sessions, the grants and the token endpoint, in process, with an HTTP face
//! (feature `server`) and SQLite storage (feature `sqlite`). Its items are
//! re-exported at the crate root.
//!
//! ```
//! use reference_authority::{Authority, AuthorityConfig, ClientSpec, Credentials, UserSpec};
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! authority.register_user(UserSpec::new("sarah").password("correct horse battery"))?;
//! authority.register_client(
//!     ClientSpec::confidential("portal", "portal-secret-0123456789")
//!         .redirect_uri("https://portal.example/callback"),
//! )?;
//! let session = authority.sign_in(&Credentials::password("sarah", "correct horse battery"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Extension points: [`GrantHandler`] (registered with
//! [`Authority::register_grant`]), [`Authority::subscribe`] for
//! [`AuthorityEvent`]s, [`Connection`] for upstream identity providers, and
//! [`Table::Extension`] for extensions' own storage.

mod access_hooks;
mod authorize;
mod browser;
#[cfg(feature = "http")]
pub mod cimd;
mod client_auth;
mod client_status;
pub(crate) mod clients;
mod config;
mod consent;
mod core;
pub(crate) mod crypto;
pub mod device;
mod discovery;
mod dpop;
mod error;
mod federation;
pub mod grants;
#[cfg(feature = "server")]
pub mod http;
mod id_token_grants;
mod introspection;
mod issue;
mod logout;
mod maintenance;
pub mod model;
mod par;
mod params;
pub mod password;
mod registration;
mod replay;
mod revocation;
mod session;
pub mod store;
mod throttle;
pub mod totp;
#[cfg(feature = "http")]
mod upstream_oidc;
mod userinfo;
mod users;
mod verify;

pub use access_hooks::{AccessChange, AccessHook};
pub use agent_auth::events::{AuthorityEvent, EventSource};
pub use authorize::{AuthorizeOutcome, ConsentRequest, Interaction, LoginCompletion, RedirectUrl};
pub use browser::BrowserBinding;
pub use client_auth::{AuthenticatedClient, JWT_BEARER_ASSERTION, TokenRequest};
pub use clients::{ClientSpec, grant_types};
pub use config::{AuthorityConfig, paths};
pub use core::{Authority, AuthorityBuilder};
pub use dpop::DPOP_BOUND_ACCESS_TOKENS;
pub use error::{AuthorityError, ErrorCode, OAuthError, StoreError};
pub use federation::{Connection, UpstreamIdentity, UpstreamStart};
pub use grants::{
    ExchangeContext, ExchangePolicy, ExplicitGrant, ExplicitGrants, JwtBearerGrant,
    ManagedConnection, ScopePolicy, TokenExchangeGrant, TrustedIssuer,
};
pub use grants::{GrantHandler, narrow_resource, narrow_scope};
pub use issue::{IssueOptions, TokenResponse};
pub use logout::{LogoutConfirmation, LogoutOutcome, LogoutToken};
pub use maintenance::Purge;
pub use model::{ACR_MFA, ACR_PASSWORD, ClientAuthMethod, GrantFacts};
pub use par::REQUEST_URI_PREFIX;
pub use params::{Params, split_list};
pub use registration::{Registration, RegistrationError, RegistrationPolicy, client_information};
pub use session::{Credentials, LoginError, SessionHandle};
#[cfg(feature = "postgres")]
pub use store::PgStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{MemoryStore, Store, StoreFuture, Table};
pub use throttle::LoginThrottle;
#[cfg(feature = "http")]
pub use upstream_oidc::OidcConnection;
pub use users::{TotpEnrollment, UserSpec};
