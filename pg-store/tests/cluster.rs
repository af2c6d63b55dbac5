//! The throwaway cluster: reachable with its password only, and gone (server
//! stopped, files removed) when its last database is dropped, panics included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pg_store::testing::{SUPERUSER, TestCluster, find_bin_dir, fresh_database, required};
use pg_store::{PgConfig, PgPool};

#[test]
fn the_cluster_needs_the_password_on_tcp() {
    let Some(db) = fresh_database("password").unwrap() else {
        return;
    };
    let wrong = db
        .cluster()
        .url_as(SUPERUSER, "not-the-password", db.name());
    assert!(PgPool::connect(PgConfig::parse(&wrong).unwrap()).is_err());
    let pool = db.pool().unwrap();
    let client = pool.client_blocking().unwrap();
    let one: i32 = pool
        .block_on(client.query_one("SELECT 1::INT4", &[]))
        .unwrap()
        .get(0);
    assert_eq!(one, 1);
}

#[test]
fn the_cluster_is_stopped_and_removed_after_a_panic() {
    // Its own cluster, not the one the process's other tests share.
    let Some(bin) = find_bin_dir() else {
        assert!(!required(), "PostgreSQL server binaries not found");
        println!("PostgreSQL suites NOT run: server binaries not found");
        return;
    };
    let cluster = TestCluster::start(&bin).unwrap();
    let (port, root) = (cluster.port(), cluster.root().to_owned());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let outcome = std::thread::spawn(move || {
        let _guard = cluster;
        panic!("a failing test");
    })
    .join();
    assert!(outcome.is_err());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server still listens after the guard dropped"
    );
    assert!(!root.exists(), "the cluster's files are still there");
}
