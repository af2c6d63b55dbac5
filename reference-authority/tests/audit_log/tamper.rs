//! Tampering with the stored log: modify, delete, reorder, truncate, rewrite,
//! and a forked (equivocating) checkpoint are each detected at every position,
//! with a typed error naming the first bad entry.

use super::common::{ORIGIN, event, file_log, signer};
use reference_authority::audit_log::{
    AuditLog, Checkpoint, LogStorage, TamperError, verify_entry, verify_extends, verify_storage,
};

const N: u64 = 12;

fn verify(path: &std::path::Path, trusted: &[String]) -> Result<(), TamperError> {
    let storage = LogStorage::open(path).unwrap();
    verify_storage(&storage, &signer().verifier(), ORIGIN, trusted).map(|_| ())
}

fn sql(path: &std::path::Path, statement: &str) {
    LogStorage::open(path)
        .unwrap()
        .raw()
        .execute_batch(statement)
        .unwrap();
}

#[test]
fn untouched_log_verifies() {
    let (_dir, path, log) = file_log(N);
    let storage = LogStorage::open(&path).unwrap();
    let report = verify_storage(&storage, &log.verifier(), ORIGIN, &[log.checkpoint()]).unwrap();
    assert_eq!(report.entries, N);
    assert_eq!(report.root, log.root());
    assert_eq!(report.checkpoints, N as usize + 1);
}

#[test]
fn modified_entry_is_detected_at_its_index() {
    for target in 0..N {
        let (_dir, path, log) = file_log(N);
        let trusted = [log.checkpoint()];
        drop(log);
        sql(
            &path,
            &format!(
                "UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), 'sales-agent', 'other-agent') AS BLOB) WHERE idx = {target}"
            ),
        );
        assert_eq!(
            verify(&path, &trusted),
            Err(TamperError::Modified { index: target })
        );
    }
}

#[test]
fn deleted_entry_is_detected_at_its_index() {
    for target in 0..N - 1 {
        let (_dir, path, log) = file_log(N);
        let trusted = [log.checkpoint()];
        drop(log);
        sql(
            &path,
            &format!("DELETE FROM audit_entries WHERE idx = {target}"),
        );
        assert_eq!(
            verify(&path, &trusted),
            Err(TamperError::Missing { index: target })
        );
    }
}

#[test]
fn reordered_entries_are_detected_at_the_first_moved() {
    for target in 0..N - 1 {
        let (_dir, path, log) = file_log(N);
        let trusted = [log.checkpoint()];
        drop(log);
        // Swap two whole rows, leaf hashes included.
        let other = N - 1;
        sql(
            &path,
            &format!(
                "UPDATE audit_entries SET idx = -1 WHERE idx = {target};
                 UPDATE audit_entries SET idx = {target} WHERE idx = {other};
                 UPDATE audit_entries SET idx = {other} WHERE idx = -1;"
            ),
        );
        assert_eq!(
            verify(&path, &trusted),
            Err(TamperError::Reordered {
                index: target,
                claims: other
            })
        );
    }
}

#[test]
fn truncated_log_is_detected_against_a_kept_checkpoint() {
    for keep in 0..N {
        let (_dir, path, log) = file_log(N);
        let trusted = [log.checkpoint()];
        drop(log);
        // The truncation also drops the log's own later checkpoints.
        sql(
            &path,
            &format!(
                "DELETE FROM audit_entries WHERE idx >= {keep}; DELETE FROM audit_checkpoints WHERE size > {keep};"
            ),
        );
        assert_eq!(
            verify(&path, &trusted),
            Err(TamperError::Truncated {
                entries: keep,
                checkpoint_size: N
            })
        );
    }
}

#[test]
fn rewritten_entry_with_its_leaf_hash_is_detected_by_the_signed_checkpoints() {
    for target in 0..N {
        let (_dir, path, log) = file_log(N);
        drop(log);
        // Rewrite the entry and its leaf hash consistently: only the signed
        // checkpoints (one per batch here) can tell, and they name the entry.
        let forged = reference_authority::audit_log::LogEntry {
            index: target,
            reporter: None,
            event: event(target).reason("forged"),
        }
        .encode()
        .unwrap();
        let hash = reference_authority::audit_log::Hash::leaf(&forged);
        let storage = LogStorage::open(&path).unwrap();
        storage
            .raw()
            .execute(
                "UPDATE audit_entries SET body = ?1, leaf_hash = ?2 WHERE idx = ?3",
                (forged.as_slice(), &hash.0[..], target as i64),
            )
            .unwrap();
        drop(storage);
        assert_eq!(
            verify(&path, &[]),
            Err(TamperError::RootMismatch {
                size: target + 1,
                first_bad: target,
                last: target
            })
        );
    }
}

#[test]
fn forged_checkpoint_signature_is_refused() {
    let (_dir, path, log) = file_log(3);
    let note = log.checkpoint().replace("\n3\n", "\n2\n");
    drop(log);
    assert!(matches!(
        verify(&path, &[note]),
        Err(TamperError::Checkpoint { .. })
    ));
}

#[test]
fn forked_checkpoint_of_the_same_size_is_equivocation() {
    let (_dir, path, log) = file_log(N);
    drop(log);
    // The same key signs another history of the same size.
    let fork = AuditLog::new(ORIGIN, signer(), LogStorage::in_memory().unwrap()).unwrap();
    for i in 0..N {
        fork.append(None, &[event(i + 100)]).unwrap();
    }
    assert_eq!(
        verify(&path, &[fork.checkpoint()]),
        Err(TamperError::Equivocation {
            first: N,
            second: N
        })
    );
}

#[test]
fn forked_checkpoint_of_another_size_is_equivocation() {
    let (_dir, _path, log) = file_log(N);
    let fork = AuditLog::new(ORIGIN, signer(), LogStorage::in_memory().unwrap()).unwrap();
    for i in 0..N + 3 {
        fork.append(None, &[event(if i == 4 { 999 } else { i })])
            .unwrap();
    }
    let key = log.verifier();
    let older = Checkpoint::open(&log.checkpoint(), &key, ORIGIN).unwrap();
    let newer = Checkpoint::open(&fork.checkpoint(), &key, ORIGIN).unwrap();
    // The forked log cannot prove that it extends what the first log showed.
    let proof = fork.consistency_proof(N, N + 3).unwrap();
    assert_eq!(
        verify_extends(&older, &newer, &proof),
        Err(TamperError::Equivocation {
            first: N,
            second: N + 3
        })
    );
    // An honest log can.
    for i in N..N + 3 {
        log.append(None, &[event(i)]).unwrap();
    }
    let honest = Checkpoint::open(&log.checkpoint(), &key, ORIGIN).unwrap();
    verify_extends(&older, &honest, &log.consistency_proof(N, N + 3).unwrap()).unwrap();
    // And the first log, with a checkpoint of the fork as a witness kept it, is refused.
    let storage_fork_note = fork.checkpoint();
    drop(log);
    assert!(matches!(
        verify(&_path, &[storage_fork_note]),
        Err(TamperError::Equivocation { .. }) | Err(TamperError::Truncated { .. })
    ));
}

#[test]
fn one_entry_verifies_against_a_checkpoint_and_a_moved_one_does_not() {
    let (_dir, _path, log) = file_log(N);
    let note = log.checkpoint();
    let key = log.verifier();
    for index in 0..N {
        let bytes = log.entry_bytes(index).unwrap();
        let proof = log.inclusion_proof(index, N).unwrap();
        verify_entry(&bytes, index, &proof, &note, &key, ORIGIN).unwrap();
        let other = (index + 1) % N;
        assert!(
            verify_entry(
                &bytes,
                other,
                &log.inclusion_proof(other, N).unwrap(),
                &note,
                &key,
                ORIGIN
            )
            .is_err()
        );
    }
}
