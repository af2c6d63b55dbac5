//! Entitlements: what an agent may reach, and where each grant came from.
//!
//! The agent's record holds its grants ([`AgentRecord::entitlements`](super::AgentRecord::entitlements)):
//! that list is the single source of truth that the dependency map, the
//! PDP and access reviews read.

use super::model::Actor;
use serde::{Deserialize, Serialize};

/// One thing an agent may reach.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum Entitlement {
    /// An OAuth scope, optionally for one resource server (RFC 8707 resource
    /// indicator or audience: an API, an MCP server).
    Scope {
        /// The scope.
        scope: String,
        /// The resource or audience it is for; `None` for the authority's default audience.
        resource: Option<String>,
    },
    /// Use of a managed connection (ID-JAG / token exchange) to the resource
    /// authorization server whose issuer is `audience`.
    ManagedConnection {
        /// The audience of the [`ManagedConnection`](crate::ManagedConnection).
        audience: String,
    },
    /// Use of a vault connection (third-party credentials), by connection name.
    VaultConnection {
        /// The connection name.
        connection: String,
    },
    /// An FGA relation on an object (`document:roadmap`, `viewer`).
    FgaRelation {
        /// The object (`type:id`).
        object: String,
        /// The relation.
        relation: String,
    },
    /// Acting on behalf of a user.
    DelegatedUser {
        /// The authority user id.
        user_id: String,
    },
}

impl Entitlement {
    /// A scope for a resource.
    pub fn scope(scope: impl Into<String>, resource: impl Into<String>) -> Self {
        Entitlement::Scope {
            scope: scope.into(),
            resource: Some(resource.into()),
        }
    }

    /// The resource this entitlement reaches, for the dependency map.
    pub fn resource(&self) -> Resource {
        match self {
            Entitlement::Scope {
                resource: Some(r), ..
            } => Resource::Api(r.clone()),
            Entitlement::Scope { scope, .. } => Resource::Scope(scope.clone()),
            Entitlement::ManagedConnection { audience } => {
                Resource::ManagedConnection(audience.clone())
            }
            Entitlement::VaultConnection { connection } => {
                Resource::VaultConnection(connection.clone())
            }
            Entitlement::FgaRelation { object, .. } => Resource::FgaObject(object.clone()),
            Entitlement::DelegatedUser { user_id } => Resource::User(user_id.clone()),
        }
    }
}

/// Something agents reach: the key of the dependency map's reverse index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
#[non_exhaustive]
pub enum Resource {
    /// A resource server (API, MCP server), by resource indicator or audience.
    Api(String),
    /// A scope of the authority's default audience.
    Scope(String),
    /// A managed connection, by audience.
    ManagedConnection(String),
    /// A vault connection, by name.
    VaultConnection(String),
    /// An FGA object.
    FgaObject(String),
    /// A user the agent acts for.
    User(String),
}

/// Where a grant came from, so that one source can be withdrawn without
/// touching the others (a template's grants, a JIT elevation's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
#[non_exhaustive]
pub enum GrantOrigin {
    /// Granted directly.
    Direct,
    /// Granted by applying a role template, by template id.
    Template(String),
    /// Granted for a while by a just-in-time elevation, by request id.
    JustInTime(String),
}

/// One grant of an entitlement to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntitlementGrant {
    /// What is granted.
    pub entitlement: Entitlement,
    /// Where the grant came from.
    pub origin: GrantOrigin,
    /// When it was granted.
    pub granted: i64,
    /// Who granted it.
    pub granted_by: Actor,
    /// When it stops counting (`None`: until revoked).
    pub expires: Option<i64>,
}

impl EntitlementGrant {
    /// Whether the grant counts at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

/// A grant to make: the entitlement, its origin and optional expiry.
///
/// ```
/// use reference_authority::registry::{Entitlement, GrantOrigin, NewGrant};
///
/// let grant = NewGrant::new(Entitlement::scope("crm:read", "https://crm.example"))
///     .origin(GrantOrigin::Template("sales-reader".into()))
///     .expires(1_800_000_000);
/// # let _ = grant;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub(crate) entitlement: Entitlement,
    pub(crate) origin: GrantOrigin,
    pub(crate) expires: Option<i64>,
}

impl NewGrant {
    /// A direct grant, until revoked.
    pub fn new(entitlement: Entitlement) -> Self {
        Self {
            entitlement,
            origin: GrantOrigin::Direct,
            expires: None,
        }
    }

    /// Where it comes from (default [`GrantOrigin::Direct`]).
    #[must_use]
    pub fn origin(mut self, origin: GrantOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// When it stops counting.
    #[must_use]
    pub fn expires(mut self, at: i64) -> Self {
        self.expires = Some(at);
        self
    }
}
