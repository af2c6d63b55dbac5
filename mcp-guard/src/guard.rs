//! The guard's configuration, shared by the layer and by server handlers.

use crate::fga::{ResourceAccess, ToolCallHook};
use crate::host::HostPolicy;
use crate::metadata::{ResourceMetadata, metadata_paths};
use crate::policy::ScopePolicy;
use crate::principal::Principal;
use crate::resource::ResourceUri;
use crate::revocation::RevocationList;
use crate::verify::{IntrospectionConfig, TokenVerifier, TrustedIssuer};
use agent_auth::audit::SharedSink;
use agent_auth::clock::SharedClock;
use std::sync::Arc;
use std::time::Duration;

/// Default largest request body inspected (1 MiB); larger bodies get 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A configuration the guard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The resource URI is invalid.
    #[error("invalid resource URI: {0}")]
    Resource(#[from] crate::resource::ResourceError),
    /// No authorization server is trusted.
    #[error("no trusted authorization server")]
    NoIssuer,
    /// An HTTP client could not be built.
    #[error("HTTP client unavailable")]
    HttpClient,
    /// FGA users are `user:<sub>` while several issuers are trusted, so the
    /// same `sub` at two issuers would be one FGA user.
    #[error(
        "FGA users named `user:<sub>` would merge the users of several trusted issuers; give each an alias (ResourceAccess::issuer_aliases)"
    )]
    AmbiguousFgaUsers,
    /// A trusted issuer has no FGA user alias.
    #[error("trusted issuer {0} has no FGA user alias")]
    NoFgaAlias(String),
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) verifier: TokenVerifier,
    pub(crate) policy: ScopePolicy,
    pub(crate) metadata: ResourceMetadata,
    pub(crate) metadata_json: axum::body::Bytes,
    pub(crate) metadata_url: String,
    pub(crate) metadata_paths: Vec<String>,
    pub(crate) hosts: Option<HostPolicy>,
    pub(crate) mcp_paths: Vec<String>,
    pub(crate) max_body: usize,
    pub(crate) resources: Option<ResourceAccess>,
    pub(crate) tool_hook: Option<Arc<dyn ToolCallHook>>,
    pub(crate) keep_inbound_token: bool,
    pub(crate) audit: Option<(SharedSink, SharedClock)>,
    pub(crate) dpop: Option<crate::dpop::DpopPolicy>,
}

/// A configured guard for one protected resource. Clones share everything.
#[derive(Debug, Clone)]
pub struct Guard {
    pub(crate) inner: Arc<Inner>,
}

/// Configures a [`Guard`].
#[derive(Debug)]
pub struct GuardBuilder {
    resource: ResourceUri,
    issuers: Vec<TrustedIssuer>,
    introspection: Vec<IntrospectionConfig>,
    authorization_servers: Vec<String>,
    policy: ScopePolicy,
    hosts: Option<HostPolicy>,
    resource_name: Option<String>,
    documentation: Option<String>,
    mcp_paths: Option<Vec<String>>,
    max_body: usize,
    resources: Option<ResourceAccess>,
    tool_hook: Option<Arc<dyn ToolCallHook>>,
    revocations: RevocationList,
    clock: Option<SharedClock>,
    audit: Option<SharedSink>,
    leeway: i64,
    keep_inbound_token: bool,
    verified_cache: Option<(usize, Duration)>,
    dpop: Option<crate::dpop::DpopPolicy>,
}

impl Guard {
    /// Starts configuring a guard for the resource at `resource` (the MCP
    /// endpoint URL clients use, e.g. `https://mcp.example.com/mcp`).
    pub fn builder(resource: &str) -> Result<GuardBuilder, ConfigError> {
        Ok(GuardBuilder {
            resource: ResourceUri::parse(resource)?,
            issuers: Vec::new(),
            introspection: Vec::new(),
            authorization_servers: Vec::new(),
            policy: ScopePolicy::new(),
            hosts: None,
            resource_name: None,
            documentation: None,
            mcp_paths: None,
            max_body: DEFAULT_MAX_BODY_BYTES,
            resources: None,
            tool_hook: None,
            revocations: RevocationList::new(),
            clock: None,
            audit: None,
            leeway: 0,
            keep_inbound_token: false,
            verified_cache: None,
            dpop: None,
        })
    }

    /// The resource.
    pub fn resource(&self) -> &ResourceUri {
        self.inner.verifier.resource()
    }

    /// The RFC 9728 document served.
    pub fn metadata(&self) -> &ResourceMetadata {
        &self.inner.metadata
    }

    /// The URL of the metadata document, as sent in challenges.
    pub fn metadata_url(&self) -> &str {
        &self.inner.metadata_url
    }

    /// The token verifier.
    pub fn verifier(&self) -> &TokenVerifier {
        &self.inner.verifier
    }

    /// The revocation list.
    pub fn revocations(&self) -> &RevocationList {
        self.inner.verifier.revocations()
    }

    /// The scope policy.
    pub fn policy(&self) -> &ScopePolicy {
        &self.inner.policy
    }

    /// The FGA resource authorization, if configured.
    pub fn resource_access(&self) -> Option<&ResourceAccess> {
        self.inner.resources.as_ref()
    }

    /// Keeps the tools the principal may call (for `tools/list`).
    pub fn visible_tools<T>(
        &self,
        principal: &Principal,
        tools: Vec<T>,
        name_of: impl Fn(&T) -> &str,
    ) -> Vec<T> {
        tools
            .into_iter()
            .filter(|t| self.inner.policy.may_call(&principal.scopes, name_of(t)))
            .collect()
    }

    /// Keeps the resources the principal may read (for `resources/list`): the
    /// scope rules, then FGA when configured.
    pub async fn visible_resources<T>(
        &self,
        principal: &Principal,
        resources: Vec<T>,
        uri_of: impl Fn(&T) -> &str,
    ) -> Vec<T> {
        let by_scope: Vec<T> = resources
            .into_iter()
            .filter(|r| self.inner.policy.may_read(&principal.scopes, uri_of(r)))
            .collect();
        match &self.inner.resources {
            Some(fga) => fga.filter(principal, by_scope, uri_of).await,
            None => by_scope,
        }
    }
}

impl GuardBuilder {
    /// Trusts an authorization server's JWT access tokens (and lists it in metadata).
    #[must_use]
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Checks opaque tokens of an authorization server by introspection.
    #[must_use]
    pub fn introspection(mut self, config: IntrospectionConfig) -> Self {
        self.introspection.push(config);
        self
    }

    /// Lists an authorization server in metadata without trusting more keys
    /// (default: every trusted issuer, in order).
    #[must_use]
    pub fn authorization_server(mut self, issuer: &str) -> Self {
        self.authorization_servers.push(issuer.to_owned());
        self
    }

    /// The scope rules.
    #[must_use]
    pub fn scopes(mut self, policy: ScopePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Validates `Host` and `Origin` (off by default; use
    /// [`HostPolicy::loopback`] for a local server).
    #[must_use]
    pub fn hosts(mut self, hosts: HostPolicy) -> Self {
        self.hosts = Some(hosts);
        self
    }

    /// `resource_name` in metadata.
    #[must_use]
    pub fn resource_name(mut self, name: &str) -> Self {
        self.resource_name = Some(name.to_owned());
        self
    }

    /// `resource_documentation` in metadata.
    #[must_use]
    pub fn documentation(mut self, url: &str) -> Self {
        self.documentation = Some(url.to_owned());
        self
    }

    /// Paths where the MCP service is mounted (default: the resource's path, or
    /// every path when the resource is a bare origin). Every request at or under
    /// such a path, in any spelling a router or proxy could resolve there
    /// (percent-encoding, `//`, `..`, trailing dots, case), is MCP: its body is
    /// read as JSON-RPC and checked, and a `GET`, `HEAD`, `DELETE` or `OPTIONS`
    /// with a body is refused (400).
    #[must_use]
    pub fn mcp_path(mut self, path: &str) -> Self {
        self.mcp_paths
            .get_or_insert_with(Vec::new)
            .push(path.to_owned());
        self
    }

    /// Largest request body inspected (default 1 MiB).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Checks `resources/read` through FGA.
    #[must_use]
    pub fn resource_access(mut self, access: ResourceAccess) -> Self {
        self.resources = Some(access);
        self
    }

    /// Decides on each tool call.
    #[must_use]
    pub fn tool_hook(mut self, hook: Arc<dyn ToolCallHook>) -> Self {
        self.tool_hook = Some(hook);
        self
    }

    /// The revocation list (share it with revocation receivers).
    #[must_use]
    pub fn revocations(mut self, list: RevocationList) -> Self {
        self.revocations = list;
        self
    }

    /// Records every admit and refusal (with its reason, tool and resource)
    /// as an [`AuditEvent`](agent_auth::audit::AuditEvent) in `sink`.
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Clock skew tolerated on token times, in seconds (default 0).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Keeps each verified bearer token in the request extensions as an
    /// opaque [`InboundToken`](crate::downstream::InboundToken), for
    /// [`Downstream`](crate::downstream::Downstream) token exchange (off by
    /// default: the token is dropped once verified).
    #[must_use]
    pub fn keep_inbound_token(mut self) -> Self {
        self.keep_inbound_token = true;
        self
    }

    /// Keeps up to `max_entries` verified JWT access tokens, each for at most
    /// `max_age` (on by default: 10,000 tokens, 60 s). A cached token skips the
    /// signature and claim checks, never the time or revocation checks; see
    /// [`TokenVerifierBuilder::verified_cache`](crate::verify::TokenVerifierBuilder::verified_cache).
    #[must_use]
    pub fn verified_token_cache(mut self, max_entries: usize, max_age: Duration) -> Self {
        self.verified_cache = Some((max_entries, max_age));
        self
    }

    /// Verifies every JWT access token in full on every request.
    #[must_use]
    pub fn no_verified_token_cache(self) -> Self {
        self.verified_token_cache(0, Duration::ZERO)
    }

    /// Accepts DPoP-bound tokens with their proofs (RFC 9449 section 7); see
    /// [`DpopPolicy`](crate::DpopPolicy). Without it, a bound token is refused.
    #[must_use]
    pub fn dpop(mut self, policy: crate::dpop::DpopPolicy) -> Self {
        self.dpop = Some(policy);
        self
    }

    /// The guard.
    pub fn build(self) -> Result<Guard, ConfigError> {
        if self.issuers.is_empty() && self.introspection.is_empty() {
            return Err(ConfigError::NoIssuer);
        }
        let trusted = servers_trusted(&self.issuers, &self.introspection);
        if let Some(access) = &self.resources {
            access.check_issuers(&trusted)?;
        }
        let mut servers = self.authorization_servers;
        for i in trusted {
            if !servers.contains(&i) {
                servers.push(i);
            }
        }
        let dpop = match (self.dpop, &self.clock) {
            (Some(policy), Some(clock)) => Some(policy.with_clock(clock.clone())),
            (policy, _) => policy,
        };
        let mut vb = TokenVerifier::builder(self.resource.clone())
            .revocations(self.revocations)
            .leeway(self.leeway);
        let audit = self.audit.map(|sink| {
            let clock = self
                .clock
                .clone()
                .unwrap_or_else(agent_auth::clock::system_clock);
            (sink, clock)
        });
        if let Some(clock) = self.clock {
            vb = vb.clock(clock);
        }
        if let Some((entries, age)) = self.verified_cache {
            vb = vb.verified_cache(entries, age);
        }
        for i in self.issuers {
            vb = vb.trust(i);
        }
        for c in self.introspection {
            vb = vb.introspection(c);
        }
        let verifier = vb.build()?;
        let metadata = ResourceMetadata {
            resource: self.resource.as_str().to_owned(),
            authorization_servers: servers,
            scopes_supported: self.policy.scopes_supported(),
            bearer_methods_supported: vec!["header".into()],
            resource_name: self.resource_name,
            resource_documentation: self.documentation,
            dpop_signing_alg_values_supported: dpop
                .as_ref()
                .map(crate::dpop::DpopPolicy::algorithm_names)
                .unwrap_or_default(),
            dpop_bound_access_tokens_required: dpop
                .as_ref()
                .map(crate::dpop::DpopPolicy::is_required),
        };
        let metadata_json = serde_json::to_vec(&metadata)
            .map(axum::body::Bytes::from)
            .unwrap_or_default();
        let mcp_paths = self.mcp_paths.unwrap_or_else(|| {
            let p = self.resource.path();
            vec![if p.is_empty() {
                "/".to_owned()
            } else {
                p.to_owned()
            }]
        });
        Ok(Guard {
            inner: Arc::new(Inner {
                metadata_url: self.resource.metadata_url(),
                metadata_paths: metadata_paths(self.resource.path()),
                verifier,
                policy: self.policy,
                metadata,
                metadata_json,
                hosts: self.hosts,
                mcp_paths,
                max_body: self.max_body,
                resources: self.resources,
                tool_hook: self.tool_hook,
                keep_inbound_token: self.keep_inbound_token,
                audit,
                dpop,
            }),
        })
    }
}

/// Every issuer whose tokens the guard accepts, once each.
fn servers_trusted(
    issuers: &[TrustedIssuer],
    introspection: &[IntrospectionConfig],
) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for i in issuers
        .iter()
        .map(|i| i.issuer().to_owned())
        .chain(introspection.iter().map(|c| c.issuer.clone()))
    {
        if !all.contains(&i) {
            all.push(i);
        }
    }
    all
}
