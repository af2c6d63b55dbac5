//! Migrations against a real server: applied once however many instances open
//! the database at the same time, refused when the database is newer, and all or
//! nothing when a step fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pg_store::testing::fresh_database;
use pg_store::{Migration, PgError, PgPool, migrate, schema_version};

const STEPS: &[Migration] = &[
    Migration {
        version: 1,
        name: "widgets",
        sql: "CREATE TABLE widgets (id BIGINT PRIMARY KEY)",
    },
    Migration {
        version: 2,
        name: "widget names",
        sql: "ALTER TABLE widgets ADD COLUMN name TEXT",
    },
];

fn open(pool: &PgPool, steps: &[Migration]) -> Result<usize, PgError> {
    let mut client = pool.client_blocking()?;
    pool.block_on(migrate(&mut client, "widgets", steps))
}

fn version(pool: &PgPool) -> i64 {
    let client = pool.client_blocking().unwrap();
    pool.block_on(schema_version(&client, "widgets")).unwrap()
}

#[test]
fn opening_twice_applies_each_step_once() {
    let Some(db) = fresh_database("open_twice").unwrap() else {
        return;
    };
    let pool = db.pool().unwrap();
    assert_eq!(version(&pool), 0);
    assert_eq!(open(&pool, STEPS).unwrap(), 2);
    assert_eq!(open(&pool, STEPS).unwrap(), 0);
    assert_eq!(version(&pool), 2);
}

#[test]
fn concurrent_opens_apply_each_step_once() {
    let Some(db) = fresh_database("concurrent_opens").unwrap() else {
        return;
    };
    let pools: Vec<PgPool> = (0..4).map(|_| db.pool().unwrap()).collect();
    let applied: usize = std::thread::scope(|s| {
        let handles: Vec<_> = pools
            .iter()
            .map(|p| s.spawn(move || open(p, STEPS).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(applied, 2);
    let client = pools[0].client_blocking().unwrap();
    let rows = pools[0]
        .block_on(client.query(
            "SELECT version FROM schema_version WHERE component = 'widgets' ORDER BY version",
            &[],
        ))
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2]);
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(db) = fresh_database("newer_schema").unwrap() else {
        return;
    };
    let pool = db.pool().unwrap();
    open(&pool, STEPS).unwrap();
    let older = &STEPS[..1];
    assert!(matches!(
        open(&pool, older),
        Err(PgError::SchemaTooNew {
            found: 2,
            known: 1,
            ..
        })
    ));
}

#[test]
fn a_failing_step_changes_nothing() {
    let Some(db) = fresh_database("failing_step").unwrap() else {
        return;
    };
    let pool = db.pool().unwrap();
    let broken = [
        STEPS[0],
        Migration {
            version: 2,
            name: "broken",
            sql: "ALTER TABLE no_such_table ADD COLUMN x TEXT",
        },
    ];
    assert!(matches!(open(&pool, &broken), Err(PgError::Query(_))));
    assert_eq!(version(&pool), 0);
    let client = pool.client_blocking().unwrap();
    let exists: bool = pool
        .block_on(client.query_one("SELECT to_regclass('widgets') IS NOT NULL", &[]))
        .unwrap()
        .get(0);
    assert!(!exists, "step 1 was rolled back with step 2");
}

#[test]
fn steps_out_of_order_are_refused() {
    let Some(db) = fresh_database("out_of_order").unwrap() else {
        return;
    };
    let pool = db.pool().unwrap();
    let reversed = [STEPS[1], STEPS[0]];
    assert!(matches!(
        open(&pool, &reversed),
        Err(PgError::MigrationOrder(_))
    ));
}
