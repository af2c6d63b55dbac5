//! FAPI-CIBA client behaviours against a scripted token endpoint, in tokio's
//! paused time (virtual seconds, no real sleeping): slow_down grows the
//! interval for good, the announced interval is respected (5 s when absent),
//! expired_token and access_denied stop polling, responses without
//! auth_req_id or expires_in are refused and store nothing, one request in
//! flight at a time, pings with a wrong bearer token refused, ID tokens with
//! an audience array, pushed tokens without an ID token refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{Claims, IdToken, StaticKeys, Validator};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ciba_client::client::{MemoryPendingStore, PendingStore};
use ciba_client::{
    ApprovalOutcome, AuthenticationRequest, CibaClient, CibaError, ClientAuth, DeliveryMode,
    Endpoints, Hint,
};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

#[derive(Clone, Default)]
struct Script {
    start: Arc<Mutex<Value>>,
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    polls: Arc<Mutex<Vec<Instant>>>,
    in_flight: Arc<Mutex<(u32, u32)>>,
}

async fn bc(State(s): State<Script>) -> Response {
    axum::Json(s.start.lock().unwrap().clone()).into_response()
}

async fn token(State(s): State<Script>) -> Response {
    s.polls.lock().unwrap().push(Instant::now());
    {
        let mut f = s.in_flight.lock().unwrap();
        f.0 += 1;
        f.1 = f.1.max(f.0);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.in_flight.lock().unwrap().0 -= 1;
    let (status, body) = s
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((400, json!({"error": "authorization_pending"})));
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

struct Stub {
    script: Script,
    base: String,
    store: MemoryPendingStore,
    key: SigningKey,
}

impl Stub {
    async fn new(start: Value, answers: Vec<(u16, Value)>) -> Self {
        let script = Script::default();
        *script.start.lock().unwrap() = start;
        script.answers.lock().unwrap().extend(answers);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/bc", post(bc))
            .route("/token", post(token))
            .with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            script,
            base,
            store: MemoryPendingStore::new(),
            key: SigningKey::generate(Algorithm::Es256).unwrap(),
        }
    }

    fn client(&self, mode: DeliveryMode) -> CibaClient {
        let endpoints = Endpoints {
            issuer: self.base.clone(),
            backchannel: format!("{}/bc", self.base),
            token: format!("{}/token", self.base),
        };
        let validator =
            Validator::<IdToken>::builder(StaticKeys::single(self.key.verifying_key().clone()))
                .issuer(self.base.clone())
                .audience("agent")
                .build();
        CibaClient::builder(
            endpoints,
            ClientAuth::secret_basic("agent", "agent-secret-0123456789"),
        )
        .mode(mode)
        .store(Arc::new(self.store.clone()))
        .id_token_validator(validator)
        .build()
    }

    fn gaps(&self) -> Vec<u64> {
        let polls = self.script.polls.lock().unwrap();
        polls.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect()
    }

    fn polls(&self) -> usize {
        self.script.polls.lock().unwrap().len()
    }

    fn id_token(&self, aud: Value, azp: Option<&str>) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut c = Claims::new();
        c.iss = Some(self.base.clone());
        c.sub = Some("user-sarah".into());
        c.aud = serde_json::from_value(aud).unwrap();
        c.iat = Some(now);
        c.exp = Some(now + 600);
        if let Some(a) = azp {
            c = c.with("azp", a);
        }
        sign_compact(&self.key, Some("JWT"), &c)
            .unwrap()
            .expose_secret()
            .to_owned()
    }
}

fn ask() -> AuthenticationRequest {
    AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .binding_message("Acme Corp - 450,000 EUR")
}

fn pending() -> (u16, Value) {
    (400, json!({"error": "authorization_pending"}))
}

fn tokens() -> (u16, Value) {
    (
        200,
        json!({"access_token": "at-value-1234567890", "token_type": "Bearer", "expires_in": 600, "scope": "openid"}),
    )
}

#[tokio::test(start_paused = true)]
async fn slow_down_grows_the_interval_for_all_later_requests() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-1", "expires_in": 600, "interval": 2}),
        vec![
            pending(),
            (400, json!({"error": "slow_down"})),
            pending(),
            pending(),
            tokens(),
        ],
    )
    .await;
    let client = stub.client(DeliveryMode::Poll);
    let p = client.start(ask()).await.unwrap();
    assert_eq!(p.interval(), 2);
    let outcome = p.wait().await;
    assert!(outcome.approved().is_some(), "{outcome:?}");
    assert_eq!(p.interval(), 7, "slow_down adds 5 s and it stays");
    let gaps = stub.gaps();
    assert_eq!(gaps.len(), 4);
    assert!(gaps[0] >= 2, "{gaps:?}");
    assert!(
        gaps[1..].iter().all(|g| *g >= 7),
        "every request after slow_down waits the grown interval: {gaps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn interval_respected_and_five_seconds_when_absent() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-2", "expires_in": 600}),
        vec![pending(), pending(), tokens()],
    )
    .await;
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert_eq!(
        p.interval(),
        5,
        "CIBA Core 7.3: 5 s when the OP names no interval"
    );
    let began = Instant::now();
    assert!(p.wait().await.approved().is_some());
    assert!(began.elapsed().as_secs() >= 15, "three polls, 5 s apart");
    assert!(stub.gaps().iter().all(|g| *g >= 5), "{:?}", stub.gaps());
}

#[tokio::test(start_paused = true)]
async fn expired_token_and_access_denied_stop_polling() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-3", "expires_in": 600, "interval": 1}),
        vec![pending(), (400, json!({"error": "expired_token"}))],
    )
    .await;
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert!(matches!(p.wait().await, ApprovalOutcome::Expired));
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    assert_eq!(stub.polls(), 2, "no request after expired_token");
    assert!(stub.store.list().unwrap().is_empty());

    let stub = Stub::new(
        json!({"auth_req_id": "req-4", "expires_in": 600, "interval": 1}),
        vec![(400, json!({"error": "access_denied"}))],
    )
    .await;
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert!(matches!(p.wait().await, ApprovalOutcome::Denied));
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    assert_eq!(stub.polls(), 1, "no request after access_denied");

    let stub = Stub::new(
        json!({"auth_req_id": "req-5", "expires_in": 600, "interval": 1}),
        vec![(400, json!({"error": "invalid_grant"}))],
    )
    .await;
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert!(matches!(
        p.wait().await,
        ApprovalOutcome::Failed(CibaError::InvalidGrant)
    ));
}

#[tokio::test(start_paused = true)]
async fn the_lifetime_ends_the_wait_without_more_requests() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-6", "expires_in": 3, "interval": 1}),
        vec![],
    )
    .await;
    let clock = agent_auth::clock::ManualClock::new(1_750_000_000);
    let endpoints = Endpoints {
        issuer: stub.base.clone(),
        backchannel: format!("{}/bc", stub.base),
        token: format!("{}/token", stub.base),
    };
    let client = CibaClient::builder(
        endpoints,
        ClientAuth::secret_post("agent", "agent-secret-0123456789"),
    )
    .clock(Arc::new(clock.clone()))
    .build();
    let p = client.start(ask()).await.unwrap();
    assert_eq!(p.expires_at(), 1_750_000_003);
    clock.advance(4);
    assert!(matches!(p.wait().await, ApprovalOutcome::Expired));
    assert_eq!(stub.polls(), 0);
}

#[tokio::test(start_paused = true)]
async fn missing_auth_req_id_or_expires_in_is_refused_and_nothing_stored() {
    for start in [
        json!({"expires_in": 600}),
        json!({"auth_req_id": "req-7"}),
        json!({"auth_req_id": "", "expires_in": 60}),
    ] {
        let stub = Stub::new(start.clone(), vec![]).await;
        let err = stub
            .client(DeliveryMode::Poll)
            .start(ask())
            .await
            .unwrap_err();
        assert!(
            matches!(err, CibaError::MalformedResponse(_)),
            "{start}: {err:?}"
        );
        assert!(stub.store.list().unwrap().is_empty());
    }
    let stub = Stub::new(json!({"auth_req_id": "x", "expires_in": 60}), vec![]).await;
    let err = stub
        .client(DeliveryMode::Poll)
        .start(ask().binding_message("two\nlines"))
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::InvalidRequest(_)));
}

#[tokio::test(start_paused = true)]
async fn never_two_requests_in_flight_for_one_auth_req_id() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-8", "expires_in": 600, "interval": 1}),
        vec![
            pending(),
            pending(),
            pending(),
            tokens(),
            (400, json!({"error": "invalid_grant"})),
        ],
    )
    .await;
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    let q = p.clone();
    let (a, b) = tokio::join!(p.wait(), q.wait());
    assert!(a.approved().is_some() || b.approved().is_some());
    assert_eq!(
        stub.script.in_flight.lock().unwrap().1,
        1,
        "at most one token request at a time"
    );
}

#[tokio::test(start_paused = true)]
async fn ping_with_a_wrong_bearer_token_is_refused() {
    let stub = Stub::new(
        json!({"auth_req_id": "req-9", "expires_in": 600}),
        vec![tokens()],
    )
    .await;
    let client = stub.client(DeliveryMode::Ping);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let app = client.notification_router("/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let p = client.start(ask()).await.unwrap();
    let token = stub.store.list().unwrap()[0]
        .notification_token
        .clone()
        .unwrap();
    let http = reqwest::Client::new();
    for bearer in [Some("wrong"), None] {
        let mut req = http.post(&url).json(&json!({"auth_req_id": "req-9"}));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 401);
    }
    assert_eq!(stub.polls(), 0, "a refused ping fetches nothing");
    let ok = http
        .post(&url)
        .bearer_auth(token.expose_secret())
        .json(&json!({"auth_req_id": "req-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 204);
    assert!(p.wait().await.approved().is_some());
    assert_eq!(stub.polls(), 1);
}

#[tokio::test(start_paused = true)]
async fn id_token_audience_as_an_array() {
    // OpenID Connect Core 3.1.3.7 step 3: the ID token is refused when it lists
    // an audience the client does not trust, even with azp = this client.
    let stub = Stub::new(
        json!({"auth_req_id": "req-10", "expires_in": 600, "interval": 1}),
        vec![],
    )
    .await;
    let with_azp = stub.id_token(json!(["agent", "https://other.example"]), Some("agent"));
    let mut body = tokens().1;
    body["id_token"] = with_azp.into();
    stub.script.answers.lock().unwrap().push_back((200, body));
    let p = stub.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    let outcome = p.wait().await;
    assert!(
        matches!(
            outcome,
            ApprovalOutcome::Failed(CibaError::IdToken(
                agent_auth::validate::ValidationError::UntrustedAudience
            ))
        ),
        "an untrusted extra audience with azp: {outcome:?}"
    );

    let stub2 = Stub::new(
        json!({"auth_req_id": "req-11", "expires_in": 600, "interval": 1}),
        vec![],
    )
    .await;
    let mut body = tokens().1;
    body["id_token"] = stub2
        .id_token(json!(["agent", "https://other.example"]), None)
        .into();
    stub2.script.answers.lock().unwrap().push_back((200, body));
    let p = stub2.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert!(
        matches!(
            p.wait().await,
            ApprovalOutcome::Failed(CibaError::IdToken(_))
        ),
        "several audiences without azp"
    );

    let stub3 = Stub::new(
        json!({"auth_req_id": "req-12", "expires_in": 600, "interval": 1}),
        vec![],
    )
    .await;
    let mut body = tokens().1;
    body["id_token"] = stub3.id_token(json!(["someone-else"]), None).into();
    stub3.script.answers.lock().unwrap().push_back((200, body));
    let p = stub3.client(DeliveryMode::Poll).start(ask()).await.unwrap();
    assert!(
        matches!(
            p.wait().await,
            ApprovalOutcome::Failed(CibaError::IdToken(_))
        ),
        "not for this client"
    );
}

#[tokio::test(start_paused = true)]
async fn pushed_tokens_without_an_id_token_are_refused() {
    // CIBA Core 1.0 section 10.3.1: the push delivers an ID token naming the
    // request and hashing the tokens; a body without one (forged with a
    // leaked notification token, or from a broken OP) is not accepted.
    let stub = Stub::new(json!({"auth_req_id": "req-12", "expires_in": 600}), vec![]).await;
    let client = stub.client(DeliveryMode::Push);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let app = client.notification_router("/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let p = client.start(ask()).await.unwrap();
    let token = stub.store.list().unwrap()[0]
        .notification_token
        .clone()
        .unwrap();
    let pushed = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token.expose_secret())
        .json(&json!({
            "auth_req_id": "req-12",
            "access_token": "forged-access-token",
            "token_type": "Bearer",
            "expires_in": 600
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status().as_u16(), 204);
    match p.wait().await {
        ApprovalOutcome::Failed(CibaError::IdTokenBinding(_)) => {}
        other => panic!("pushed tokens without an ID token were accepted: {other:?}"),
    }
}
