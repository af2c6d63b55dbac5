//! One call from a discovered agent to a registered one: the record with its
//! owner, the template's entitlements, the credentials it held moved into
//! the vault, a rotation schedule, and the agent activated.

use super::Discovery;
use crate::governance::Governance;
use crate::registry::{Actor, AgentRecord, AgentSource, AgentSpec, Principal, RegistryError};
use agent_auth::audit::{AuditAction, Outcome};
use token_vault_client::{Credential, CredentialKey, RotationPolicy};

/// Why a discovered agent could not be registered. Nothing is changed when
/// the checks fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The client is not registered at the authority.
    #[error("no OAuth client `{0}`")]
    UnknownClient(String),
    /// The client already belongs to an agent.
    #[error("OAuth client `{0}` is already linked to an agent")]
    AlreadyRegistered(String),
    /// The template does not exist.
    #[error("no template `{0}`")]
    UnknownTemplate(String),
    /// Credentials to migrate, but governance has no vault.
    #[error("credentials to migrate but no vault is configured")]
    NoVault,
    /// The rotation period is not a positive number of days.
    #[error("the rotation period must be at least one day")]
    InvalidRotation,
    /// The registry refused.
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// A later step failed (the agent stays STAGED, not active).
    #[error("{step}: {reason}")]
    Step {
        /// Which step.
        step: &'static str,
        /// Why (no secret).
        reason: String,
    },
}

/// How to register a discovered agent.
///
/// ```
/// use reference_authority::discovery::Adoption;
/// let adoption = Adoption::new("sales-agent-prod-001", "Sales agent", "sarah")
///     .template("sales-read")
///     .rotation_days(90);
/// # let _ = adoption;
/// ```
#[derive(Debug, Clone)]
pub struct Adoption {
    agent_id: String,
    name: String,
    owner: String,
    purpose: Option<String>,
    template: Option<String>,
    credentials: Vec<(String, Credential)>,
    rotation_days: i64,
}

impl Adoption {
    /// Register as `agent_id` named `name`, owned and sponsored by the
    /// person `owner` (an authority user id in the directory).
    pub fn new(
        agent_id: impl Into<String>,
        name: impl Into<String>,
        owner: impl Into<String>,
    ) -> Self {
        Self {
            agent_id: agent_id.into(),
            name: name.into(),
            owner: owner.into(),
            purpose: None,
            template: None,
            credentials: Vec::new(),
            rotation_days: 90,
        }
    }

    /// What it is for.
    #[must_use]
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    /// Provision it from this role template.
    #[must_use]
    pub fn template(mut self, name: impl Into<String>) -> Self {
        self.template = Some(name.into());
        self
    }

    /// A credential it held outside the vault (an API key in its config, a
    /// service account password), to move into the vault under `connection`.
    #[must_use]
    pub fn credential(mut self, connection: impl Into<String>, credential: Credential) -> Self {
        self.credentials.push((connection.into(), credential));
        self
    }

    /// Rotate its vaulted credentials every `days` days (default 90).
    #[must_use]
    pub fn rotation_days(mut self, days: i64) -> Self {
        self.rotation_days = days;
        self
    }
}

/// What a registration from discovery did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdoptionReport {
    /// The agent, ACTIVE.
    pub agent: AgentRecord,
    /// The vault connections its credentials now live under.
    pub vaulted: Vec<String>,
    /// The rotation policy of those credentials.
    pub rotation: RotationPolicy,
    /// When they are next due for rotation.
    pub next_rotation: i64,
}

impl Discovery {
    /// Registers the discovered client `client_id` as an agent: checks
    /// everything first (client known and unlinked, template, vault,
    /// rotation), then registers it (source: discovered), provisions the
    /// template, stores its credentials in the vault for the agent, and
    /// activates it. Audited as one `AgentLifecycle` event with the evidence.
    pub fn register(
        &self,
        governance: &Governance,
        client_id: &str,
        adoption: Adoption,
        actor: &Actor,
    ) -> Result<AdoptionReport, DiscoveryError> {
        let authority = governance.authority();
        let registry = authority.registry();
        if authority
            .client(client_id)
            .map_err(|e| step("client", e))?
            .is_none()
        {
            return Err(DiscoveryError::UnknownClient(client_id.to_owned()));
        }
        if registry.agent_of_client(client_id)?.is_some() {
            return Err(DiscoveryError::AlreadyRegistered(client_id.to_owned()));
        }
        if let Some(t) = &adoption.template
            && governance.template(t).is_err()
        {
            return Err(DiscoveryError::UnknownTemplate(t.clone()));
        }
        if !adoption.credentials.is_empty() && governance.vault().is_none() {
            return Err(DiscoveryError::NoVault);
        }
        if adoption.rotation_days < 1 {
            return Err(DiscoveryError::InvalidRotation);
        }
        let mut spec = AgentSpec::new(&adoption.agent_id, &adoption.name)
            .source(AgentSource::Discovered {
                by: "discovery".into(),
            })
            .owner(Principal::Person(adoption.owner.clone()))
            .sponsor(adoption.owner.clone())
            .client(client_id);
        if let Some(p) = &adoption.purpose {
            spec = spec.purpose(p.clone());
        }
        registry.register(spec, actor)?;
        let id = adoption.agent_id.as_str();
        if let Some(t) = &adoption.template {
            governance
                .provision_from_template(id, t, actor)
                .map_err(|e| step("template", e))?;
        }
        let mut vaulted = Vec::new();
        if let Some((vault, tenant)) = governance.vault() {
            for (connection, credential) in &adoption.credentials {
                vault
                    .put(&CredentialKey::new(tenant, id, connection), credential)
                    .map_err(|e| step("vault", e.reason()))?;
                vaulted.push(connection.clone());
            }
        }
        let agent = registry.activate(id, actor)?;
        let rotation = RotationPolicy::every_days(adoption.rotation_days);
        let next_rotation = authority.now().saturating_add(rotation.every);
        let evidence = self
            .evidence()
            .get(client_id)
            .map(|e| e.presentations)
            .unwrap_or(0);
        authority.audit(AuditAction::AgentLifecycle, Outcome::Success, |e| {
            e.agent(id.to_owned())
                .reason("registered from discovery")
                .detail("client_id", client_id.to_owned())
                .detail("owner", adoption.owner.clone())
                .detail("template", adoption.template.clone())
                .detail("vaulted", vaulted.clone())
                .detail("rotation_days", adoption.rotation_days)
                .detail("next_rotation", next_rotation)
                .detail("presentations_seen", evidence)
                .detail("actor", format!("{actor:?}"))
        });
        Ok(AdoptionReport {
            agent,
            vaulted,
            rotation,
            next_rotation,
        })
    }
}

fn step(step: &'static str, reason: impl ToString) -> DiscoveryError {
    DiscoveryError::Step {
        step,
        reason: reason.to_string(),
    }
}
