//! The `audit` group.
//!
//! - `audit.append.vs_jsonl_sink`: appending a batch of 100 events to the
//!   audit log (entry encoding, RFC 6962 leaf and node hashing, the SQLite
//!   transaction with full synchronous commit, one signed checkpoint per batch)
//!   against writing the same 100 events to the JSON lines sink on a file with
//!   one `fdatasync` per batch (the same durability).
//! - `audit.verify_1m.vs_hash_floor`: re-verifying a 1,000,000-entry log
//!   (every entry's position prefix, leaf hash, the root, the checkpoint
//!   comparison) against computing the same RFC 6962 root with bare SHA-256
//!   calls on the same bytes.

use crate::measure::{compare, keep};
use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, JsonLinesSink, Outcome};
use aws_lc_rs::digest::{self, SHA256};
use reference_authority::audit_log::{
    AuditLog, Checkpoint, Hash, LogEntry, LogStorage, NoteSigner, root_of, verify_entries,
};
use std::fs::File;
use std::sync::Arc;

const BATCH: usize = 100;
const ENTRIES: u64 = 1_000_000;
const ORIGIN: &str = "bench.example/audit-log";

fn exit(msg: &str) -> ! {
    eprintln!("audit bench: {msg}");
    std::process::exit(1)
}

fn event(i: u64) -> AuditEvent {
    AuditEvent::new(
        1_750_000_000 + (i as i64 % 3600),
        AuditAction::AuthorizationDecision,
        Outcome::Success,
    )
    .id(format!("evt-{i:012}"))
    .agent("sales-agent-prod-001")
    .user("user-sarah")
    .target("crm://contacts/acme-corp")
    .request_id(format!("req-{}", i / 4))
}

/// Runs the group.
pub fn run() {
    append();
    verify_1m();
}

fn append() {
    let dir = std::env::temp_dir().join(format!("audit-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let signer = NoteSigner::from_seed(ORIGIN, &[3; 32]).unwrap_or_else(|e| exit(&e.to_string()));
    let storage = LogStorage::open(dir.join("log.sqlite")).unwrap_or_else(|e| exit(&e.to_string()));
    let log = AuditLog::new(ORIGIN, signer, storage).unwrap_or_else(|e| exit(&e.to_string()));
    let file =
        Arc::new(File::create(dir.join("events.jsonl")).unwrap_or_else(|e| exit(&e.to_string())));
    let sink = JsonLinesSink::new(SharedFile(Arc::clone(&file)));
    let mut next = 0u64;
    let mut batch = move || {
        let events: Vec<AuditEvent> = (next..next + BATCH as u64).map(event).collect();
        next += BATCH as u64;
        events
    };
    let mut jsonl_batch = {
        let mut n = 0u64;
        move || {
            let events: Vec<AuditEvent> = (n..n + BATCH as u64).map(event).collect();
            n += BATCH as u64;
            events
        }
    };
    compare(
        "audit.append.vs_jsonl_sink",
        || {
            let events = batch();
            keep(
                log.append(None, &events)
                    .unwrap_or_else(|e| exit(&e.to_string())),
            );
        },
        || {
            let events = jsonl_batch();
            for e in &events {
                sink.record(e);
            }
            file.sync_data().unwrap_or_else(|e| exit(&e.to_string()));
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file shared with the bench, written through `&File`; `flush` is a no-op
/// and durability comes from the one `sync_data` per batch.
#[derive(Debug)]
struct SharedFile(Arc<File>);

impl std::io::Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn verify_1m() {
    // All entries in one buffer: (start, end) offsets.
    let mut bytes = Vec::with_capacity(ENTRIES as usize * 200);
    let mut spans = Vec::with_capacity(ENTRIES as usize);
    for index in 0..ENTRIES {
        let encoded = LogEntry {
            index,
            reporter: None,
            event: AuditEvent::new(1_750_000_000, AuditAction::TokenIssued, Outcome::Success)
                .agent("sales-agent-prod-001"),
        }
        .encode()
        .unwrap_or_else(|e| exit(&e.to_string()));
        let start = bytes.len();
        bytes.extend_from_slice(&encoded);
        spans.push((start, bytes.len()));
    }
    let entries = || spans.iter().filter_map(|&(s, e)| bytes.get(s..e));
    let (size, root) = root_of(entries().map(Hash::leaf));
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root,
        extensions: Vec::new(),
    };
    compare(
        "audit.verify_1m.vs_hash_floor",
        || {
            verify_entries(entries(), &checkpoint).unwrap_or_else(|e| exit(&e.to_string()));
        },
        || keep(bare_root(entries()) == root),
    );
}

/// The RFC 6962 root with bare SHA-256 calls and a stack of subtree hashes.
fn bare_root<'a>(leaves: impl Iterator<Item = &'a [u8]>) -> Hash {
    let mut stack: Vec<(u32, [u8; 32])> = Vec::with_capacity(64);
    let mut buf = Vec::with_capacity(512);
    for leaf in leaves {
        buf.clear();
        buf.push(0u8);
        buf.extend_from_slice(leaf);
        let mut node = (0u32, to_array(digest::digest(&SHA256, &buf).as_ref()));
        while let Some(&(h, left)) = stack.last() {
            if h != node.0 {
                break;
            }
            stack.pop();
            node = (h + 1, parent(&left, &node.1));
        }
        stack.push(node);
    }
    let mut iter = stack.into_iter().rev();
    let Some((_, mut root)) = iter.next() else {
        return Hash::empty_root();
    };
    for (_, left) in iter {
        root = parent(&left, &root);
    }
    Hash(root)
}

fn parent(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    to_array(digest::digest(&SHA256, &buf).as_ref())
}

fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.iter_mut().zip(bytes).for_each(|(o, i)| *o = *i);
    out
}
