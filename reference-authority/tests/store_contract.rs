//! The contract of `Store`, run on every backend: memory, SQLite and PostgreSQL
//! (two instances on one database for the concurrency rules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reference_authority::store::Update;
use reference_authority::{MemoryStore, Store, Table};
use std::sync::Arc;

/// Every rule of the contract on `a`; `b` is the same storage seen by another
/// instance (the same value for in-process backends).
fn contract(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a_missing_key_reads_as_none(a);
    put_then_get_and_overwrite(a, b);
    delete_reports_whether_the_key_existed(a, b);
    tables_are_separate(a);
    get_many_reads_each_key_in_order(a, b);
    scan_lists_one_table_in_key_order(a);
    update_keep_on_a_missing_key_creates_nothing(a);
    update_puts_and_deletes(a, b);
    concurrent_updates_lose_nothing(a, b);
    a_first_use_is_won_by_exactly_one_caller(a, b);
    put_many_writes_every_entry(a, b);
    update_many_decides_each_key_on_its_current_value(a, b);
    concurrent_batched_updates_lose_nothing(a, b);
    put_async_commits_every_row_of_every_caller(a, b);
}

fn a_missing_key_reads_as_none(s: &Arc<dyn Store>) {
    assert_eq!(s.get(Table::Codes, "nothing").unwrap(), None);
}

fn put_then_get_and_overwrite(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.put(Table::Clients, "portal", b"v1").unwrap();
    assert_eq!(b.get(Table::Clients, "portal").unwrap().unwrap(), b"v1");
    b.put(Table::Clients, "portal", b"v2").unwrap();
    assert_eq!(a.get(Table::Clients, "portal").unwrap().unwrap(), b"v2");
    // Bytes are opaque: NUL and non-UTF-8 survive.
    a.put(Table::Keys, "raw", &[0, 255, 1]).unwrap();
    assert_eq!(b.get(Table::Keys, "raw").unwrap().unwrap(), vec![0, 255, 1]);
}

fn delete_reports_whether_the_key_existed(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.put(Table::Sessions, "s1", b"x").unwrap();
    assert!(b.delete(Table::Sessions, "s1").unwrap());
    assert!(!a.delete(Table::Sessions, "s1").unwrap());
    assert_eq!(a.get(Table::Sessions, "s1").unwrap(), None);
}

fn tables_are_separate(s: &Arc<dyn Store>) {
    s.put(Table::Users, "same", b"user").unwrap();
    s.put(Table::Extension("ciba_requests"), "same", b"ciba")
        .unwrap();
    assert_eq!(s.get(Table::Users, "same").unwrap().unwrap(), b"user");
    assert_eq!(
        s.get(Table::Extension("ciba_requests"), "same")
            .unwrap()
            .unwrap(),
        b"ciba"
    );
    assert_eq!(s.get(Table::UserNames, "same").unwrap(), None);
}

fn get_many_reads_each_key_in_order(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.put(Table::Interactions, "i1", b"first").unwrap();
    a.put(Table::Extension("disabled_clients"), "i1", b"other")
        .unwrap();
    let keys = [
        (Table::Extension("disabled_clients"), "i1"),
        (Table::Interactions, "missing"),
        (Table::Interactions, "i1"),
        (Table::Interactions, "i1"),
    ];
    assert_eq!(
        b.get_many(&keys).unwrap(),
        vec![
            Some(b"other".to_vec()),
            None,
            Some(b"first".to_vec()),
            Some(b"first".to_vec())
        ]
    );
    assert!(b.get_many(&[]).unwrap().is_empty());
}

fn scan_lists_one_table_in_key_order(s: &Arc<dyn Store>) {
    for key in ["b", "B", "a", "a-1", "é"] {
        s.put(Table::Consents, key, key.as_bytes()).unwrap();
    }
    s.put(Table::Links, "zz", b"other table").unwrap();
    let keys: Vec<String> = s
        .scan(Table::Consents)
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            assert_eq!(k.as_bytes(), v.as_slice());
            k
        })
        .collect();
    assert_eq!(keys, ["B", "a", "a-1", "b", "é"], "byte order");
    assert!(s.scan(Table::Families).unwrap().is_empty());
}

fn update_keep_on_a_missing_key_creates_nothing(s: &Arc<dyn Store>) {
    let mut seen = Vec::new();
    s.update(Table::Codes, "absent", &mut |v| {
        seen.push(v.map(<[u8]>::to_vec));
        Update::Keep
    })
    .unwrap();
    assert_eq!(seen.last(), Some(&None));
    assert_eq!(s.get(Table::Codes, "absent").unwrap(), None);
}

fn update_puts_and_deletes(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.update(Table::RefreshTokens, "r", &mut |_| {
        Update::Put(b"live".to_vec())
    })
    .unwrap();
    let mut current = None;
    b.update(Table::RefreshTokens, "r", &mut |v| {
        current = v.map(<[u8]>::to_vec);
        Update::Delete
    })
    .unwrap();
    assert_eq!(current.as_deref(), Some(&b"live"[..]));
    assert_eq!(a.get(Table::RefreshTokens, "r").unwrap(), None);
}

/// Read-modify-write through `update` from two instances at once: every
/// increment lands (no lost update).
fn concurrent_updates_lose_nothing(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    const PER_THREAD: u32 = 25;
    let stores = [a, b, a, b];
    std::thread::scope(|scope| {
        for s in stores {
            scope.spawn(move || {
                for _ in 0..PER_THREAD {
                    s.update(Table::Families, "counter", &mut |v| {
                        let n = v.map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()));
                        Update::Put((n + 1).to_be_bytes().to_vec())
                    })
                    .unwrap();
                }
            });
        }
    });
    let total = a.get(Table::Families, "counter").unwrap().unwrap();
    assert_eq!(
        u32::from_be_bytes(total.as_slice().try_into().unwrap()),
        PER_THREAD * 4
    );
}

/// The replay rule's shape: "record the `jti` unless it was seen" from several
/// callers on several instances at once admits exactly one of them.
fn a_first_use_is_won_by_exactly_one_caller(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    for round in 0..10 {
        let key = format!("jti-{round}");
        let stores = [a, b, a, b, a, b];
        let winners: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = stores
                .into_iter()
                .map(|s| {
                    let key = key.clone();
                    scope.spawn(move || {
                        let mut won = false;
                        s.update(Table::AssertionJti, &key, &mut |v| {
                            won = v.is_none();
                            if won {
                                Update::Put(b"seen".to_vec())
                            } else {
                                Update::Keep
                            }
                        })
                        .unwrap();
                        usize::from(won)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(winners, 1, "round {round}");
    }
}

fn put_many_writes_every_entry(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    let table = Table::Extension("ssf_outbox");
    a.put(table, "s1/old", b"overwritten").unwrap();
    a.put_many(
        table,
        &[("s1/old", b"v0"), ("s1/new", b"v1"), ("s2/x", &[0, 255])],
    )
    .unwrap();
    let keys: Vec<(String, Vec<u8>)> = b.scan(table).unwrap();
    assert_eq!(
        keys,
        vec![
            ("s1/new".to_owned(), b"v1".to_vec()),
            ("s1/old".to_owned(), b"v0".to_vec()),
            ("s2/x".to_owned(), vec![0, 255]),
        ]
    );
    a.put_many(table, &[]).unwrap();
    assert_eq!(b.scan(table).unwrap().len(), 3);
}

fn update_many_decides_each_key_on_its_current_value(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    let table = Table::Extension("batched");
    a.put(table, "keep", b"k").unwrap();
    a.put(table, "bump", b"1").unwrap();
    a.put(table, "gone", b"g").unwrap();
    let mut seen = Vec::new();
    b.update_many(table, &["keep", "bump", "gone", "new"], &mut |i, v| {
        seen.push((i, v.map(<[u8]>::to_vec)));
        match i {
            1 => Update::Put(b"2".to_vec()),
            2 => Update::Delete,
            3 => Update::Put(b"created".to_vec()),
            _ => Update::Keep,
        }
    })
    .unwrap();
    assert_eq!(
        seen,
        vec![
            (0, Some(b"k".to_vec())),
            (1, Some(b"1".to_vec())),
            (2, Some(b"g".to_vec())),
            (3, None),
        ]
    );
    assert_eq!(a.get(table, "keep").unwrap().unwrap(), b"k");
    assert_eq!(a.get(table, "bump").unwrap().unwrap(), b"2");
    assert_eq!(a.get(table, "gone").unwrap(), None);
    assert_eq!(a.get(table, "new").unwrap().unwrap(), b"created");
}

/// Batched read-modify-writes of overlapping keys, given in opposite orders,
/// from two instances at once: every increment of every key lands, and
/// nothing deadlocks.
fn concurrent_batched_updates_lose_nothing(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    const PER_THREAD: u32 = 10;
    let table = Table::Extension("batched_counters");
    let orders: [&[&str]; 2] = [&["c1", "c2", "c3"], &["c3", "c2", "c1"]];
    std::thread::scope(|scope| {
        for (s, keys) in [
            (a, orders[0]),
            (b, orders[1]),
            (a, orders[1]),
            (b, orders[0]),
        ] {
            scope.spawn(move || {
                for _ in 0..PER_THREAD {
                    s.update_many(table, keys, &mut |_, v| {
                        let n = v.map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()));
                        Update::Put((n + 1).to_be_bytes().to_vec())
                    })
                    .unwrap();
                }
            });
        }
    });
    for key in ["c1", "c2", "c3"] {
        let total = a.get(table, key).unwrap().unwrap();
        assert_eq!(
            u32::from_be_bytes(total.as_slice().try_into().unwrap()),
            PER_THREAD * 4,
            "{key}"
        );
    }
}

/// Asynchronous writes of several callers at once (committed together by a
/// database store) all land, and an overwrite in a later write wins.
fn put_async_commits_every_row_of_every_caller(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    const LEDGER: Table = Table::Extension("issued_access_tokens");
    std::thread::scope(|scope| {
        for caller in 0..8 {
            let s = if caller % 2 == 0 { a } else { b };
            scope.spawn(move || {
                let rows = (0..3)
                    .map(|i| {
                        (
                            format!("jti-{caller}-{i}"),
                            format!("{caller}/{i}").into_bytes(),
                        )
                    })
                    .collect();
                futures::executor::block_on(s.put_async(LEDGER, rows)).unwrap();
            });
        }
    });
    for caller in 0..8 {
        for i in 0..3 {
            assert_eq!(
                b.get(LEDGER, &format!("jti-{caller}-{i}")).unwrap(),
                Some(format!("{caller}/{i}").into_bytes())
            );
        }
    }
    futures::executor::block_on(a.put_async(LEDGER, vec![("jti-0-0".into(), b"again".to_vec())]))
        .unwrap();
    assert_eq!(b.get(LEDGER, "jti-0-0").unwrap(), Some(b"again".to_vec()));
    futures::executor::block_on(a.put_async(LEDGER, Vec::new())).unwrap();
    assert_eq!(a.scan(LEDGER).unwrap().len(), 24);
}

#[test]
fn memory_store_keeps_the_contract() {
    let s: Arc<dyn Store> = Arc::new(MemoryStore::new());
    contract(&s, &s);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Store> =
        Arc::new(reference_authority::SqliteStore::open(dir.path().join("a.sqlite")).unwrap());
    contract(&s, &s);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store_keeps_the_contract_across_two_instances() {
    let Some(db) = pg_store::testing::fresh_database("store_contract").unwrap() else {
        return;
    };
    let a: Arc<dyn Store> =
        Arc::new(reference_authority::PgStore::open(db.pool().unwrap()).unwrap());
    let b: Arc<dyn Store> = Arc::new(reference_authority::PgStore::connect(&db.url()).unwrap());
    contract(&a, &b);
}

/// Client records are cached by each instance; a write at another instance
/// reaches the cache through the database's notification (waited for here,
/// with a bound that fails the test).
#[cfg(feature = "postgres")]
#[test]
fn postgres_client_records_written_at_one_instance_are_seen_at_the_other() {
    let Some(db) = pg_store::testing::fresh_database("store_cache").unwrap() else {
        return;
    };
    let a: Arc<dyn Store> =
        Arc::new(reference_authority::PgStore::open(db.pool().unwrap()).unwrap());
    let b: Arc<dyn Store> = Arc::new(reference_authority::PgStore::connect(&db.url()).unwrap());
    let disabled = Table::Extension("disabled_clients");
    let eventually = |what: &str, pick: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !pick() {
            assert!(
                std::time::Instant::now() < deadline,
                "instance a never saw {what}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    // Read (and cached) at a as missing, then written at b.
    assert_eq!(a.get(Table::Clients, "agent").unwrap(), None);
    assert_eq!(
        a.get_many(&[(Table::Clients, "agent"), (disabled, "agent")])
            .unwrap(),
        vec![None, None]
    );
    b.put(Table::Clients, "agent", b"v1").unwrap();
    eventually("the registration", &|| {
        a.get(Table::Clients, "agent").unwrap() == Some(b"v1".to_vec())
    });
    b.update(disabled, "agent", &mut |_| Update::Put(b"1".to_vec()))
        .unwrap();
    eventually("the disabling", &|| {
        a.get_many(&[(Table::Clients, "agent"), (disabled, "agent")])
            .unwrap()
            == vec![Some(b"v1".to_vec()), Some(b"1".to_vec())]
    });
    assert!(b.delete(disabled, "agent").unwrap());
    eventually("the enabling", &|| {
        a.get(disabled, "agent").unwrap().is_none()
    });
    // The writing instance sees its own write at once.
    a.put(Table::Clients, "agent", b"v2").unwrap();
    assert_eq!(
        a.get(Table::Clients, "agent").unwrap(),
        Some(b"v2".to_vec())
    );
    // A key too long for a notification payload still invalidates (everything).
    let long = "x".repeat(8_000);
    assert_eq!(a.get(Table::Clients, &long).unwrap(), None);
    b.put(Table::Clients, &long, b"long").unwrap();
    eventually("the long key", &|| {
        a.get(Table::Clients, &long).unwrap() == Some(b"long".to_vec())
    });
}
