//! Arbitrary bytes as the untrusted inputs of the signal receiver: a pushed
//! SET (through the RFC 8935 endpoint and the `secevent+jwt` profile), an RFC
//! 9493 subject identifier, and a Global Token Revocation request body.
//! Errors, never panics.
#![no_main]

use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::signals::{PushEndpoint, SetReceiver, Subject, gtr_subject};
use agent_auth::validate::{SecurityEvent, StaticKeys, Validator};
use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

fn endpoint() -> &'static PushEndpoint {
    static ENDPOINT: OnceLock<PushEndpoint> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let key = SigningKey::generate(Algorithm::Es256)
            .expect("key")
            .with_kid("ssf-1");
        let validator =
            Validator::<SecurityEvent>::builder(StaticKeys::single(key.verifying_key().clone()))
                .issuer("https://ssf.example")
                .audience("https://receiver.example")
                .build();
        PushEndpoint::new(SetReceiver::builder(validator).build())
    })
}

fuzz_target!(|data: &[u8]| {
    // Static keys: the push completes in one poll, with no I/O.
    let mut push = std::pin::pin!(endpoint().handle(None, Some("application/secevent+jwt"), data));
    let answer = push
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    if let Poll::Ready(answer) = answer {
        assert!(answer.status() == 400 || answer.status() == 403);
    }
    let _ = gtr_subject(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = Subject::from_sub_id(&value);
    }
});
