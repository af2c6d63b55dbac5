//! Arbitrary bytes as a transmitter's answers to the SSF stream management
//! client (SSF 1.0 sections 7.1 and 8.1): the configuration document, a
//! stream configuration and a stream status. Typed errors, never panics.
#![no_main]

use agent_auth::oauth::{HttpClient, HttpRequest, HttpResponse};
use agent_auth::secret::SecretString;
use agent_auth::signals::{StreamClient, StreamStatus, TransmitterConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const ISSUER: &str = "https://ssf.example";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

/// A client whose transmitter answers every request with `body`.
fn client(body: Vec<u8>) -> StreamClient {
    let http = HttpClient::with_transport(move |_: HttpRequest| {
        let body = body.clone();
        async move {
            Ok(HttpResponse::new(200)
                .with_header("content-type", "application/json")
                .with_body(body))
        }
    });
    let config = TransmitterConfig::from_json(
        serde_json::json!({
            "issuer": ISSUER,
            "configuration_endpoint": "https://ssf.example/streams",
            "status_endpoint": "https://ssf.example/status",
        }),
        ISSUER,
    )
    .expect("configuration");
    StreamClient::new(
        http,
        config,
        SecretString::new("Bearer receiver-credential"),
    )
}

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = serde_json::from_slice(data) {
        let _ = TransmitterConfig::from_json(document, ISSUER);
    }
    let Some((op, body)) = data.split_first() else {
        return;
    };
    let client = client(body.to_vec());
    runtime().block_on(async {
        match op % 5 {
            0 => drop(client.read_stream("s-1").await),
            1 => drop(client.update_stream("s-1", None, Some("d")).await),
            2 => drop(client.stream_status("s-1").await),
            3 => drop(
                client
                    .set_stream_status("s-1", StreamStatus::Paused, None)
                    .await,
            ),
            _ => drop(client.delete_stream("s-1").await),
        }
    });
});
