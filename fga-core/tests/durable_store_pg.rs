//! The durable tuple store on PostgreSQL: the SQLite store's scenarios (two
//! handles converging, rejected requests, feed paging), plus writers on two
//! handles at once whose changes every handle reads in one order.

#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/durable_scenarios.rs"]
mod scenarios;

use fga_core::durable::{PgTupleStore, Replica, TupleStore};
use fga_core::{Engine, ReadFilter, TupleKey};

fn database(label: &str) -> Option<pg_store::testing::TestDatabase> {
    pg_store::testing::fresh_database(label).unwrap()
}

#[test]
fn durable_store_pg_two_handles_converge() {
    let Some(db) = database("fga_converge") else {
        return;
    };
    scenarios::two_handles_converge(|| PgTupleStore::connect(&db.url()).unwrap());
}

#[test]
fn durable_store_pg_rejected_request_changes_nothing() {
    let Some(db) = database("fga_rejected") else {
        return;
    };
    scenarios::rejected_request_changes_nothing(&PgTupleStore::connect(&db.url()).unwrap());
}

#[test]
fn durable_store_pg_tuple_outside_the_model_never_reaches_the_store() {
    let Some(db) = database("fga_outside_model") else {
        return;
    };
    scenarios::tuple_outside_the_model_never_reaches_the_store(|| {
        PgTupleStore::connect(&db.url()).unwrap()
    });
}

#[test]
fn durable_store_pg_changes_feed_pages_in_change_id_order() {
    let Some(db) = database("fga_pages") else {
        return;
    };
    scenarios::changes_feed_pages_in_change_id_order(&PgTupleStore::connect(&db.url()).unwrap());
}

#[test]
fn durable_store_pg_concurrent_writers_get_gapless_ids_and_converge() {
    let Some(db) = database("fga_concurrent") else {
        return;
    };
    let stores = [
        PgTupleStore::connect(&db.url()).unwrap(),
        PgTupleStore::connect(&db.url()).unwrap(),
    ];
    std::thread::scope(|s| {
        for (n, store) in stores.iter().enumerate() {
            s.spawn(move || {
                for i in 0..30 {
                    store
                        .write(
                            &[TupleKey::new(
                                format!("folder:f{n}-{i}"),
                                "viewer",
                                "user:ann",
                            )],
                            &[],
                        )
                        .unwrap();
                }
            });
        }
    });
    let page = stores[0].read_changes(None, 1000).unwrap();
    let ids: Vec<u64> = page.changes.iter().map(|c| c.id).collect();
    assert_eq!(ids, (1..=60).collect::<Vec<u64>>());
    let replicas: Vec<_> = stores
        .into_iter()
        .map(|s| Replica::open(Engine::from_dsl(scenarios::MODEL).unwrap(), s).unwrap())
        .collect();
    let read = |r: &Replica<PgTupleStore>| r.engine().read(&ReadFilter::default());
    assert_eq!(read(&replicas[0]).len(), 60);
    assert_eq!(read(&replicas[0]), read(&replicas[1]));
}
