//! Arbitrary bytes as the JSON bodies of the SSF management and poll APIs:
//! typed errors, never panics, and a refused request leaves the stream as it
//! was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_authority::signals::Transmitter;
use reference_authority::{Authority, AuthorityConfig};
use std::sync::OnceLock;

struct Setup {
    transmitter: Transmitter,
    stream_id: String,
    runtime: tokio::runtime::Runtime,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let authority = Authority::builder("https://idp.example")
            .config(AuthorityConfig::for_tests())
            .build()
            .expect("authority");
        let transmitter = Transmitter::install(&authority);
        let created = transmitter
            .create_stream("fuzzer", &serde_json::Map::new())
            .expect("stream");
        let stream_id = created["stream_id"].as_str().expect("id").to_owned();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        Setup {
            transmitter,
            stream_id,
            runtime,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice(data) else {
        return;
    };
    let s = setup();
    let t = &s.transmitter;
    body.insert("stream_id".into(), s.stream_id.clone().into());
    let before = t.read_streams("fuzzer", Some(&s.stream_id)).expect("read");
    if t.update_stream("fuzzer", &body).is_err() {
        assert_eq!(t.read_streams("fuzzer", Some(&s.stream_id)).expect("read"), before);
    }
    let _ = t.replace_stream("fuzzer", &body);
    let _ = t.set_stream_status("fuzzer", &body);
    let _ = t.add_subject("fuzzer", &body);
    let _ = t.remove_subject("fuzzer", &body);
    let _ = t.request_verification("fuzzer", &body);
    body.insert("returnImmediately".into(), true.into());
    let _ = s.runtime.block_on(t.poll("fuzzer", &s.stream_id, &body));
    let _ = t.create_stream("fuzzer", &body).map(|c| {
        let id = c["stream_id"].as_str().unwrap_or_default().to_owned();
        t.delete_stream("fuzzer", &id)
    });
});
