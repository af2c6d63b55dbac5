//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: Users with the Enterprise
//! extension, Groups and Agents (draft-abbey-scim-agent-extension,
//! draft-wzdk-scim-agent-resource), with filters, sorting, pagination, PATCH,
//! ETags, bulk and the discovery endpoints; every change is a SCIM
//! provisioning event (RFC 9967) and an audit event.
//!
//! ```
//! use reference_authority::Authority;
//! use reference_authority::scim::{Caller, Scim, render::Projection};
//! use serde_json::json;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let authority = Authority::builder("https://idp.example").build()?;
//! let scim = Scim::for_authority(&authority);
//! let caller = Caller::new("hr-system");
//! let created = scim.create(&caller, "Users", &json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "userName": "sarah",
//! }), &Projection::Default).await?;
//! assert_eq!(created.body["active"], true);
//! let id = created.body["id"].as_str().unwrap_or_default();
//! assert!(authority.directory().person(id)?.is_some());
//! # Ok(()) }
//! # tokio::runtime::Runtime::new()?.block_on(demo())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bulk;
pub mod discovery;
mod error;
pub mod etag;
mod events;
pub mod filter;
#[cfg(feature = "server")]
pub mod http;
pub mod patch;
pub mod plan;
pub mod query;
pub mod render;
pub mod resource_types;
pub mod resources;
pub mod schema;
mod service;
pub mod store;
pub mod validate;

pub use error::{ERROR_SCHEMA, ScimError, ScimType};
pub use events::{EventKind, ScimEvent};
pub use service::Answer;

use crate::Authority;
use schema::ResourceType;
use std::sync::Arc;
use store::ResourceStore;
use tokio::sync::broadcast;

/// The path the SCIM service is mounted at, relative to the issuer.
pub const BASE_PATH: &str = "/scim/v2";

/// The scope an access token needs to call the SCIM endpoint (default).
pub const SCOPE: &str = "scim";

/// Limits and the required scope, as the service provider configuration
/// publishes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimConfig {
    /// Most resources in one page (`filter.maxResults`).
    pub max_results: usize,
    /// Most operations in one bulk request.
    pub max_operations: usize,
    /// Largest request body, bytes.
    pub max_payload_size: usize,
    /// The scope the bearer token must carry.
    pub scope: String,
}

impl Default for ScimConfig {
    fn default() -> Self {
        Self {
            max_results: 1000,
            max_operations: 1000,
            max_payload_size: 1 << 20,
            scope: SCOPE.to_owned(),
        }
    }
}

/// Who calls: the OAuth client the access token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The client id.
    pub client_id: String,
}

impl Caller {
    /// A caller.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
        }
    }
}

/// The SCIM service of one authority. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scim {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    authority: Authority,
    base: String,
    types: Vec<(ResourceType, Arc<dyn ResourceStore>)>,
    config: ScimConfig,
    events: broadcast::Sender<ScimEvent>,
}

impl Scim {
    /// The service over the authority's directory and agent registry.
    pub fn for_authority(authority: &Authority) -> Self {
        Self::with_stores(
            authority,
            resources::default_stores(authority),
            ScimConfig::default(),
        )
    }

    /// The service with explicit stores (resource type, backend).
    pub fn with_stores(
        authority: &Authority,
        types: Vec<(ResourceType, Arc<dyn ResourceStore>)>,
        config: ScimConfig,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                authority: authority.clone(),
                base: authority.endpoint(BASE_PATH),
                types,
                config,
                events,
            }),
        }
    }

    /// The base URL, such as `https://idp.example/scim/v2`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The limits.
    pub fn config(&self) -> &ScimConfig {
        &self.inner.config
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    /// The resource types served.
    pub fn resource_types(&self) -> impl Iterator<Item = &ResourceType> {
        self.inner.types.iter().map(|(rt, _)| rt)
    }

    /// Subscribes to the provisioning events. The SSF transmitter, when
    /// installed, sends each as a SET (RFC 9967) to the streams asking for it.
    pub fn subscribe(&self) -> broadcast::Receiver<ScimEvent> {
        self.inner.events.subscribe()
    }
}

/// A fresh resource or transaction id (128 random bits, hex).
pub(crate) fn new_id() -> Result<String, ScimError> {
    crate::provider::crypto::random_bytes(16)
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
        .ok_or_else(|| ScimError::internal("randomness unavailable"))
}
