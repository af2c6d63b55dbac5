//! A `private_key_jwt` client whose document gives only `jwks_uri`: its JWK
//! Set fetched under the document's rules (https only, size cap, public
//! addresses unless local development, caching), and fetched again once
//! when an assertion names a rotated key.

use super::{Answer, CimdError, Fixture, REDIRECT, dev, fixture, refused};
use agent_auth::clock::Clock as _;
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::Claims;
use reference_authority::JWT_BEARER_ASSERTION;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

static JTI: AtomicU64 = AtomicU64::new(0);

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid(kid)
}

fn jwks(keys: &[&SigningKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.verifying_key().to_jwk().unwrap()).collect::<Vec<_>>()})
}

impl Fixture {
    /// Serves a `private_key_jwt` document for `name` whose keys are at `jwks_uri`.
    fn uri_client(&self, name: &str, jwks_uri: &str, cache: Option<&'static str>) -> String {
        let id = format!("{}/clients/{name}", self.doc_base);
        self.serve(
            name,
            Answer::Json(
                json!({"client_id": id, "redirect_uris": [REDIRECT],
                       "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": jwks_uri}),
                cache,
            ),
        )
    }

    /// Serves the JWK Set `keys` at `/clients/<name>`; returns its URL.
    fn keys(&self, name: &str, keys: &[&SigningKey], cache: Option<&'static str>) -> String {
        self.serve(name, Answer::Json(jwks(keys), cache))
    }

    /// A token request authenticated by an assertion of `client_id` signed
    /// with `key`: 401 `invalid_client` when authentication fails, else 400
    /// `invalid_grant` (the made-up code).
    async fn token_with_assertion(&self, client_id: &str, key: &SigningKey) -> (u16, String) {
        let mut c = Claims::new();
        c.iss = Some(client_id.into());
        c.sub = Some(client_id.into());
        c.aud = vec![format!("{}/token", self.issuer)];
        c.iat = Some(self.clock.now());
        c.exp = Some(self.clock.now() + 60);
        c.jti = Some(format!("jti-{}", JTI.fetch_add(1, Ordering::SeqCst)));
        let assertion = sign_compact(key, None, &c).unwrap();
        let response = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "made-up-code"),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER_ASSERTION),
                ("client_assertion", assertion.expose_secret()),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (
            status,
            body["error"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

const AUTHENTICATED: (u16, &str) = (400, "invalid_grant");
const REFUSED: (u16, &str) = (401, "invalid_client");

fn pair(got: &(u16, String)) -> (u16, &str) {
    (got.0, got.1.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_publishing_only_jwks_uri_authenticates_with_private_key_jwt() {
    let f = fixture(dev()).await;
    let k1 = key("k1");
    let uri = f.keys("keys.json", &[&k1], Some("max-age=60"));
    let id = f.uri_client("agent.json", &uri, Some("max-age=60"));
    assert_eq!(pair(&f.token_with_assertion(&id, &k1).await), AUTHENTICATED);
    let client = f.authority.client(&id).unwrap().unwrap();
    assert!(client.jwks.unwrap().contains("\"k1\""), "the fetched keys");
    // Another key, not in the set: refused.
    let stranger = key("k1");
    assert_eq!(pair(&f.token_with_assertion(&id, &stranger).await), REFUSED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_set_is_cached_with_the_document_within_max_age() {
    let f = fixture(dev()).await;
    let k1 = key("k1");
    let uri = f.keys("keys.json", &[&k1], Some("max-age=30"));
    let id = f.uri_client("agent.json", &uri, Some("max-age=300"));
    assert_eq!(pair(&f.token_with_assertion(&id, &k1).await), AUTHENTICATED);
    assert_eq!(pair(&f.token_with_assertion(&id, &k1).await), AUTHENTICATED);
    assert_eq!(f.fetches(), 2, "the document and its keys, once");
    f.clock.advance(31);
    assert_eq!(pair(&f.token_with_assertion(&id, &k1).await), AUTHENTICATED);
    assert_eq!(f.fetches(), 4, "the keys' max-age bounds both");
    let no_store = f.keys("nostore.json", &[&k1], Some("no-store"));
    let id = f.uri_client("nostore-agent.json", &no_store, Some("max-age=300"));
    f.authority.resolve_url_client(&id).await.unwrap();
    f.authority.resolve_url_client(&id).await.unwrap();
    assert_eq!(f.fetches(), 8, "no-store keys: fetched every time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_fetched_once_per_cooldown() {
    let f = fixture(dev()).await;
    let (k1, k2) = (key("k1"), key("k2"));
    let uri = f.keys("keys.json", &[&k1], Some("max-age=600"));
    let id = f.uri_client("agent.json", &uri, Some("max-age=600"));
    assert_eq!(pair(&f.token_with_assertion(&id, &k1).await), AUTHENTICATED);
    assert_eq!(f.fetches(), 2);
    // The client rotates: its set now holds k2 only.
    f.keys("keys.json", &[&k2], Some("max-age=600"));
    assert_eq!(pair(&f.token_with_assertion(&id, &k2).await), AUTHENTICATED);
    assert_eq!(f.fetches(), 3, "one refetch for the unknown kid");
    assert_eq!(
        pair(&f.token_with_assertion(&id, &k1).await),
        REFUSED,
        "the old key is gone with the set"
    );
    // Made-up kids: one refetch per cooldown, then refused without fetching.
    let forged = key("k-forged");
    assert_eq!(pair(&f.token_with_assertion(&id, &forged).await), REFUSED);
    assert_eq!(pair(&f.token_with_assertion(&id, &forged).await), REFUSED);
    assert_eq!(f.fetches(), 3, "the cooldown since the last refetch holds");
    f.clock.advance(31);
    assert_eq!(pair(&f.token_with_assertion(&id, &forged).await), REFUSED);
    assert_eq!(f.fetches(), 4, "after the cooldown, one more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_uri_must_be_https() {
    let f = fixture(dev()).await;
    let id = f.uri_client("agent.json", "http://keys.example/jwks.json", None);
    refused(
        &f,
        &id,
        CimdError::InvalidJwksUri("the scheme must be https"),
    )
    .await;
    assert_eq!(f.fetches(), 1, "the document only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_over_the_size_limit_is_refused() {
    let f = fixture(dev().max_bytes(1024)).await;
    let many: Vec<SigningKey> = (0..12).map(|i| key(&format!("key-{i}"))).collect();
    let uri = f.keys("keys.json", &many.iter().collect::<Vec<_>>(), None);
    let id = f.uri_client("agent.json", &uri, None);
    refused(&f, &id, CimdError::TooLarge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_unless_local_development() {
    let f = fixture(dev()).await;
    for uri in [
        "https://10.0.0.1/jwks.json",
        "https://169.254.169.254/latest/jwks.json",
    ] {
        let id = f.uri_client("agent.json", uri, None);
        refused(&f, &id, CimdError::AddressRefused).await;
    }
    assert_eq!(f.fetches(), 2, "the documents only, never the keys");
    // Local development allows loopback keys: the other tests serve theirs
    // on 127.0.0.1.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_that_is_not_one_is_refused() {
    let f = fixture(dev()).await;
    let uri = f.serve("keys.json", Answer::Json(json!({"keys": "none"}), None));
    let id = f.uri_client("agent.json", &uri, None);
    refused(
        &f,
        &id,
        CimdError::InvalidDocument("`jwks_uri` does not serve a JWK Set"),
    )
    .await;
}
