//! Our client sending signed authentication requests with a user code to the
//! reference OP over loopback HTTP: discovery of the supported algorithms,
//! approval in poll mode, a refusal before sending when the OP cannot verify
//! the key's algorithm, and no user code in logs or debug output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use agent_auth::jose::{Algorithm, SigningKey};
use ciba_client::{
    AuthenticationRequest, CibaClient, CibaError, ClientAuth, DeliveryMode, Hint, ProviderMetadata,
};
use reference_authority::ciba::{Approval, ClientSettings};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CODE: &str = "4711-blue-heron";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request() -> AuthenticationRequest {
    AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email:send"])
        .binding_message("Acme Corp - 450,000 EUR")
        .user_code(CODE)
        .requested_expiry(120)
}

fn client(s: &common::Served, key: SigningKey, meta: &ProviderMetadata) -> CibaClient {
    CibaClient::builder(
        meta.endpoints.clone(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .sign_requests(key)
    .provider_metadata(meta)
    .id_token_validator(s.id_tokens())
    .build()
}

#[tokio::test]
async fn signed_request_with_user_code_approved_over_http() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    s.op.register(
        "sales-agent",
        ClientSettings::poll()
            .require_signed_requests()
            .request_jwks(jwks.to_string())
            .user_code(),
    )
    .unwrap();
    s.op.set_user_code("user-sarah", CODE).unwrap();
    let meta = CibaClient::discover_metadata(&s.issuer).await.unwrap();
    assert!(meta.user_code_supported);
    assert!(
        meta.request_signing_algs
            .as_ref()
            .unwrap()
            .contains(&"ES256".to_owned())
    );

    let client = client(&s, key, &meta);
    let pending = client.start(request()).await.unwrap();
    let ask = tokio::time::timeout(Duration::from_secs(5), s.device.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450,000 EUR")
    );
    assert!(pending.expires_at() > 0);
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), pending.wait())
        .await
        .unwrap();
    assert_eq!(
        outcome.approved().expect("approved").scope,
        ["openid", "email:send"]
    );

    // A wrong code is refused by the OP through the signed request too.
    let err = client
        .start(request().user_code("wrong-code"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CibaError::Refused { code, .. } if code == "invalid_user_code"),
        "{err:?}"
    );

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "the flow logged something");
    for text in [logs, format!("{:?}", request()), format!("{client:?}")] {
        assert!(!text.contains(CODE), "the user code leaked: {text}");
    }
}

#[tokio::test]
async fn a_client_does_not_send_what_the_op_cannot_verify() {
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let mut meta = CibaClient::discover_metadata(&s.issuer).await.unwrap();
    meta.request_signing_algs = Some(vec!["PS256".into()]);
    let key = || SigningKey::generate(Algorithm::Es256).unwrap();
    let err = client(&s, key(), &meta).start(request()).await.unwrap_err();
    assert!(matches!(err, CibaError::Config(_)), "{err:?}");
    meta.request_signing_algs = None;
    let err = client(&s, key(), &meta).start(request()).await.unwrap_err();
    assert!(matches!(err, CibaError::Config(_)), "{err:?}");
    assert!(s.device.try_recv().is_err(), "nothing reached the OP");
}
