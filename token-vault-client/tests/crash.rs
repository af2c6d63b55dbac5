//! Crash test: a child process writes and refreshes credentials in a SQLite
//! vault and is killed with SIGKILL at random points, 200 times. After each
//! kill, every acknowledged write is present and decrypts, every record is
//! intact, and the database passes `PRAGMA integrity_check`.
#![cfg(all(unix, feature = "sqlite"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use token_vault_client::{Credential, EnvKeyProvider, SqliteVaultStore, VaultStore, envelope};

const KILLS: usize = 200;

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).unwrap();
    let keys_var = format!("m1:{}", base64_simd::STANDARD.encode_to_string(key));
    let keys = EnvKeyProvider::from_value(&keys_var).unwrap();
    let mut acked: HashMap<(String, String), u64> = HashMap::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
    let started = Instant::now();
    let mut total_acks = 0usize;
    for round in 0..KILLS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(10_000 + seed % 140_000);
        let mut child = Command::new(env!("CARGO_BIN_EXE_vault-crash-child"))
            .arg(&db)
            .env("TOKEN_VAULT_MASTER_KEYS", &keys_var)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (acks, first_ack) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if l.starts_with("ACK ") {
                            let _ = acks.send(());
                        }
                        lines.push(l);
                    }
                    Err(_) => break,
                }
            }
            lines
        });
        // One round in four is killed at a random point from the start (while
        // the database opens); the others at a random point after the first
        // acknowledged write, so a slow, loaded machine still makes progress.
        if round % 4 != 0 {
            let _ = first_ack.recv_timeout(Duration::from_secs(120));
        }
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let lines = reader.join().unwrap();
        if status.code() == Some(2) {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("child failed in round {round}: {err}");
        }
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.len() != 4 || parts[0] != "ACK" {
                continue; // a line cut by the kill was never acknowledged
            }
            total_acks += 1;
            let v: u64 = parts[3].parse().unwrap();
            let e = acked
                .entry((parts[1].to_owned(), parts[2].to_owned()))
                .or_default();
            *e = (*e).max(v);
        }
        // Restart: open the database as a new process would.
        let store = SqliteVaultStore::open(&db).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let records = store.list().unwrap();
        let mut stored = HashMap::new();
        for r in &records {
            let c = envelope::open(&keys, r)
                .unwrap_or_else(|e| panic!("round {round}: {:?} does not decrypt: {e}", r.key));
            let Credential::OAuth(set) = c else {
                panic!("kind")
            };
            let body = format!("{}-{}", r.key.user, r.key.connection);
            assert_eq!(
                set.access_token.expose_secret(),
                format!("at-{body}-{}", r.version),
                "round {round}"
            );
            assert_eq!(
                set.refresh_token.unwrap().expose_secret(),
                format!("rt-{body}-{}", r.version)
            );
            stored.insert((r.key.user.clone(), r.key.connection.clone()), r.version);
        }
        for (k, v) in &acked {
            let have = stored.get(k).copied().unwrap_or(0);
            assert!(
                have >= *v,
                "round {round}: acknowledged {k:?} v{v} but stored v{have}"
            );
        }
    }
    eprintln!(
        "crash test: {KILLS} SIGKILLs, {total_acks} acknowledged writes, {} keys, {:.1}s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    // Three rounds in four wait for an acknowledged write before the kill.
    assert!(total_acks >= KILLS * 3 / 4, "the child made progress");
}
