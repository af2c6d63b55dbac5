//! The remote JWKS cache against a real HTTP server on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, Jwks, SigningKey, sign_compact};
use agent_auth::jwks::{JwksError, RemoteJwks, RemoteJwksConfig};
use agent_auth::validate::{AccessToken, Claims, ValidationError, Validator};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOW: i64 = 1_800_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Serve,
    Fail,
    Hang,
}

struct Server {
    jwks: Mutex<Jwks>,
    mode: Mutex<Mode>,
    cache_control: Mutex<Option<&'static str>>,
    hits: AtomicUsize,
    hangs_finished: AtomicUsize,
}

async fn jwks(State(server): State<Arc<Server>>) -> axum::response::Response {
    server.hits.fetch_add(1, Ordering::SeqCst);
    let mode = *server.mode.lock().unwrap();
    match mode {
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            server.hangs_finished.fetch_add(1, Ordering::SeqCst);
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Mode::Serve => {
            let body = serde_json::to_string(&*server.jwks.lock().unwrap()).unwrap();
            let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Some(cc) = *server.cache_control.lock().unwrap() {
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, cc.parse().unwrap());
            }
            response
        }
    }
}

async fn start(keys: &[&SigningKey]) -> (Arc<Server>, String) {
    let server = Arc::new(Server {
        jwks: Mutex::new(jwks_of(keys)),
        mode: Mutex::new(Mode::Serve),
        cache_control: Mutex::new(None),
        hits: AtomicUsize::new(0),
        hangs_finished: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/jwks.json", get(jwks))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (server, url)
}

fn jwks_of(keys: &[&SigningKey]) -> Jwks {
    Jwks {
        keys: keys
            .iter()
            .map(|k| k.verifying_key().to_jwk().unwrap().clone())
            .collect(),
    }
}

fn token(key: &SigningKey) -> String {
    let mut c = Claims::new().with("client_id", "agent");
    c.iss = Some("https://idp.example".into());
    c.sub = Some("sarah".into());
    c.aud = vec!["https://api.example".into()];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 7200);
    c.jti = Some(key.kid().to_owned());
    sign_compact(key, Some("at+jwt"), &c)
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn setup(url: &str, clock: &Arc<ManualClock>) -> (RemoteJwks, Validator<AccessToken>) {
    let config = RemoteJwksConfig {
        timeout: Duration::from_secs(30),
        ..RemoteJwksConfig::default()
    };
    let source = RemoteJwks::with_config(url, config, clock.clone()).unwrap();
    let validator = Validator::<AccessToken>::builder(source.clone())
        .issuer("https://idp.example")
        .audience("https://api.example")
        .clock(clock.clone())
        .build();
    (source, validator)
}

#[tokio::test]
async fn rotation_is_picked_up_on_an_unknown_kid() {
    let a = SigningKey::generate(Algorithm::Es256).unwrap();
    let b = SigningKey::generate(Algorithm::Es256).unwrap();
    let (server, url) = start(&[&a]).await;
    let clock = Arc::new(ManualClock::new(NOW));
    let (source, validator) = setup(&url, &clock);

    validator.validate(&token(&a)).await.unwrap();
    assert_eq!(source.fetch_count(), 1);

    *server.jwks.lock().unwrap() = jwks_of(&[&a, &b]);
    // Within the cooldown, a new kid is not fetched for.
    assert_eq!(
        validator.validate(&token(&b)).await.map(|_| ()),
        Err(ValidationError::UnknownKey)
    );
    assert_eq!(source.fetch_count(), 1);
    clock.advance(31);
    // The kid was cached as unknown for the cooldown that started at the fetch;
    // that has now passed, so the rotation is picked up.
    validator.validate(&token(&b)).await.unwrap();
    validator.validate(&token(&a)).await.unwrap();
    assert_eq!(source.fetch_count(), 2);
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_unknown_kids_causes_one_fetch() {
    let trusted = SigningKey::generate(Algorithm::Es256).unwrap();
    let (server, url) = start(&[&trusted]).await;
    let clock = Arc::new(ManualClock::new(NOW));
    let (source, validator) = setup(&url, &clock);
    let validator = Arc::new(validator);
    let forger = SigningKey::generate(Algorithm::Es256).unwrap();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let token = token(
            &SigningKey::from_pem(
                Algorithm::Es256,
                forger.to_pkcs8_pem().unwrap().expose_secret(),
            )
            .unwrap()
            .with_kid(format!("random-{i}")),
        );
        let validator = validator.clone();
        tasks.push(tokio::spawn(async move {
            validator.validate(&token).await.map(|_| ())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Err(ValidationError::UnknownKey));
    }
    assert_eq!(source.fetch_count(), 1);
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    // The trusted key was learned by that one fetch.
    validator.validate(&token(&trusted)).await.unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_does_not_stall_known_keys() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (server, url) = start(&[&key]).await;
    *server.cache_control.lock().unwrap() = Some("max-age=60");
    let clock = Arc::new(ManualClock::new(NOW));
    let (source, validator) = setup(&url, &clock);
    validator.validate(&token(&key)).await.unwrap();

    *server.mode.lock().unwrap() = Mode::Hang;
    clock.advance(120); // stale: a background refetch starts and hangs
    for _ in 0..100 {
        validator.validate(&token(&key)).await.unwrap();
    }
    for _ in 0..500 {
        if server.hits.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "a refetch is in flight"
    );
    assert_eq!(source.fetch_count(), 2);
    // Every validation finished while that request was still hanging.
    assert_eq!(server.hangs_finished.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_failing_endpoint_keeps_known_keys_and_refuses_unknown_ones() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (server, url) = start(&[&key]).await;
    let clock = Arc::new(ManualClock::new(NOW));
    let (source, validator) = setup(&url, &clock);
    validator.validate(&token(&key)).await.unwrap();

    *server.mode.lock().unwrap() = Mode::Fail;
    clock.advance(400); // stale and past the cooldown
    let other = SigningKey::generate(Algorithm::Es256).unwrap();
    assert_eq!(
        validator.validate(&token(&other)).await.map(|_| ()),
        Err(ValidationError::UnknownKey)
    );
    assert_eq!(
        source.fetch_count(),
        2,
        "the unknown kid caused one failed fetch"
    );
    validator.validate(&token(&key)).await.unwrap();
    // The unknown kid is now cached as unknown: no new fetch within the cooldown.
    assert_eq!(
        validator.validate(&token(&other)).await.map(|_| ()),
        Err(ValidationError::UnknownKey)
    );
    assert_eq!(source.fetch_count(), 2);
}

#[tokio::test]
async fn cache_control_max_age_sets_freshness() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let (server, url) = start(&[&key]).await;
    *server.cache_control.lock().unwrap() = Some("public, max-age=120");
    let clock = Arc::new(ManualClock::new(NOW));
    let (source, validator) = setup(&url, &clock);
    validator.validate(&token(&key)).await.unwrap();
    clock.advance(100);
    validator.validate(&token(&key)).await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(source.fetch_count(), 1, "still fresh");
    clock.advance(21);
    validator.validate(&token(&key)).await.unwrap();
    for _ in 0..200 {
        if server.hits.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "stale keys were refetched"
    );
}

#[test]
fn only_https_or_loopback_http_is_allowed() {
    for bad in [
        "http://example.com/jwks",
        "http://10.0.0.1/jwks",
        "ftp://127.0.0.1/jwks",
        "not a url",
        "http://127.0.0.1.example.com/jwks",
    ] {
        assert_eq!(
            RemoteJwks::new(bad).err(),
            Some(JwksError::InsecureUrl),
            "{bad}"
        );
    }
    for good in [
        "https://idp.example/jwks",
        "http://127.0.0.1:8080/jwks",
        "http://[::1]/jwks",
        "http://localhost/jwks",
    ] {
        assert!(RemoteJwks::new(good).is_ok(), "{good}");
    }
}
