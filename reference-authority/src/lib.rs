#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The OpenID provider and authorization server, re-exported at the root:
// `reference_authority::Authority`, `reference_authority::grants`, ...
mod provider;
pub use provider::*;

#[cfg(all(feature = "server", feature = "certs"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "server", feature = "certs"))))]
pub mod agent_ca;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod audit_log;
pub mod authzen;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod ciba;
#[cfg(all(feature = "server", feature = "sqlite"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "server", feature = "sqlite"))))]
pub mod console;
pub mod detection;
pub mod directory;
pub mod discovery;
pub mod federated_connection;
pub mod governance;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod gtr;
pub mod kill_switch;
pub mod scim;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod signals;
pub use federated_connection::{ConnectionAccess, FederatedConnectionGrant};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod login_backend;
#[cfg(feature = "http")]
pub use login_backend::InMemoryBackend;
pub mod notify;
pub mod registry;

/// The control point guide (`docs/control-point.md`), compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/control-point.md")]
pub struct ControlPointGuide;

/// The governance guide (`docs/governance.md`), compiled and run as doc tests.
#[cfg(all(doctest, feature = "server"))]
#[doc = include_str!("../../docs/governance.md")]
pub struct GovernanceGuide;

/// The deployment guide (`docs/deployment.md`), compiled as doc tests.
#[cfg(all(doctest, feature = "postgres"))]
#[doc = include_str!("../../docs/deployment.md")]
pub struct DeploymentGuide;

/// The detection guide (`docs/detection.md`), compiled and run as doc tests.
#[cfg(all(doctest, feature = "server", feature = "sqlite"))]
#[doc = include_str!("../../docs/detection.md")]
pub struct DetectionGuide;

/// The universal logout guide (`docs/logout.md`), compiled and run as doc tests.
#[cfg(all(doctest, feature = "server"))]
#[doc = include_str!("../../docs/logout.md")]
pub struct LogoutGuide;

/// The identity core whose types the authority's API takes, re-exported so
/// that extensions use the same version.
pub use agent_auth;
/// The attribute macro for implementing `GrantHandler` and the other async
/// extension traits.
pub use agent_auth::async_trait;
