//! Child process of the crash test: writes and refreshes credentials in a
//! SQLite vault forever, printing `ACK <user> <connection> <version>` after
//! each durable write. The test kills it with SIGKILL at random points.
//!
//! Usage: `vault-crash-child <db-path>`, master keys in `TOKEN_VAULT_MASTER_KEYS`.

use agent_auth::secret::SecretString;
use std::io::Write as _;
use std::sync::Arc;
use token_vault_client::{
    Accessor, ConnectionConfig, Credential, CredentialKey, EnvKeyProvider, RefreshError,
    RefreshedTokens, SqliteVaultStore, TokenRefresher, TokenSet, Vault, VaultStore,
};

/// Rotates `rt-<user>-<conn>-<n>` into version `n + 1` tokens.
#[derive(Debug)]
struct Rotator;

#[async_trait::async_trait]
impl TokenRefresher for Rotator {
    async fn refresh(
        &self,
        refresh_token: &SecretString,
        _scopes: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        let rt = refresh_token.expose_secret();
        let (prefix, n) = rt
            .rsplit_once('-')
            .ok_or_else(|| RefreshError::Transient("bad token".into()))?;
        let n: u64 = n
            .parse()
            .map_err(|_| RefreshError::Transient("bad token".into()))?;
        let body = prefix.trim_start_matches("rt-");
        Ok(RefreshedTokens {
            access_token: SecretString::new(format!("at-{body}-{}", n + 1)),
            refresh_token: Some(SecretString::new(format!("rt-{body}-{}", n + 1))),
            // Already due, so that the next read refreshes again.
            expires_in: Some(-10),
            scopes: None,
            token_type: None,
        })
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("crash child: {msg}");
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(path) = std::env::args().nth(1) else {
        fail("usage: vault-crash-child <db>")
    };
    let keys = EnvKeyProvider::from_var(EnvKeyProvider::DEFAULT_VAR)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap_or_else(|e| fail(&e.to_string())));
    let vault = Vault::builder(store.clone(), Arc::new(keys)).build();
    let users = ["alice", "bob", "carol"];
    let connections = ["google", "slack", "github", "salesforce"];
    for c in connections {
        vault.add_connection(ConnectionConfig::new(c).refresher(Arc::new(Rotator)));
    }
    let mut out = std::io::stdout().lock();
    let mut i: u64 = std::process::id().into();
    loop {
        i = i
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let user = users
            .get((i >> 33) as usize % users.len())
            .copied()
            .unwrap_or("alice");
        let conn = connections
            .get((i >> 40) as usize % connections.len())
            .copied()
            .unwrap_or("google");
        let key = CredentialKey::new("acme", user, conn);
        let current = store.get(&key).unwrap_or_else(|e| fail(&e.to_string()));
        let accessor = Accessor::trusted_system("acme", user, "crash-test");
        if current.is_some() && (i >> 50).is_multiple_of(2) {
            // Refresh: the stored token is already due.
            if let Err(e) = vault.get(&accessor, conn, &[]).await {
                fail(&e.to_string());
            }
        } else {
            let v = current.map_or(0, |r| r.version) + 1;
            let body = format!("{user}-{conn}");
            let cred = Credential::OAuth(TokenSet {
                access_token: SecretString::new(format!("at-{body}-{v}")),
                refresh_token: Some(SecretString::new(format!("rt-{body}-{v}"))),
                expires_at: Some(0),
                scopes: vec!["read".into()],
                token_type: "Bearer".into(),
            });
            if let Err(e) = vault.put(&key, &cred) {
                fail(&e.to_string());
            }
        }
        let version = store
            .get(&key)
            .unwrap_or_else(|e| fail(&e.to_string()))
            .map_or(0, |r| r.version);
        if writeln!(out, "ACK {user} {conn} {version}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}
