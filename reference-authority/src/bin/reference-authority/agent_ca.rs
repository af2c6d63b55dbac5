//! The `[agent_ca]` table (feature `certs`): the vault's agent CA of one
//! trust domain, whose CRL and CA certificate the authority serves at
//! `<issuer>/agent-ca/<trust-domain>/crl` and `.../ca.crt`. That CRL URL is
//! the distribution point the CA names.
//!
//! The CA key and its revocation list are read from the vault's SQLite
//! file, which the process that issues the certificates writes; each CRL
//! lists the revocations stored at the time it is fetched.
//!
//! ```toml
//! [agent_ca]
//! trust_domain = "acme.example"
//! vault = "vault.sqlite"
//! master_keys_file = "vault-keys"   # else TOKEN_VAULT_MASTER_KEYS
//! create = false                    # create the CA if the vault holds none
//! ```

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(feature = "certs"), allow(dead_code))]
pub(crate) struct AgentCaConfig {
    /// The CA's trust domain.
    trust_domain: String,
    /// The vault's SQLite file, holding the CA key and revocation list.
    vault: String,
    /// The vault's master keys, one `id:base64` per line (mode 0600);
    /// without it, the `TOKEN_VAULT_MASTER_KEYS` environment variable.
    master_keys_file: Option<String>,
    /// Creates the CA when the vault holds none for the trust domain.
    #[serde(default)]
    create: bool,
}

impl AgentCaConfig {
    /// The routes of the CA, its CRL distribution point under `issuer`.
    #[cfg(feature = "certs")]
    pub(crate) fn router(&self, issuer: &str) -> Result<axum::Router, Box<dyn std::error::Error>> {
        use reference_authority::agent_ca::{crl_path, router};
        use std::sync::Arc;
        use token_vault_client::certs::{AgentCa, CertError, CertPolicy};
        use token_vault_client::{
            EnvKeyProvider, FileKeyProvider, KeyProvider, SqliteVaultStore, Vault,
        };
        let keys: Arc<dyn KeyProvider> = match &self.master_keys_file {
            Some(path) => Arc::new(FileKeyProvider::open(path)?),
            None => Arc::new(EnvKeyProvider::from_var(EnvKeyProvider::DEFAULT_VAR)?),
        };
        let vault = Vault::builder(Arc::new(SqliteVaultStore::open(&self.vault)?), keys).build();
        let ca = match AgentCa::open(&vault, &self.trust_domain, CertPolicy::default()) {
            Err(CertError::NoCa) if self.create => {
                AgentCa::create(&vault, &self.trust_domain, CertPolicy::default())?
            }
            Err(CertError::NoCa) => {
                return Err(format!(
                    "the vault holds no agent CA for {} (create = true creates one)",
                    self.trust_domain
                )
                .into());
            }
            other => other?,
        };
        let url = format!(
            "{}{}",
            issuer.trim_end_matches('/'),
            crl_path(&self.trust_domain)
        );
        Ok(router(Arc::new(ca.crl_distribution_point(&url)?)))
    }

    /// Without the `certs` feature there is no CA to serve.
    #[cfg(not(feature = "certs"))]
    pub(crate) fn router(&self, _issuer: &str) -> Result<axum::Router, Box<dyn std::error::Error>> {
        Err("an [agent_ca] table needs the `certs` feature".into())
    }
}
