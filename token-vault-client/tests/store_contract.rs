//! The contract of `VaultStore` on every backend: compare-and-swap on the
//! version, conditional deletes, per-user wipes, listing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use token_vault_client::store::{MemoryVaultStore, RecordFormat, SealedRecord, Status, VaultStore};
use token_vault_client::{CredentialKey, CredentialKind, VaultError};

fn record(user: &str, connection: &str, version: u64) -> SealedRecord {
    SealedRecord {
        key: CredentialKey::new("acme", user, connection),
        version,
        kind: CredentialKind::OAuth,
        scopes: vec!["calendar".into(), "email".into()],
        expires_at: Some(1_800_000_000),
        sealed_at: Some(1_799_999_000),
        master_key_id: "m1".into(),
        wrapped_key: vec![1, 0, 255],
        nonce: vec![7; 12],
        ciphertext: vec![0, 1, 2, 3],
        status: Status::Active,
        format: RecordFormat::CURRENT,
    }
}

fn contract(a: &dyn VaultStore, b: &dyn VaultStore) {
    let first = record("alice", "google", 1);
    a.put(&first, 0).unwrap();
    assert_eq!(b.get(&first.key).unwrap().unwrap(), first);
    // A second first write loses: the version moved.
    assert!(matches!(b.put(&first, 0), Err(VaultError::Conflict)));
    let mut second = record("alice", "google", 2);
    second.status = Status::ConsentRequired;
    second.expires_at = None;
    b.put(&second, 1).unwrap();
    // A writer that read version 1 is refused and changes nothing.
    assert!(matches!(
        a.put(&record("alice", "google", 2), 1),
        Err(VaultError::Conflict)
    ));
    assert_eq!(a.get(&first.key).unwrap().unwrap(), second);
    assert!(!a.delete_version(&first.key, 1).unwrap());
    assert!(a.delete_version(&first.key, 2).unwrap());
    assert_eq!(b.get(&first.key).unwrap(), None);

    a.put(&record("alice", "github", 1), 0).unwrap();
    a.put(&record("alice", "slack", 1), 0).unwrap();
    a.put(&record("bob", "github", 1), 0).unwrap();
    assert_eq!(b.list().unwrap().len(), 3);
    assert_eq!(b.delete_user("acme", "alice").unwrap(), 2);
    assert_eq!(a.delete_user("other-tenant", "bob").unwrap(), 0);
    assert!(
        a.delete(&CredentialKey::new("acme", "bob", "github"))
            .unwrap()
    );
    assert!(
        !a.delete(&CredentialKey::new("acme", "bob", "github"))
            .unwrap()
    );
    assert!(b.list().unwrap().is_empty());
}

#[test]
fn memory_store_keeps_the_contract() {
    let s = MemoryVaultStore::new();
    contract(&s, &s);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let s =
        token_vault_client::store::sqlite::SqliteVaultStore::open(dir.path().join("v.db")).unwrap();
    contract(&s, &s);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store_keeps_the_contract_across_two_instances() {
    use token_vault_client::store::postgres::PgVaultStore;
    let Some(db) = pg_store::testing::fresh_database("vault_contract").unwrap() else {
        return;
    };
    let a = PgVaultStore::open(db.pool().unwrap()).unwrap();
    let b = PgVaultStore::connect(&db.url()).unwrap();
    contract(&a, &b);
}
