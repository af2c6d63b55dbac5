//! Arbitrary text as a signed checkpoint note and as keys: errors, never
//! panics; a note that opens parses as a checkpoint or fails typed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::audit_log::{Checkpoint, NoteSigner, NoteVerifier, note};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = NoteVerifier::parse(text);
    let _ = NoteSigner::from_private_key(text);
    let _ = Checkpoint::parse(text);
    if let Ok(signer) = NoteSigner::from_seed("fuzz.example/log", &[5; 32]) {
        let key = signer.verifier();
        let _ = note::open(text, std::slice::from_ref(&key));
        let _ = Checkpoint::open(text, &key, "fuzz.example/log");
        // Whatever text is signed, the signed note opens to the same text.
        if let Ok(signed) = signer.sign(text) {
            assert_eq!(note::open(&signed, &[key]).ok(), Some(text));
        }
    }
});
