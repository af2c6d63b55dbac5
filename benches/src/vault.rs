//! The `vault` group: a hot retrieval from the token vault (cached ciphertext,
//! cached data key, decrypt, scope check, one audit event handed to a sink)
//! against one AES-256-GCM decrypt of the same blob; and the absolute durable
//! write throughput (SQLite, WAL, synchronous=FULL).

use crate::measure::{compare, keep};
use agent_auth::audit::{AuditEvent, AuditSink, Outcome};
use agent_auth::secret::SecretString;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use token_vault_client::{
    Accessor, Credential, CredentialKey, Lookup, MasterKey, MemoryVaultStore, SqliteVaultStore,
    StaticKeyProvider, TokenSet, Vault, VaultStore,
};

fn token_set() -> Credential {
    // A realistic provider token set: a ~900-byte JWT access token.
    let access = format!(
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        "x".repeat(600),
        "s".repeat(342)
    );
    Credential::OAuth(TokenSet {
        access_token: SecretString::new(access),
        refresh_token: Some(SecretString::new("1//0g".to_owned() + &"r".repeat(98))),
        expires_at: Some(i64::MAX / 2),
        scopes: vec![
            "openid".into(),
            "https://www.googleapis.com/auth/calendar.readonly".into(),
            "https://www.googleapis.com/auth/gmail.send".into(),
        ],
        token_type: "Bearer".into(),
    })
}

/// A sink that receives every event (as a channel or log sink would) and
/// counts the successful reads.
#[derive(Debug, Default)]
struct CountingSink(AtomicU64);

impl AuditSink for CountingSink {
    fn record(&self, event: &AuditEvent) {
        if event.outcome == Outcome::Success && event.user.is_some() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn keys() -> Arc<StaticKeyProvider> {
    Arc::new(StaticKeyProvider::new(
        MasterKey::generate("bench").unwrap_or_else(|e| panic_free_exit(&e.to_string())),
    ))
}

fn panic_free_exit(msg: &str) -> ! {
    eprintln!("vault bench: {msg}");
    std::process::exit(1)
}

/// Runs the group.
pub fn run() {
    let store = Arc::new(MemoryVaultStore::new());
    let sink = Arc::new(CountingSink::default());
    let vault = Vault::builder(store.clone(), keys())
        .audit(sink.clone())
        .build();
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    vault
        .store_for(&alice, "google", &token_set())
        .unwrap_or_else(|e| panic_free_exit(&e.to_string()));
    let scopes = ["https://www.googleapis.com/auth/calendar.readonly"];
    match vault.get_cached(&alice, "google", &scopes) {
        Ok(Lookup::Ready(_)) => {}
        other => panic_free_exit(&format!("hot path not ready: {other:?}")),
    }
    let record = store
        .get(&CredentialKey::new("acme", "alice", "google"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic_free_exit("no record"));

    // Baseline: one AES-256-GCM open of a blob of the same size, prepared key.
    let mut raw = [7u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut raw);
    let key = UnboundKey::new(&AES_256_GCM, &raw)
        .map(LessSafeKey::new)
        .unwrap_or_else(|_| panic_free_exit("key"));
    let nonce = [9u8; 12];
    let aad = vec![1u8; 64];
    let mut blob = vec![0u8; record.ciphertext.len() - AES_256_GCM.tag_len()];
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&aad),
        &mut blob,
    )
    .unwrap_or_else(|_| panic_free_exit("seal"));
    println!("  vault blob: {} bytes of ciphertext", blob.len());

    let baseline = || {
        let mut buf = blob.clone();
        let r = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .map(|p| p.len());
        keep((r, buf));
    };
    let before = sink.0.load(Ordering::Relaxed);
    compare(
        "vault.get_hot.vs_aead",
        || keep(vault.get_cached(&alice, "google", &scopes)),
        baseline,
    );
    println!(
        "  vault.get_hot: {} audit events recorded",
        sink.0.load(Ordering::Relaxed) - before
    );
    // The same read with audit switched off (NoopSink), to show its share.
    let quiet = Vault::builder(Arc::new(MemoryVaultStore::new()), keys()).build();
    quiet
        .store_for(&alice, "google", &token_set())
        .unwrap_or_else(|e| panic_free_exit(&e.to_string()));
    compare(
        "vault.get_hot_unaudited.vs_aead",
        || keep(quiet.get_cached(&alice, "google", &scopes)),
        baseline,
    );

    // Durable writes: each put is a committed, fsynced SQLite transaction.
    let dir = std::env::temp_dir().join(format!("vault-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let store = Arc::new(
        SqliteVaultStore::open(dir.join("vault.db"))
            .unwrap_or_else(|e| panic_free_exit(&e.to_string())),
    );
    let vault = Vault::builder(store, keys()).build();
    let cred = token_set();
    let n = 300u32;
    let start = Instant::now();
    for i in 0..n {
        let key = CredentialKey::new("acme", format!("user-{}", i % 50), "google");
        if let Err(e) = vault.put(&key, &cred) {
            panic_free_exit(&e.to_string());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ABS vault.put_durable {:.0} writes/s ({n} sealed writes, SQLite WAL synchronous=FULL, {:.2} ms each)",
        f64::from(n) / secs,
        secs * 1000.0 / f64::from(n)
    );
    let _ = std::fs::remove_dir_all(&dir);
    crate::vault_filter::run();
}
