//! Emergency rotation of an agent's credentials: a new client secret or a new
//! JWK Set at once (the old one stops working immediately), the privileged
//! credentials it uses in the vault through a hook, and a CAEP
//! `credential-change` SET about the agent.

use super::KillSwitch;
use super::report::KillSwitchError;
use crate::Table;
use crate::provider::model::{ClientAuthMethod, ClientRecord};
use crate::signals::{ChangeType, Event, EventKind, Queued, SubjectId};
use agent_auth::audit::{AuditAction, Outcome};

agent_auth::secret_type!(
    /// A client secret, shown once to the operator who rotated it.
    ClientSecret
);

/// Rotates what an agent holds outside the authority (vaulted API keys,
/// service-account credentials) when its own credentials are rotated in an
/// emergency. Returns the names of what was rotated (never the values).
#[async_trait::async_trait]
pub trait CredentialHook: Send + Sync + std::fmt::Debug {
    /// Rotates the privileged credentials of `agent`.
    async fn rotate(&self, agent: &str, reason: &str) -> Result<Vec<String>, String>;
}

/// What an emergency rotation did.
#[derive(Debug)]
#[non_exhaustive]
pub struct RotationReport {
    /// The new secret, for a secret client (hand it to the agent's operator).
    pub new_secret: Option<ClientSecret>,
    /// What the hook rotated.
    pub vault_rotated: Vec<String>,
    /// Why the hook failed, if it did (the authority's rotation stands).
    pub vault_error: Option<String>,
    /// The `credential-change` SETs queued.
    pub signals: Vec<Queued>,
}

impl KillSwitch {
    /// Replaces the client secret of a secret agent with a fresh random one.
    pub async fn rotate_agent_secret(
        &self,
        agent: &str,
        reason: &str,
    ) -> Result<RotationReport, KillSwitchError> {
        let secret = crate::provider::crypto::random_value().ok_or(KillSwitchError::Unavailable)?;
        let digest = crate::provider::clients::secret_digest(&secret);
        self.replace(agent, "client_secret", |r| {
            match r.auth_method {
                ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {}
                _ => return Err(KillSwitchError::WrongCredentialKind("a client secret")),
            }
            r.secret_digest = Some(digest.clone());
            Ok(())
        })?;
        let mut report = self.after_rotation(agent, "client_secret", reason).await?;
        report.new_secret = Some(ClientSecret::new(secret));
        Ok(report)
    }

    /// Replaces the public keys of a `private_key_jwt` agent with `jwks`.
    pub async fn rotate_agent_keys(
        &self,
        agent: &str,
        jwks: &str,
        reason: &str,
    ) -> Result<RotationReport, KillSwitchError> {
        agent_auth::validate::StaticKeys::from_jwks(jwks.as_bytes())
            .map_err(|_| KillSwitchError::InvalidKeys)?;
        self.replace(agent, "jwks", |r| {
            if r.auth_method != ClientAuthMethod::PrivateKeyJwt {
                return Err(KillSwitchError::WrongCredentialKind("private_key_jwt"));
            }
            r.jwks = Some(jwks.to_owned());
            Ok(())
        })?;
        self.after_rotation(agent, "jwks", reason).await
    }

    /// Changes the client record atomically; a refusal changes nothing.
    fn replace(
        &self,
        agent: &str,
        kind: &'static str,
        change: impl Fn(&mut ClientRecord) -> Result<(), KillSwitchError>,
    ) -> Result<(), KillSwitchError> {
        let a = &self.authority;
        let outcome = a
            .tables()
            .update::<ClientRecord, Result<(), KillSwitchError>>(Table::Clients, agent, |cur| {
                match cur {
                    None => (None, Err(KillSwitchError::UnknownAgent)),
                    Some(mut r) => match change(&mut r) {
                        Ok(()) => (Some(r), Ok(())),
                        Err(e) => (None, Err(e)),
                    },
                }
            })?;
        if let Err(e) = &outcome {
            a.audit(AuditAction::KeyRotated, Outcome::Denied, |ev| {
                ev.agent(agent.to_owned())
                    .reason(e.to_string())
                    .detail("credential", kind)
            });
        }
        outcome?;
        a.forget_client_keys(agent);
        Ok(())
    }

    async fn after_rotation(
        &self,
        agent: &str,
        kind: &'static str,
        reason: &str,
    ) -> Result<RotationReport, KillSwitchError> {
        let a = &self.authority;
        let (vault_rotated, vault_error) = match &self.credentials {
            Some(hook) => match hook.rotate(agent, reason).await {
                Ok(names) => (names, None),
                Err(e) => (Vec::new(), Some(e)),
            },
            None => (Vec::new(), None),
        };
        a.audit(AuditAction::KeyRotated, Outcome::Success, |e| {
            let e = e
                .agent(agent.to_owned())
                .reason(reason.to_owned())
                .detail("credential", kind)
                .detail("emergency", true)
                .detail("vault_rotated", vault_rotated.clone());
            match &vault_error {
                Some(err) => e.detail("vault_error", err.clone()),
                None => e,
            }
        });
        let signals = match &self.signals {
            Some(t) => {
                let txn =
                    crate::provider::crypto::random_value().ok_or(KillSwitchError::Unavailable)?;
                let event = Event::new(
                    EventKind::CredentialChange {
                        credential_type: kind.into(),
                        change_type: ChangeType::Update,
                    },
                    a.now(),
                )
                .reason_admin(reason);
                let subject =
                    SubjectId::complex([("application", SubjectId::Opaque(agent.to_owned()))]);
                let queued = t
                    .emit(&subject, &event, &txn)
                    .map_err(|_| KillSwitchError::Unavailable)?;
                t.flush().await;
                queued
            }
            None => Vec::new(),
        };
        Ok(RotationReport {
            new_secret: None,
            vault_rotated,
            vault_error,
            signals,
        })
    }
}
