//! The reference-authority binary with an `[agent_ca]` table serves the CRL
//! of the agent CA held in a SQLite vault at the distribution point under
//! its issuer: a relying party validates with it, and a revocation made by
//! the process that issues the certificates is in the next CRL. Without a
//! CA in the vault (and `create` off) the binary refuses to start.
#![cfg(feature = "certs")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reference_authority::agent_ca::{certificate_path, crl_path};
use std::path::Path;
use std::sync::Arc;
use token_vault_client::certs::{AgentCa, CertError, CertPolicy, verify_with_crl};
use token_vault_client::{FileKeyProvider, SqliteVaultStore, Vault};

#[path = "common/binary.rs"]
mod binary;
use binary::{command, start};

/// A vault on `dir`'s SQLite file with its key file, and the binary's
/// configuration serving its CA of `acme.example`.
fn set_up(dir: &Path) -> (Vault, std::path::PathBuf) {
    let database = dir.join("vault.sqlite");
    let keys = dir.join("vault-keys");
    FileKeyProvider::write(&keys, &[("m1", [7; 32])]).unwrap();
    let vault = Vault::builder(
        Arc::new(SqliteVaultStore::open(&database).unwrap()),
        Arc::new(FileKeyProvider::open(&keys).unwrap()),
    )
    .build();
    let config = dir.join("authority.toml");
    std::fs::write(
        &config,
        format!(
            "[agent_ca]\ntrust_domain = \"acme.example\"\nvault = \"{}\"\nmaster_keys_file = \"{}\"\n",
            database.display(),
            keys.display()
        ),
    )
    .unwrap();
    (vault, config)
}

async fn fetch(url: &str, content_type: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        content_type
    );
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_vaults_agent_ca_crl_with_revocations_made_by_the_issuing_process() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, config) = set_up(dir.path());
    AgentCa::create(&vault, "acme.example", CertPolicy::default()).unwrap();
    let server = start(&config);

    // The issuing process names the binary's CRL URL as distribution point.
    let crl_url = format!("{}{}", server.issuer, crl_path("acme.example"));
    let ca = AgentCa::open(&vault, "acme.example", CertPolicy::default())
        .unwrap()
        .crl_distribution_point(&crl_url)
        .unwrap();
    let revoked = ca.issue("crm-agent").unwrap();
    let good = ca.issue("mail-agent").unwrap();
    ca.revoke(revoked.serial()).unwrap();

    // The relying party: the CA certificate from the binary, then the CRL.
    let ca_der = fetch(
        &format!("{}{}", server.issuer, certificate_path("acme.example")),
        "application/pkix-cert",
    )
    .await;
    let crl = fetch(&crl_url, "application/pkix-crl").await;
    let now = vault.now();
    assert!(matches!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            revoked.der(),
            "crm-agent",
            now
        ),
        Err(CertError::Revoked)
    ));
    assert_eq!(
        verify_with_crl(&ca_der, &crl, "acme.example", good.der(), "mail-agent", now).unwrap(),
        good.serial()
    );

    // Revoked by the issuing process: in the binary's next CRL.
    ca.revoke(good.serial()).unwrap();
    let crl = fetch(&crl_url, "application/pkix-crl").await;
    assert!(matches!(
        verify_with_crl(&ca_der, &crl, "acme.example", good.der(), "mail-agent", now),
        Err(CertError::Revoked)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_ca_in_the_vault_the_binary_refuses_to_start_unless_told_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, config) = set_up(dir.path());
    let output = command(&config, "127.0.0.1:0").output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "it never listened");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no agent CA for acme.example"), "{stderr}");

    // With `create = true` it creates the CA in the vault and serves it; the
    // issuing process opens that CA, and its certificates chain to it.
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("create = true\n");
    std::fs::write(&config, text).unwrap();
    let server = start(&config);
    let ca_der = fetch(
        &format!("{}{}", server.issuer, certificate_path("acme.example")),
        "application/pkix-cert",
    )
    .await;
    let crl_url = format!("{}{}", server.issuer, crl_path("acme.example"));
    let crl = fetch(&crl_url, "application/pkix-crl").await;
    let ca = AgentCa::open(&vault, "acme.example", CertPolicy::default())
        .unwrap()
        .crl_distribution_point(&crl_url)
        .unwrap();
    let cert = ca.issue("crm-agent").unwrap();
    assert_eq!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            cert.der(),
            "crm-agent",
            vault.now()
        )
        .unwrap(),
        cert.serial()
    );
}
