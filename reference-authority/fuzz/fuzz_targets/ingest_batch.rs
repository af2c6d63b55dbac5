//! Arbitrary bodies of the ingestion endpoint: a batch of events is decoded
//! or refused, and a decoded batch appends or fails typed, never panics.
#![no_main]

use agent_auth::audit::AuditEvent;
use libfuzzer_sys::fuzz_target;
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};

fuzz_target!(|data: &[u8]| {
    let Ok(events) = serde_json::from_slice::<Vec<AuditEvent>>(data) else {
        return;
    };
    let (Ok(signer), Ok(storage)) = (
        NoteSigner::from_seed("fuzz.example/log", &[5; 32]),
        LogStorage::in_memory(),
    ) else {
        return;
    };
    if let Ok(log) = AuditLog::new("fuzz.example/log", signer, storage) {
        let before = log.size();
        match log.append(Some("fuzzer"), &events) {
            Ok(indexes) => assert_eq!(indexes.len(), events.len()),
            // A refused batch changes nothing.
            Err(_) => assert_eq!(log.size(), before),
        }
    }
});
