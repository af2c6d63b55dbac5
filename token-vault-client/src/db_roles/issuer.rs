//! Creating and dropping the roles.

use super::RoleTemplate;
use crate::credential::{Credential, CredentialKey};
use crate::error::VaultError;
use crate::jit::{JitIssuer, Lease};
use crate::rotation::{RotationError, Rotator};
use agent_auth::audit::{AuditAction, AuditEvent, NoopSink, Outcome, SharedSink};
use agent_auth::clock::SharedClock;
use agent_auth::secret::SecretString;
use pg_store::{Identifier, PgError, PgPool};
use std::sync::Arc;
use zeroize::Zeroize;

/// Issues PostgreSQL roles from a [`RoleTemplate`] through an administrative pool
/// (its user needs `CREATEROLE` and `ADMIN OPTION` on the granted roles).
///
/// ```no_run
/// # async fn run() -> Result<(), token_vault_client::VaultError> {
/// use token_vault_client::db_roles::{PgRoleIssuer, RoleTemplate};
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=crm").unwrap()).unwrap();
/// let issuer = PgRoleIssuer::new(
///     pool,
///     RoleTemplate::new("agent", ["crm_readonly"], 900)?,
///     agent_auth::clock::system_clock(),
/// );
/// let credential = issuer.issue_role("sales-agent").await?;
/// issuer.drop_credential(&credential).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PgRoleIssuer {
    pool: PgPool,
    template: RoleTemplate,
    clock: SharedClock,
    audit: SharedSink,
}

fn storage(e: PgError) -> VaultError {
    VaultError::Storage(e.to_string())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| VaultError::Crypto)?;
    Ok(bytes)
}

impl PgRoleIssuer {
    /// An issuer of `template`'s roles; `clock` sets their `VALID UNTIL`.
    pub fn new(pool: PgPool, template: RoleTemplate, clock: SharedClock) -> Self {
        Self {
            pool,
            template,
            clock,
            audit: Arc::new(NoopSink),
        }
    }

    /// Where issuances and drops are audited.
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = sink;
        self
    }

    fn emit(&self, action: AuditAction, outcome: Outcome, role: &str, agent: Option<&str>) {
        if !self.audit.enabled() {
            return;
        }
        let mut event = AuditEvent::new(self.clock.now(), action, outcome)
            .detail("role", role.to_owned())
            .detail("kind", "database");
        if let Some(agent) = agent {
            event = event.agent(agent.to_owned());
        }
        self.audit.record(&event);
    }

    /// Creates a role that can log in until now + the template's lifetime, member
    /// of the template's roles, and returns its credential. All or nothing: a
    /// failed grant leaves no role behind.
    pub async fn issue_role(&self, agent: &str) -> Result<Credential, VaultError> {
        self.create_role(agent, &self.template, self.template.ttl)
            .await
            .map(Lease::into_credential)
    }

    /// [`JitIssuer::issue`]: a role of `template` (which must share this
    /// issuer's prefix, so that revocation and the sweep own it) valid `ttl`
    /// seconds.
    async fn create_role(
        &self,
        agent: &str,
        template: &RoleTemplate,
        ttl: i64,
    ) -> Result<Lease, VaultError> {
        if template.prefix != self.template.prefix {
            return Err(VaultError::Invalid(
                "the template's prefix is not this issuer's".into(),
            ));
        }
        template.check_ttl(ttl)?;
        let suffix: String = random_bytes::<8>()?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name =
            Identifier::new(&format!("{}_{suffix}", template.prefix.as_str())).map_err(storage)?;
        let mut raw = random_bytes::<32>()?;
        let password = SecretString::new(agent_auth::jose::base64url::encode(raw));
        raw.zeroize();
        let verifier = pg_store::password_verifier(password.expose_secret().as_bytes());
        let expires_at = self.clock.now().saturating_add(ttl);
        let owned = template.clone();
        let role = name.clone();
        let created = self
            .pool
            .run({
                let pool = self.pool.clone();
                async move {
                    let mut client = pool.client().await?;
                    let tx = client.transaction().await?;
                    let until: String = tx
                        .query_one(
                            "SELECT to_char(to_timestamp($1::FLOAT8) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'",
                            &[&(expires_at as f64)],
                        )
                        .await?
                        .try_get(0)?;
                    // Literals only from checked identifiers, the verifier (base64 and
                    // `$:`) and the server-formatted time.
                    tx.batch_execute(&format!(
                        "CREATE ROLE {} LOGIN PASSWORD '{verifier}' VALID UNTIL '{until}'",
                        role.quoted()
                    ))
                    .await?;
                    for grant in &owned.grants {
                        tx.batch_execute(&format!(
                            "GRANT {} TO {}",
                            grant.quoted(),
                            role.quoted()
                        ))
                        .await?;
                    }
                    tx.commit().await?;
                    Ok::<_, PgError>(())
                }
            })
            .await
            .map_err(storage)?;
        if let Err(e) = created {
            self.emit(
                AuditAction::TokenIssued,
                Outcome::Error,
                name.as_str(),
                Some(agent),
            );
            return Err(storage(e));
        }
        self.emit(
            AuditAction::TokenIssued,
            Outcome::Success,
            name.as_str(),
            Some(agent),
        );
        let credential = Credential::Database {
            username: name.as_str().to_owned(),
            password,
            host: template.host.clone(),
            database: template.database.clone(),
            expires_at: Some(expires_at),
        };
        Ok(Lease::new(name.as_str(), agent, credential, expires_at))
    }

    /// Ends the sessions of `username` and drops the role (logout, revocation).
    /// Only roles of this issuer's template are dropped; returns whether it existed.
    pub async fn drop_role(&self, username: &str) -> Result<bool, VaultError> {
        if !self.template.owns(username) {
            return Err(VaultError::Invalid(
                "not a role of this issuer's template".into(),
            ));
        }
        let role = Identifier::new(username).map_err(storage)?;
        let pool = self.pool.clone();
        let dropped = self
            .pool
            .run(async move {
                let client = pool.client().await?;
                let existed: bool = client
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                        &[&role.as_str()],
                    )
                    .await?
                    .try_get(0)?;
                // Refuse new logins first, then end the open sessions, then drop.
                if existed {
                    client
                        .batch_execute(&format!("ALTER ROLE {} NOLOGIN", role.quoted()))
                        .await?;
                    client
                        .execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                            &[&role.as_str()],
                        )
                        .await?;
                }
                client
                    .batch_execute(&format!("DROP ROLE IF EXISTS {}", role.quoted()))
                    .await?;
                Ok::<_, PgError>(existed)
            })
            .await
            .map_err(storage)?
            .map_err(storage)?;
        self.emit(AuditAction::TokenRevoked, Outcome::Success, username, None);
        Ok(dropped)
    }

    /// Drops the role of `credential` (a credential this issuer issued).
    pub async fn drop_credential(&self, credential: &Credential) -> Result<bool, VaultError> {
        match credential {
            Credential::Database { username, .. } => self.drop_role(username).await,
            _ => Err(VaultError::Invalid("not a database credential".into())),
        }
    }

    /// Drops every role of this template whose `VALID UNTIL` has passed on the
    /// issuer's clock; returns how many.
    pub async fn drop_expired(&self) -> Result<usize, VaultError> {
        let now = self.clock.now() as f64;
        let pattern = format!("{}\\_%", self.template.prefix.as_str());
        let pool = self.pool.clone();
        let names: Vec<String> = self
            .pool
            .run(async move {
                let client = pool.client().await?;
                let rows = client
                    .query(
                        "SELECT rolname FROM pg_roles WHERE rolname LIKE $1 AND rolvaliduntil <= to_timestamp($2::FLOAT8)",
                        &[&pattern, &now],
                    )
                    .await?;
                rows.iter()
                    .map(|r| r.try_get::<_, String>(0))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(PgError::from)
            })
            .await
            .map_err(storage)?
            .map_err(storage)?;
        let mut dropped = 0;
        for name in names.iter().filter(|n| self.template.owns(n)) {
            if self.drop_role(name).await? {
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}

#[async_trait::async_trait]
impl JitIssuer for PgRoleIssuer {
    type Template = RoleTemplate;

    async fn issue(
        &self,
        agent: &str,
        template: &RoleTemplate,
        ttl: i64,
    ) -> Result<Lease, VaultError> {
        self.create_role(agent, template, ttl).await
    }

    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError> {
        self.drop_role(lease.id()).await
    }

    async fn sweep_expired(&self) -> Result<usize, VaultError> {
        self.drop_expired().await
    }

    /// The role name, for a role of this issuer's template.
    fn lease_id(&self, credential: &Credential) -> Option<String> {
        match credential {
            Credential::Database { username, .. } if self.template.owns(username) => {
                Some(username.clone())
            }
            _ => None,
        }
    }
}

#[async_trait::async_trait]
impl Rotator for PgRoleIssuer {
    async fn issue(
        &self,
        key: &CredentialKey,
        _current: &Credential,
    ) -> Result<Credential, RotationError> {
        self.issue_role(&key.user)
            .await
            .map_err(|e| RotationError::new(e.reason()))
    }

    async fn retire(&self, _key: &CredentialKey, old: &Credential) -> Result<(), RotationError> {
        self.drop_credential(old)
            .await
            .map(drop)
            .map_err(|e| RotationError::new(e.reason()))
    }

    async fn discard(&self, key: &CredentialKey, new: &Credential) -> Result<(), RotationError> {
        self.retire(key, new).await
    }
}
