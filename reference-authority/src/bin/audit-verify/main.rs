//! Re-checks an audit log offline, against its key and trusted checkpoints.
//!
//! ```text
//! audit-verify log   --database audit.sqlite --key <vkey> [--origin O] [--checkpoint FILE]...
//! audit-verify entry --database audit.sqlite --key <vkey> [--origin O] --checkpoint FILE --index N
//! ```
//! `--database` is a SQLite file or, built with the `postgres` feature, a
//! `postgres://` URL.
//! `<vkey>` is the log's verifier key (`<name>+<id>+<base64 key>`); the origin
//! defaults to the key name. `log` re-hashes every entry and checks every
//! stored and given checkpoint; `entry` checks one entry's inclusion proof
//! against the given checkpoint. Exit status 0: verified; 1: tampering found
//! (the message names the first bad entry); 2: bad usage or unreadable input.

use reference_authority::audit_log::{
    NoteVerifier, Tree, inclusion_proof, open_store, verify_entry, verify_storage,
};
use std::process::ExitCode;

fn values(args: &[String], name: &str) -> Vec<String> {
    args.windows(2)
        .filter(|w| w.first().is_some_and(|a| a == name))
        .filter_map(|w| w.get(1).cloned())
        .collect()
}

fn value(args: &[String], name: &str) -> Result<String, String> {
    values(args, name)
        .into_iter()
        .next()
        .ok_or_else(|| format!("missing {name}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(Ok(message)) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Ok(Err(tampered)) => {
            eprintln!("TAMPERED: {tampered}");
            ExitCode::from(1)
        }
        Err(usage) => {
            eprintln!("audit-verify: {usage}");
            ExitCode::from(2)
        }
    }
}

/// `Err` for usage problems, `Ok(Err)` for a log that failed verification.
fn run(args: &[String]) -> Result<Result<String, String>, String> {
    let command = args.first().ok_or("expected `log` or `entry`")?;
    let key = NoteVerifier::parse(&value(args, "--key")?).map_err(|e| e.to_string())?;
    let origin = value(args, "--origin").unwrap_or_else(|_| key.name().to_owned());
    let storage = open_store(&value(args, "--database")?).map_err(|e| e.to_string())?;
    let checkpoints = values(args, "--checkpoint")
        .iter()
        .map(|path| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    match command.as_str() {
        "log" => Ok(verify_storage(&*storage, &key, &origin, &checkpoints)
            .map(|r| {
                format!(
                    "verified {} entries ({} archived) against {} checkpoints; root {}",
                    r.entries, r.archived, r.checkpoints, r.root
                )
            })
            .map_err(|e| e.to_string())),
        "entry" => {
            let index: u64 = value(args, "--index")?
                .parse()
                .map_err(|_| "--index is not a number")?;
            let note = checkpoints.first().ok_or("missing --checkpoint")?;
            let size = note
                .lines()
                .nth(1)
                .and_then(|l| l.parse::<u64>().ok())
                .ok_or("the checkpoint has no size line")?;
            let tree =
                Tree::from_leaf_hashes(storage.leaf_hashes_from(0).map_err(|e| e.to_string())?);
            let stored = storage
                .entry(index)
                .map_err(|e| e.to_string())?
                .ok_or("no such entry")?;
            let body = stored
                .body
                .ok_or("the entry was archived: check it from the archive")?;
            let Some(proof) = inclusion_proof(&tree, index, size) else {
                return Ok(Err(format!(
                    "the log cannot prove entry {index} in a tree of {size} entries (truncated)"
                )));
            };
            Ok(verify_entry(&body, index, &proof, note, &key, &origin)
                .map(|c| {
                    format!(
                        "entry {index} is in the log of {} entries ({} hashes of proof)",
                        c.size,
                        proof.len()
                    )
                })
                .map_err(|e| e.to_string()))
        }
        other => Err(format!("unknown command {other}")),
    }
}
