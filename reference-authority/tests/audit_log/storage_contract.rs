//! The contract of `LogStore`, run on SQLite and on PostgreSQL: entries and
//! checkpoints, reopening, the query API, tiles, retention that archives
//! without breaking verification, and tamper detection in the stored rows.

use super::common::{ORIGIN, event, signer};
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use agent_auth::clock::ManualClock;
use reference_authority::audit_log::{
    AuditLog, AuditLogError, AuditQuery, Checkpoint, Hash, LogEntry, LogStore, RetentionPolicy,
    TamperError, TilePath, parse_entry_bundle, verify_archive, verify_entry, verify_storage,
};

const N: u64 = 12;

/// One empty storage of a backend: new handles on it, and raw SQL on its rows.
pub(crate) struct Env {
    open: Box<dyn Fn() -> Box<dyn LogStore>>,
    sql: Box<dyn Fn(&str)>,
    _keep: Box<dyn std::any::Any>,
}

impl Env {
    /// A new handle on the storage, as another instance would open it.
    pub(crate) fn open_store(&self) -> Box<dyn LogStore> {
        (self.open)()
    }

    pub(crate) fn log(&self) -> AuditLog {
        AuditLog::from_store(ORIGIN, signer(), (self.open)()).unwrap()
    }

    fn verify(&self) -> Result<reference_authority::audit_log::VerifyReport, TamperError> {
        verify_storage(&*(self.open)(), &signer().verifier(), ORIGIN, &[])
    }
}

/// A log with events `0..n`, appended in batches of three.
fn filled(env: &Env, n: u64) -> AuditLog {
    let log = env.log();
    let events: Vec<AuditEvent> = (0..n).map(event).collect();
    for batch in events.chunks(3) {
        log.append(None, batch).unwrap();
    }
    log
}

/// Every rule, each on a fresh storage from `fresh`.
fn contract(fresh: &dyn Fn(&str) -> Env) {
    appends_number_entries_and_reopen_rebuilds_the_same_tree(&fresh("append"));
    a_logged_event_id_is_appended_once(&fresh("dedupe"));
    queries_filter_on_every_column(&fresh("query"));
    tiles_serve_entries_and_hashes(&fresh("tiles"));
    retention_archives_without_breaking_verification(&fresh("retention"));
    a_modified_row_is_detected(&fresh("modified"));
    a_deleted_row_is_detected(&fresh("deleted"));
}

fn appends_number_entries_and_reopen_rebuilds_the_same_tree(env: &Env) {
    let log = filled(env, N);
    assert_eq!(log.size(), N);
    for i in 0..N {
        let entry = log.entry(i).unwrap();
        assert_eq!((entry.index, entry.event.id.clone()), (i, event(i).id));
    }
    assert!(matches!(log.entry(N), Err(AuditLogError::NotFound(_))));
    let report = env.verify().unwrap();
    assert_eq!((report.entries, report.root), (N, log.root()));
    // One checkpoint per appended batch.
    assert_eq!(report.checkpoints as u64, N.div_ceil(3));
    let reopened = env.log();
    assert_eq!(reopened.root(), log.root());
    assert_eq!(reopened.checkpoint(), log.checkpoint());
    let opened = Checkpoint::open(&log.checkpoint(), &log.verifier(), ORIGIN).unwrap();
    assert_eq!((opened.size, opened.root), (N, log.root()));
}

fn a_logged_event_id_is_appended_once(env: &Env) {
    let log = filled(env, 4);
    let again = log.append(None, &[event(5), event(2), event(5)]).unwrap();
    assert_eq!(again, vec![4, 2, 4]);
    assert_eq!(log.size(), 5);
    assert_eq!(env.verify().unwrap().entries, 5);
}

fn queries_filter_on_every_column(env: &Env) {
    let log = filled(env, N);
    let extra = AuditEvent::new(1_700_000_100, AuditAction::TokenIssued, Outcome::Success)
        .id("extra")
        .agent("other-agent")
        .user("sarah");
    log.append(None, std::slice::from_ref(&extra)).unwrap();
    let all: Vec<AuditEvent> = (0..N).map(event).chain([extra]).collect();
    let ids = |q: AuditQuery| -> Vec<Option<String>> {
        log.query(&q)
            .unwrap()
            .into_iter()
            .map(|e: LogEntry| e.event.id)
            .collect()
    };
    let expect = |keep: &dyn Fn(&AuditEvent) -> bool| -> Vec<Option<String>> {
        all.iter()
            .filter(|e| keep(e))
            .map(|e| e.id.clone())
            .collect()
    };
    let cases: Vec<(AuditQuery, Vec<Option<String>>)> = vec![
        (
            AuditQuery::new().agent("other-agent"),
            expect(&|e| e.agent.as_deref() == Some("other-agent")),
        ),
        (
            AuditQuery::new().user("tom"),
            expect(&|e| e.user.as_deref() == Some("tom")),
        ),
        (
            AuditQuery::new().action(AuditAction::TokenIssued),
            expect(&|e| e.action == AuditAction::TokenIssued),
        ),
        (
            AuditQuery::new().outcome(Outcome::Denied).user("sarah"),
            expect(&|e| e.outcome == Outcome::Denied && e.user.as_deref() == Some("sarah")),
        ),
        (
            AuditQuery::new().since(1_700_000_003).until(1_700_000_007),
            expect(&|e| (1_700_000_003..1_700_000_007).contains(&e.time)),
        ),
        (
            AuditQuery::new().request_id("req-1"),
            expect(&|e| e.request_id.as_deref() == Some("req-1")),
        ),
    ];
    for (query, expected) in cases {
        assert!(!expected.is_empty(), "{query:?} selects something");
        assert_eq!(ids(query.clone()), expected, "{query:?}");
    }
    assert_eq!(ids(AuditQuery::new().limit(2)).len(), 2);
    // A value is bound, never interpolated.
    assert!(ids(AuditQuery::new().user("x' OR '1'='1")).is_empty());
}

fn tiles_serve_entries_and_hashes(env: &Env) {
    let log = filled(env, N);
    let width = u8::try_from(N).unwrap();
    let bundle = log
        .tile(&TilePath {
            level: None,
            index: 0,
            width: Some(width),
        })
        .unwrap();
    let entries = parse_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len() as u64, N);
    let hashes = log
        .tile(&TilePath {
            level: Some(0),
            index: 0,
            width: Some(width),
        })
        .unwrap();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(*entry, log.entry_bytes(i as u64).unwrap());
        assert_eq!(&hashes[i * 32..i * 32 + 32], &Hash::leaf(entry).0[..]);
    }
    assert!(
        log.tile(&TilePath {
            level: None,
            index: 0,
            width: Some(width + 1),
        })
        .is_err()
    );
}

fn retention_archives_without_breaking_verification(env: &Env) {
    let log = filled(env, N);
    let mut archive = Vec::new();
    // Events 0..5 are older than the window.
    let moved = RetentionPolicy::keep_seconds(95)
        .apply(&log, &ManualClock::new(1_700_000_100), &mut archive)
        .unwrap();
    assert_eq!(moved, 5);
    assert!(matches!(
        log.entry_bytes(0),
        Err(AuditLogError::Archived(0))
    ));
    assert!(log.entry_bytes(5).is_ok());
    let report = env.verify().unwrap();
    assert_eq!((report.entries, report.archived), (N, 5));
    assert_eq!(verify_archive(&log, archive.as_slice()).unwrap(), 5);
    // An archived entry still proves its inclusion from the archive's bytes.
    let line = archive.split(|b| *b == b'\n').nth(2).unwrap();
    let proof = log.inclusion_proof(2, N).unwrap();
    verify_entry(line, 2, &proof, &log.checkpoint(), &log.verifier(), ORIGIN).unwrap();
    // Hash tiles stay served; the entry bundle holding archived entries does not.
    let width = Some(u8::try_from(N).unwrap());
    let hashes = TilePath {
        level: Some(0),
        index: 0,
        width,
    };
    assert!(log.tile(&hashes).is_ok());
    let bundle = TilePath {
        level: None,
        index: 0,
        width,
    };
    assert!(matches!(log.tile(&bundle), Err(AuditLogError::Archived(0))));
    assert!(log.query(&AuditQuery::new()).unwrap().len() as u64 == N - 5);
    // Applying again moves nothing twice.
    let mut second = Vec::new();
    let again = RetentionPolicy::keep_seconds(95)
        .apply(&log, &ManualClock::new(1_700_000_100), &mut second)
        .unwrap();
    assert_eq!((again, second.len()), (0, 0));
}

fn a_modified_row_is_detected(env: &Env) {
    let _log = filled(env, N);
    // The body becomes other bytes (its own leaf hash) under the same leaf.
    (env.sql)("UPDATE audit_entries SET body = leaf_hash WHERE idx = 7");
    assert_eq!(env.verify(), Err(TamperError::Modified { index: 7 }));
}

fn a_deleted_row_is_detected(env: &Env) {
    let _log = filled(env, N);
    (env.sql)("DELETE FROM audit_entries WHERE idx = 4");
    assert_eq!(env.verify(), Err(TamperError::Missing { index: 4 }));
}

#[test]
fn sqlite_storage_keeps_the_contract() {
    contract(&|_| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        let (open_path, sql_path) = (path.clone(), path);
        Env {
            open: Box::new(move || {
                Box::new(reference_authority::audit_log::LogStorage::open(&open_path).unwrap())
            }),
            sql: Box::new(move |statement| {
                reference_authority::audit_log::LogStorage::open(&sql_path)
                    .unwrap()
                    .raw()
                    .execute_batch(statement)
                    .unwrap();
            }),
            _keep: Box::new(dir),
        }
    });
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_storage_keeps_the_contract() {
    contract(&postgres_env);
}

/// A fresh database; missing PostgreSQL server binaries fail the test.
#[cfg(feature = "postgres")]
pub(crate) fn postgres_env(label: &str) -> Env {
    let db = pg_store::testing::fresh_database(&format!("audit_{label}"))
        .unwrap()
        .expect("PostgreSQL server binaries");
    let pool = db.pool().unwrap();
    let sql_pool = pool.clone();
    Env {
        open: Box::new(move || {
            Box::new(reference_authority::audit_log::PgLogStorage::open(pool.clone()).unwrap())
        }),
        sql: Box::new(move |statement| {
            let client = sql_pool.client_blocking().unwrap();
            sql_pool.block_on(client.batch_execute(statement)).unwrap();
        }),
        _keep: Box::new(db),
    }
}
