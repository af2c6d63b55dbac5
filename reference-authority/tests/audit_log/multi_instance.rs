//! Two authority instances' logs on one PostgreSQL database, appending at
//! once: one consistent log, every event exactly once, identical tiles.

use super::common::{ORIGIN, signer};
use super::storage_contract::postgres_env;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::audit_log::{
    Checkpoint, LogEntry, TilePath, verify_extends, verify_storage,
};
use std::collections::BTreeMap;

const THREADS: usize = 4;
const BATCHES: usize = 20;

fn event(id: String) -> AuditEvent {
    AuditEvent::new(
        1_700_000_000,
        AuditAction::AuthorizationDecision,
        Outcome::Success,
    )
    .id(id)
    .agent("sales-agent-prod-001")
}

#[test]
fn two_instances_append_concurrently_into_one_consistent_log() {
    let env = postgres_env("multi_instance");
    let a = env.log();
    let b = env.log();
    // Each thread sends batches of its own two events plus one every thread
    // sends (as a component retrying against both instances would).
    let returned: Vec<Vec<(String, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let log = if t % 2 == 0 { &a } else { &b };
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    for k in 0..BATCHES {
                        let ids = [
                            format!("t{t}-{k}-0"),
                            format!("shared-{k}"),
                            format!("t{t}-{k}-1"),
                        ];
                        let batch: Vec<AuditEvent> = ids.iter().cloned().map(event).collect();
                        let indexes = log.append(Some(&format!("client-{t}")), &batch).unwrap();
                        seen.extend(ids.into_iter().zip(indexes));
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let unique = (THREADS * 2 + 1) * BATCHES;
    // Every id got one index, whichever instance answered.
    let mut index_of: BTreeMap<String, u64> = BTreeMap::new();
    for (id, index) in returned.into_iter().flatten() {
        assert_eq!(*index_of.entry(id.clone()).or_insert(index), index, "{id}");
    }
    assert_eq!(index_of.len(), unique);
    // Dense and unique: the indexes are exactly 0..unique.
    let mut indexes: Vec<u64> = index_of.values().copied().collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..unique as u64).collect::<Vec<_>>());
    assert_eq!((a.size(), b.size()), (unique as u64, unique as u64));
    // Each stored entry is the event its index was given to.
    for (id, index) in &index_of {
        let entry: LogEntry = a.entry(*index).unwrap();
        assert_eq!(
            (entry.index, entry.event.id.as_deref()),
            (*index, Some(id.as_str()))
        );
    }
    // The whole log verifies, every stored checkpoint against the entries.
    let report = verify_storage(
        &*env.open_store(),
        &signer().verifier(),
        ORIGIN,
        &[a.checkpoint()],
    )
    .unwrap();
    assert_eq!(report.entries, unique as u64);
    assert_eq!(report.root, b.root());
    // Each stored checkpoint extends the one before it.
    let notes = env.open_store().checkpoints().unwrap();
    assert!(notes.len() > BATCHES);
    let opened: Vec<Checkpoint> = notes
        .iter()
        .map(|(_, note)| Checkpoint::open(note, &a.verifier(), ORIGIN).unwrap())
        .collect();
    for pair in opened.windows(2) {
        let proof = b.consistency_proof(pair[0].size, pair[1].size).unwrap();
        verify_extends(&pair[0], &pair[1], &proof).unwrap();
    }
    // Both serve the same checkpoint and the same tiles.
    assert_eq!(a.checkpoint(), b.checkpoint());
    let partial = u8::try_from(unique % 256).unwrap();
    for path in [
        TilePath {
            level: Some(0),
            index: 0,
            width: Some(partial),
        },
        TilePath {
            level: None,
            index: 0,
            width: Some(partial),
        },
        TilePath {
            level: Some(0),
            index: 0,
            width: Some(7),
        },
    ] {
        assert_eq!(a.tile(&path).unwrap(), b.tile(&path).unwrap(), "{path}");
    }
}

#[test]
fn an_instance_serves_what_another_appended() {
    let env = postgres_env("reader");
    let writer = env.log();
    let reader = env.log();
    assert_eq!(reader.size(), 0);
    writer
        .append(None, &[event("one".into()), event("two".into())])
        .unwrap();
    // The reader takes in the other instance's rows and its signed checkpoint.
    assert_eq!(reader.size(), 2);
    assert_eq!(reader.checkpoint(), writer.checkpoint());
    let path = TilePath {
        level: None,
        index: 0,
        width: Some(2),
    };
    assert_eq!(reader.tile(&path).unwrap(), writer.tile(&path).unwrap());
    // And appends after them.
    assert_eq!(
        reader.append(None, &[event("three".into())]).unwrap(),
        vec![2]
    );
    assert_eq!(writer.root(), reader.root());
}
